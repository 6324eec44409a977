# worker module: the ring's consumer (unwind -> symbols -> profile -> views).
libctop_a_SOURCES += \
	src/worker/worker.c
