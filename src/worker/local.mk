# worker module: the ring's consumer (unwind -> symbols -> profile -> views).
libctop_a_SOURCES += \
	src/worker/pc_cache.c \
	src/worker/pc_cache.h \
	src/worker/worker.c
libctop_a_SOURCES += \
	src/worker/kallsyms.c \
	src/worker/kallsyms.h
