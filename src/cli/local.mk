# cli module: options, launch/attach, signals, exit codes; the program.
libctop_a_SOURCES += \
	src/cli/launch.c \
	src/cli/launch.h \
	src/cli/load_source.c \
	src/cli/load_source.h \
	src/cli/options.c
