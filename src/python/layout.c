/* SPDX-License-Identifier: MIT */
/* python layouts: where the fields the walker and the namer read live in
 * each CPython version. 3.11 and 3.12 publish nothing, so their offsets
 * are written here from those versions' headers (x86-64 and aarch64 LP64,
 * default non-debug build) and checked against real interpreters by
 * tests/unit/test-python-walk.c. 3.13+ start _PyRuntime with
 * _Py_DebugOffsets: we read the offsets from the target and only know
 * where, inside that struct, each one sits (per debug-offsets layout). */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void
layout_label(struct python_layout *l, unsigned minor)
{
	snprintf(l->label, sizeof l->label, "python 3.%u", minor);
}

/* Fields common to 3.11 and 3.12 (same offsets in both). */
static void
layout_common_311(struct python_layout *l)
{
	l->rt_interp_head = 40;		/* _PyRuntimeState.interpreters.head */
	l->is_next = 0;			/* PyInterpreterState.next */
	l->ts_next = 8;			/* PyThreadState.next */
	l->ts_frame = 56;		/* PyThreadState.cframe */
	l->fr_instr = 56;		/* _PyInterpreterFrame.prev_instr */
	l->ob_type = 8;			/* PyObject.ob_type */
	l->co_filename = 112;		/* PyCodeObject.co_filename */
	l->co_qualname = 128;		/* PyCodeObject.co_qualname */
	l->co_linetable = 136;		/* PyCodeObject.co_linetable */
	l->bytes_size = 16;		/* PyBytesObject.ob_base.ob_size */
	l->bytes_sval = 32;		/* PyBytesObject.ob_sval */
	l->str_length = 16;		/* PyASCIIObject.length */
	l->str_state = 32;		/* PyASCIIObject.state */
	l->code_tag_mask = 0;
	l->free_threaded = 0;
}

/* 3.11: Include/internal/pycore_frame.h, cpython/pystate.h, code.h,
 * cpython/unicodeobject.h of 3.11. */
static void
layout_311(struct python_layout *l)
{
	layout_common_311(l);
	l->is_threads_head = 16;	/* PyInterpreterState.threads.head */
	l->ts_native_tid = 160;		/* PyThreadState.native_thread_id */
	l->cf_current = 8;		/* _PyCFrame.current_frame (after
					 * uint8_t use_tracing) */
	l->fr_previous = 48;		/* _PyInterpreterFrame.previous */
	l->fr_code = 32;		/* _PyInterpreterFrame.f_code */
	l->fr_owner = 69;		/* _PyInterpreterFrame.owner */
	l->fr_is_entry = 68;		/* _PyInterpreterFrame.is_entry */
	l->owner_shim_lo = l->owner_shim_hi = 0xff;	/* no shim frames */
	l->co_firstlineno = 72;		/* PyCodeObject.co_firstlineno */
	l->co_code_adaptive = 184;	/* PyCodeObject.co_code_adaptive */
	l->str_ascii_size = 48;		/* sizeof(PyASCIIObject): has wstr */
	l->str_compact_size = 72;	/* sizeof(PyCompactUnicodeObject) */
}

/* 3.12: the same headers of 3.12. */
static void
layout_312(struct python_layout *l)
{
	layout_common_311(l);
	l->is_threads_head = 72;	/* PyInterpreterState.threads.head */
	l->ts_native_tid = 144;		/* PyThreadState.native_thread_id */
	l->cf_current = 0;		/* _PyCFrame.current_frame */
	l->fr_previous = 8;		/* _PyInterpreterFrame.previous */
	l->fr_code = 0;			/* _PyInterpreterFrame.f_code */
	l->fr_owner = 70;		/* _PyInterpreterFrame.owner */
	l->fr_is_entry = PYTHON_NO_FIELD;
	/* FRAME_OWNED_BY_CSTACK: _PyEval_EvalFrameDefault's entry_frame. */
	l->owner_shim_lo = l->owner_shim_hi = 3;
	l->co_firstlineno = 68;		/* PyCodeObject.co_firstlineno */
	l->co_code_adaptive = 192;	/* PyCodeObject.co_code_adaptive */
	l->str_ascii_size = 40;		/* sizeof(PyASCIIObject) */
	l->str_compact_size = 56;	/* sizeof(PyCompactUnicodeObject) */
}

/* Where a thread's name is read (python_thread_name): the same
 * localsplus in 3.11 to 3.13 (pycore_frame.h), ht_cached_keys after the
 * type object's slots (cpython/object.h), and each version's way of
 * keeping an instance's attributes (pycore_object.h). Checked against the
 * real interpreters by run-python.sh (the T key's thread names). Other
 * versions: no thread names. */
void
python__layout_attrs(unsigned minor, struct python_layout *l)
{
	l->fr_localsplus = PYTHON_NO_FIELD;
	l->ht_cached_keys = PYTHON_NO_FIELD;
	l->attr_scheme = 0;
	if (minor < 11 || minor > 13)
		return;
	l->fr_localsplus = 72;
	l->ht_cached_keys = minor == 11 ? 872 : 880;
	l->attr_scheme = (uint8_t)minor;
}

int
python__layout_table(unsigned minor, struct python_layout *out)
{
	if (minor == 11)
		layout_311(out);
	else if (minor == 12)
		layout_312(out);
	else
		return -ENOTSUP;
	python__layout_attrs(minor, out);
	layout_label(out, minor);
	return 0;
}

/* Where each offset we use sits inside _Py_DebugOffsets, per layout of
 * that struct (Include/internal/pycore_runtime.h of 3.13,
 * pycore_debug_offsets.h of 3.14; every member is a uint64_t). */
struct debug_fields {
	unsigned minor;
	unsigned size;		/* bytes to read */
	unsigned rt_interp_head, is_next, is_threads_head;
	unsigned ts_next, ts_current_frame, ts_native_tid;
	unsigned fr_previous, fr_executable, fr_instr_ptr, fr_owner;
	unsigned co_filename, co_qualname, co_linetable, co_firstlineno;
	unsigned co_code_adaptive;
	unsigned ob_type, bytes_size, bytes_sval;
	unsigned str_state, str_length, str_ascii_size;
	uint8_t owner_shim_lo, owner_shim_hi, code_tag_mask;
};

static const struct debug_fields debug_layouts[] = {
	/* 3.13: runtime_state @24, interpreter_state @48 (13 members),
	 * thread_state @152, interpreter_frame @224, code_object @272,
	 * pyobject @352, bytes_object @512, unicode_object @536. Frame owner
	 * FRAME_OWNED_BY_CSTACK = 3 marks the entry shim. */
	{ 13, 584, 40, 64, 72, 168, 184, 200, 232, 240, 248, 264,
	  280, 296, 304, 312, 344, 360, 520, 528, 544, 552, 560,
	  3, 3, 0 },
	/* 3.14: interpreter_state grew threads_main, code_object_generation
	 * and tlbc_generation (16 members), interpreter_frame stackpointer
	 * and tlbc_index, code_object co_tlbc, and set_object came before
	 * dict_object: thread_state @176, interpreter_frame @248,
	 * code_object @312, pyobject @400, bytes_object @592,
	 * unicode_object @616. Owners FRAME_OWNED_BY_INTERPRETER = 3 and
	 * FRAME_OWNED_BY_CSTACK = 4 are shims; f_executable is a
	 * _PyStackRef whose low two bits are tags. */
	{ 14, 664, 40, 64, 72, 192, 208, 224, 256, 264, 272, 288,
	  320, 336, 344, 352, 384, 408, 600, 608, 624, 632, 640,
	  3, 4, 3 },
};

#define DEBUG_MAX_SIZE 664

/* Copies one offset; fails when it cannot be a field of these structs. */
static int
debug_field(const unsigned char *img, unsigned at, uint16_t *dst)
{
	uint64_t v = python__u64(img, at);

	if (v >= 0xffff)
		return -1;
	*dst = (uint16_t)v;
	return 0;
}

static int
debug_apply(const struct debug_fields *d, const unsigned char *img,
    struct python_layout *l)
{
	int bad = 0;

	bad |= debug_field(img, d->rt_interp_head, &l->rt_interp_head);
	bad |= debug_field(img, d->is_next, &l->is_next);
	bad |= debug_field(img, d->is_threads_head, &l->is_threads_head);
	bad |= debug_field(img, d->ts_next, &l->ts_next);
	bad |= debug_field(img, d->ts_current_frame, &l->ts_frame);
	bad |= debug_field(img, d->ts_native_tid, &l->ts_native_tid);
	bad |= debug_field(img, d->fr_previous, &l->fr_previous);
	bad |= debug_field(img, d->fr_executable, &l->fr_code);
	bad |= debug_field(img, d->fr_instr_ptr, &l->fr_instr);
	bad |= debug_field(img, d->fr_owner, &l->fr_owner);
	bad |= debug_field(img, d->co_filename, &l->co_filename);
	bad |= debug_field(img, d->co_qualname, &l->co_qualname);
	bad |= debug_field(img, d->co_linetable, &l->co_linetable);
	bad |= debug_field(img, d->co_firstlineno, &l->co_firstlineno);
	bad |= debug_field(img, d->co_code_adaptive, &l->co_code_adaptive);
	bad |= debug_field(img, d->ob_type, &l->ob_type);
	bad |= debug_field(img, d->bytes_size, &l->bytes_size);
	bad |= debug_field(img, d->bytes_sval, &l->bytes_sval);
	bad |= debug_field(img, d->str_state, &l->str_state);
	bad |= debug_field(img, d->str_length, &l->str_length);
	bad |= debug_field(img, d->str_ascii_size, &l->str_ascii_size);
	l->cf_current = PYTHON_NO_FIELD;
	l->fr_is_entry = PYTHON_NO_FIELD;
	/* PyCompactUnicodeObject adds utf8_length and utf8 (3.12+). */
	l->str_compact_size = (uint16_t)(l->str_ascii_size + 16);
	l->owner_shim_lo = d->owner_shim_lo;
	l->owner_shim_hi = d->owner_shim_hi;
	l->code_tag_mask = d->code_tag_mask;
	return bad ? -1 : 0;
}

static int debug_fail(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets *cause; a layout we cannot read is an unsupported interpreter. */
static int
debug_fail(char **cause, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	if (cause) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		*cause = strdup(buf);
	}
	return PYTHON_UNSUPPORTED;
}

int
python_layout_from_debug_offsets(pid_t pid, uint64_t runtime,
    struct python_layout *out, char **cause)
{
	unsigned char img[DEBUG_MAX_SIZE];
	const struct debug_fields *d = NULL;
	unsigned minor, i;
	uint32_t hex;

	if (cause)
		*cause = NULL;
	/* Every layout is at least 3.13's size: read that much first, as a
	 * 3.13 _PyRuntime need not be followed by 3.14's larger struct. */
	if (python__read(pid, runtime, img, debug_layouts[0].size) < 0)
		return debug_fail(cause, "cannot read _PyRuntime");
	if (memcmp(img, "xdebugpy", 8) != 0)
		return debug_fail(cause, "_PyRuntime has no debug offsets "
		    "(3.13+ expected)");
	hex = (uint32_t)python__u64(img, 8);
	minor = (hex >> 16) & 0xff;
	for (i = 0; i < sizeof debug_layouts / sizeof debug_layouts[0]; i++)
		if (debug_layouts[i].minor == minor)
			d = &debug_layouts[i];
	if (hex >> 24 != 3 || !d)
		return debug_fail(cause, "CPython 3.%u not supported "
		    "(unknown debug offsets layout)", minor);
	if (python__u64(img, 16) != 0)
		return debug_fail(cause, "free-threaded CPython 3.%u "
		    "not supported", minor);
	if (d->size > debug_layouts[0].size &&
	    python__read(pid, runtime, img, d->size) < 0)
		return debug_fail(cause, "cannot read _PyRuntime (3.%u)",
		    minor);
	memset(out, 0, sizeof *out);
	if (debug_apply(d, img, out) < 0)
		return debug_fail(cause, "implausible debug offsets in "
		    "CPython 3.%u", minor);
	out->version = hex;
	out->runtime = runtime;
	python__layout_attrs(minor, out);
	layout_label(out, minor);
	return PYTHON_OK;
}
