# diag module (-v, --log): sources go into libctop.a.
libctop_a_SOURCES += src/diag/diag.c
noinst_HEADERS += include/ctop/diag.h
