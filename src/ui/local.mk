# ui module: sources go into libctop.a; tests into check_PROGRAMS and UNIT_TESTS.
libctop_a_SOURCES += \
	src/ui/batch.c \
	src/ui/canvas.c \
	src/ui/draw.c \
	src/ui/keymap.c \
	src/ui/layout.c \
	src/ui/picker.c \
	src/ui/search.c \
	src/ui/source_view.c \
	src/ui/status.c \
	src/ui/tui.c \
	src/ui/tui_keys.c \
	src/ui/tui_render.c \
	src/ui/view_icicle.c \
	src/ui/view_table.c
noinst_HEADERS += \
	src/ui/draw.h \
	src/ui/source_view.h \
	src/ui/tui.h \
	src/ui/ui_internal.h

check_PROGRAMS += tests/unit/test-ui-layout
tests_unit_test_ui_layout_SOURCES = tests/unit/test-ui-layout.c
tests_unit_test_ui_layout_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/ui -I$(top_srcdir)/tests
tests_unit_test_ui_layout_LDADD = $(CTOP_LIBS)
UNIT_TESTS += tests/unit/test-ui-layout

# A live source without a target (a profile fed on a timer) for the
# tmux tests of pause, reset, threads, windows and bytes on the wire.
check_PROGRAMS += tests/tui/fake-live
tests_tui_fake_live_SOURCES = tests/tui/fake-live.c
tests_tui_fake_live_LDADD = $(CTOP_LIBS)

# The source view's target: hot lines known by their markers.
check_PROGRAMS += tests/targets/hotlines
tests_targets_hotlines_SOURCES = tests/targets/hotlines.c
tests_targets_hotlines_CFLAGS = -O2 -g -fomit-frame-pointer
tests_targets_hotlines_LDFLAGS =

# Names the keys of the key table, for the check of the man page and
# --help (run-keys-doc.sh).
check_PROGRAMS += tests/tui/keymap-names
tests_tui_keymap_names_SOURCES = tests/tui/keymap-names.c
tests_tui_keymap_names_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/ui
tests_tui_keymap_names_LDADD = $(CTOP_LIBS)

TUI_TESTS = \
	tests/tui/run-icicle.sh \
	tests/tui/run-keys-doc.sh \
	tests/tui/run-live.sh \
	tests/tui/run-picker.sh \
	tests/tui/run-resize.sh \
	tests/tui/run-save.sh \
	tests/tui/run-source.sh \
	tests/tui/run-spark.sh \
	tests/tui/run-table-steady.sh \
	tests/tui/run-table-wide.sh \
	tests/tui/run-table.sh \
	tests/tui/run-term.sh \
	tests/tui/run-tui-diff.sh \
	tests/tui/run-tui-load.sh
SCRIPT_TESTS += $(TUI_TESTS)
EXTRA_DIST += $(TUI_TESTS) tests/tui/tuilib.sh tests/data/ui-tree.folded \
	tests/targets/py_lines.py
