# export module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/export/files.c \
	src/export/folded.c \
	src/export/folded_diff.c \
	src/export/internal.h \
	src/export/perf_script.c \
	src/export/pprof.c \
	src/export/pprof_pb.h \
	src/export/pprof_read.c \
	src/export/read.c \
	src/export/speedscope.c \
	src/export/speedscope_read.c \
	src/export/svg.c

# pprof: C code generated from profile.proto by protoc-c at build time (a
# build product, never committed).
EXPORT_PB = src/export/profile.pb-c.c src/export/profile.pb-c.h
nodist_libctop_a_SOURCES = $(EXPORT_PB)
BUILT_SOURCES += $(EXPORT_PB)
CLEANFILES += $(EXPORT_PB)
EXTRA_DIST += src/export/profile.proto
AM_CPPFLAGS += -I$(top_builddir)/src/export
src/export/profile.pb-c.h: src/export/profile.pb-c.c
src/export/profile.pb-c.c: $(top_srcdir)/src/export/profile.proto
	$(AM_V_GEN)$(MKDIR_P) src/export && \
	$(PROTOC_C) --proto_path=$(top_srcdir)/src/export \
	    --c_out=src/export $(top_srcdir)/src/export/profile.proto

check_PROGRAMS += tests/unit/test-folded
tests_unit_test_folded_SOURCES = tests/unit/test-folded.c tests/tap.h
tests_unit_test_folded_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-folded
tests_unit_test_folded_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCTOP_TEST_DATA='"$(abs_top_srcdir)/tests/data"'
EXTRA_DIST += \
	tests/data/crlf.folded \
	tests/data/sample.folded
