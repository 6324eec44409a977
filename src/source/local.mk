# source module: what the UI reads views from. The live source (live.c)
# runs the worker thread (worker.c: ring -> unwind -> symbols -> profile
# -> views); the file source (file.c) reads a snapshot for --load.
libctop_a_SOURCES += \
	src/source/children.c \
	src/source/children.h \
	src/source/file.c \
	src/source/live.c \
	src/source/worker.c \
	src/source/worker.h
