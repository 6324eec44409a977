# proclist module (the process picker's list, issue 15): sources go into
# libctop.a.
libctop_a_SOURCES += src/proclist/proclist.c
noinst_HEADERS += include/ctop/proclist.h
