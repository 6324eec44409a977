/* SPDX-License-Identifier: MIT */
/* python_probe: a process that is not Python says so fast; CPython 3.9
 * and 3.10 are refused with a reason; a C program that loads libpython
 * (embedded Python) is found; and the _Py_DebugOffsets reader takes 3.13's
 * and 3.14's layouts from synthetic images built from those versions'
 * headers (3.14 is not installed here), refusing unknown versions,
 * free-threaded builds and images without the cookie. */
#include "config.h"

#include "ctop/python.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "python-util.h"

/* _Py_DebugOffsets as CPython 3.14 declares it
 * (Include/internal/pycore_debug_offsets.h): every member a uint64_t. */
struct dbg314 {
	char cookie[8];
	uint64_t version, free_threaded;
	struct { uint64_t size, finalizing, interpreters_head; } runtime_state;
	struct {
		uint64_t size, id, next, threads_head, threads_main, gc;
		uint64_t imports_modules, sysdict, builtins, ceval_gil;
		uint64_t gil_runtime_state, gil_runtime_state_enabled;
		uint64_t gil_runtime_state_locked, gil_runtime_state_holder;
		uint64_t code_object_generation, tlbc_generation;
	} interpreter_state;
	struct {
		uint64_t size, prev, next, interp, current_frame, thread_id;
		uint64_t native_thread_id, datastack_chunk, status;
	} thread_state;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus;
		uint64_t owner, stackpointer, tlbc_index;
	} interpreter_frame;
	struct {
		uint64_t size, filename, name, qualname, linetable;
		uint64_t firstlineno, argcount, localsplusnames;
		uint64_t localspluskinds, co_code_adaptive, co_tlbc;
	} code_object;
	struct { uint64_t size, ob_type; } pyobject;
	struct { uint64_t size, tp_name, tp_repr, tp_flags; } type_object;
	struct { uint64_t size, ob_item, ob_size; } tuple_object;
	struct { uint64_t size, ob_item, ob_size; } list_object;
	struct { uint64_t size, used, table, mask; } set_object;
	struct { uint64_t size, ma_keys, ma_values; } dict_object;
	struct { uint64_t size, ob_fval; } float_object;
	struct { uint64_t size, lv_tag, ob_digit; } long_object;
	struct { uint64_t size, ob_size, ob_sval; } bytes_object;
	struct {
		uint64_t size, state, length, asciiobject_size;
	} unicode_object;
	struct { uint64_t size, collecting; } gc;
	struct {
		uint64_t size, gi_name, gi_iframe, gi_frame_state;
	} gen_object;
	struct { uint64_t next, prev; } llist_node;
	struct {
		uint64_t eval_breaker, remote_debugger_support;
		uint64_t remote_debugging_enabled, debugger_pending_call;
		uint64_t debugger_script_path, debugger_script_path_size;
	} debugger_support;
};

/* 3.13's (Include/internal/pycore_runtime.h): no threads_main,
 * code_object_generation, tlbc_generation, stackpointer, tlbc_index,
 * co_tlbc, set_object, and nothing after gc. */
struct dbg313 {
	char cookie[8];
	uint64_t version, free_threaded;
	struct { uint64_t size, finalizing, interpreters_head; } runtime_state;
	struct {
		uint64_t size, id, next, threads_head, gc, imports_modules;
		uint64_t sysdict, builtins, ceval_gil, gil_runtime_state;
		uint64_t gil_runtime_state_enabled, gil_runtime_state_locked;
		uint64_t gil_runtime_state_holder;
	} interpreter_state;
	struct {
		uint64_t size, prev, next, interp, current_frame, thread_id;
		uint64_t native_thread_id, datastack_chunk, status;
	} thread_state;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus;
		uint64_t owner;
	} interpreter_frame;
	struct {
		uint64_t size, filename, name, qualname, linetable;
		uint64_t firstlineno, argcount, localsplusnames;
		uint64_t localspluskinds, co_code_adaptive;
	} code_object;
	struct { uint64_t size, ob_type; } pyobject;
	struct { uint64_t size, tp_name, tp_repr, tp_flags; } type_object;
	struct { uint64_t size, ob_item, ob_size; } tuple_object;
	struct { uint64_t size, ob_item, ob_size; } list_object;
	struct { uint64_t size, ma_keys, ma_values; } dict_object;
	struct { uint64_t size, ob_fval; } float_object;
	struct { uint64_t size, lv_tag, ob_digit; } long_object;
	struct { uint64_t size, ob_size, ob_sval; } bytes_object;
	struct {
		uint64_t size, state, length, asciiobject_size;
	} unicode_object;
	struct { uint64_t size, collecting; } gc;
};

/* Every member a distinct value (its own offset + 1000), so a field read
 * from the wrong place shows. */
static void
fill_distinct(void *img, size_t size, uint64_t version)
{
	uint64_t *u = img;
	size_t i;

	for (i = 1; i < size / 8; i++)
		u[i] = 1000 + i * 8;
	memcpy(img, "xdebugpy", 8);
	u[1] = version;
	u[2] = 0;		/* free_threaded */
}

/* The layout fields against the image's named members: the same check
 * for both versions' structs. */
#define CHECK_FIELDS(v, l, d) do {					\
	int bad_ = 0;							\
	bad_ += (l).rt_interp_head != (d).runtime_state.interpreters_head; \
	bad_ += (l).is_next != (d).interpreter_state.next;		\
	bad_ += (l).is_threads_head != (d).interpreter_state.threads_head; \
	bad_ += (l).ts_next != (d).thread_state.next;			\
	bad_ += (l).ts_frame != (d).thread_state.current_frame;		\
	bad_ += (l).ts_native_tid != (d).thread_state.native_thread_id;	\
	bad_ += (l).fr_previous != (d).interpreter_frame.previous;	\
	bad_ += (l).fr_code != (d).interpreter_frame.executable;	\
	bad_ += (l).fr_instr != (d).interpreter_frame.instr_ptr;	\
	bad_ += (l).fr_owner != (d).interpreter_frame.owner;		\
	bad_ += (l).co_filename != (d).code_object.filename;		\
	bad_ += (l).co_qualname != (d).code_object.qualname;		\
	bad_ += (l).co_linetable != (d).code_object.linetable;		\
	bad_ += (l).co_firstlineno != (d).code_object.firstlineno;	\
	bad_ += (l).co_code_adaptive != (d).code_object.co_code_adaptive; \
	bad_ += (l).ob_type != (d).pyobject.ob_type;			\
	bad_ += (l).bytes_size != (d).bytes_object.ob_size;		\
	bad_ += (l).bytes_sval != (d).bytes_object.ob_sval;		\
	bad_ += (l).str_state != (d).unicode_object.state;		\
	bad_ += (l).str_length != (d).unicode_object.length;		\
	bad_ += (l).str_ascii_size != (d).unicode_object.asciiobject_size; \
	bad_ += (l).cf_current != PYTHON_NO_FIELD;			\
	bad_ += (l).fr_is_entry != PYTHON_NO_FIELD;			\
	is_int(bad_, 0, "%s: all 21 offsets taken from the named members", v); \
} while (0)

static void
test_synthetic_314(void)
{
	static struct dbg314 d;
	struct python_layout l;
	char *cause = NULL;
	int rc;

	fill_distinct(&d, sizeof d, 0x030e00f0);	/* 3.14.0 final */
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_int(rc, PYTHON_OK, "3.14 image: read (%s)", cause ? cause : "-");
	free(cause);
	CHECK_FIELDS("3.14 image", l, d);
	is_int(l.version, 0x030e00f0, "3.14 image: version");
	is_int(l.runtime, (uintptr_t)&d, "3.14 image: runtime address");
	is_str(l.label, "python 3.14", "3.14 image: label");
	ok(l.owner_shim_lo == 3 && l.owner_shim_hi == 4 &&
	    l.code_tag_mask == 3, "3.14 image: shims are owners 3 and 4, "
	    "f_executable's two tag bits cleared");
	is_int(l.str_compact_size, d.unicode_object.asciiobject_size + 16,
	    "3.14 image: compact str data after utf8_length and utf8");

	/* The same image claiming another version or build is refused. */
	d.version = 0x030f00a1;
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_int(rc, PYTHON_UNSUPPORTED, "3.15 image: unsupported");
	is_str(cause, "CPython 3.15 not supported (unknown debug offsets "
	    "layout)", "3.15 image: the reason");
	free(cause);
	d.version = 0x030e00f0;
	d.free_threaded = 1;
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_str(cause, "free-threaded CPython 3.14 not supported",
	    "free-threaded 3.14: refused with the reason");
	free(cause);
	d.free_threaded = 0;
	d.thread_state.native_thread_id = 1u << 20;
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_int(rc, PYTHON_UNSUPPORTED, "an offset of 1 MiB: refused (%s)",
	    cause ? cause : "-");
	free(cause);
	memcpy(d.cookie, "xdebugpz", 8);
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_int(rc, PYTHON_UNSUPPORTED, "no cookie: refused (%s)",
	    cause ? cause : "-");
	free(cause);
}

static void
test_synthetic_313(void)
{
	static struct dbg313 d;
	struct python_layout l;
	char *cause = NULL;
	int rc;

	fill_distinct(&d, sizeof d, 0x030d05f0);
	rc = python_layout_from_debug_offsets(getpid(), (uintptr_t)&d, &l,
	    &cause);
	is_int(rc, PYTHON_OK, "3.13 image: read (%s)", cause ? cause : "-");
	free(cause);
	CHECK_FIELDS("3.13 image", l, d);
	ok(l.owner_shim_lo == 3 && l.owner_shim_hi == 3 &&
	    l.code_tag_mask == 0, "3.13 image: shim is owner 3, no tags");
}

/* A process that is not Python: "not python", fast. */
static void
test_not_python(void)
{
	char *argv[] = { (char *)"/bin/sleep", (char *)"30", NULL };
	struct python_layout l;
	struct pyt_proc p;
	char *cause = NULL;
	uint64_t t0, t;
	int rc;

	rc = python_probe(getpid(), &l, &cause);
	is_int(rc, PYTHON_NOT_PYTHON, "this test program: not python");
	ok(cause == NULL, "not python: no cause to free");
	if (pyt_spawn(&p, argv) < 0) {
		ok(0, "start /bin/sleep");
		return;
	}
	usleep(100000);		/* let it exec */
	t0 = pyt_now_ns();
	rc = python_probe(p.pid, &l, &cause);
	t = pyt_now_ns() - t0;
	is_int(rc, PYTHON_NOT_PYTHON, "/bin/sleep: not python");
	/* A maps read and one .dynsym: far below the bound on any machine. */
	ok(t < 200000000ull, "/bin/sleep: answered in %" PRIu64 " us",
	    t / 1000);
	diag("probe of a non-Python process: %" PRIu64 " us", t / 1000);
	pyt_kill(&p);
}

/* 3.9 and 3.10 (pyenv's, when installed): refused with the reason. */
static void
test_old(unsigned minor)
{
	char pattern[128], exe[1024], line[64], want[64], *cause = NULL;
	char *argv[] = { exe, (char *)"-c", (char *)"import time; "
	    "print('ready', flush=True); time.sleep(60)", NULL };
	struct python_layout l;
	struct pyt_proc p;
	int rc;

	snprintf(pattern, sizeof pattern,
	    "~/.pyenv/versions/3.%u.*/bin/python3.%u", minor, minor);
	if (pyt_find(pattern, exe, sizeof exe) < 0) {
		skip("not installed here", "CPython 3.%u refused", minor);
		return;
	}
	if (pyt_spawn(&p, argv) < 0 || pyt_line(&p, line, sizeof line,
	    20000) < 0) {
		ok(0, "3.%u: runs and says ready", minor);
		pyt_kill(&p);
		return;
	}
	rc = python_probe(p.pid, &l, &cause);
	snprintf(want, sizeof want, "CPython 3.%u not supported", minor);
	is_int(rc, PYTHON_UNSUPPORTED, "CPython 3.%u: unsupported", minor);
	is_str(cause, want, "CPython 3.%u: the reason", minor);
	free(cause);
	pyt_kill(&p);
}

/* Embedded Python: a C program (a child of this test) that loads
 * libpython3.X.so (or the stable ABI's libpython3.so, which loads it and
 * holds no runtime itself); _PyRuntime is statically initialised, so the
 * probe works before Py_Initialize. */
static void
test_embedded(unsigned minor, bool forwarder)
{
	char pattern[128], lib[1024];
	struct python_layout l;
	char *cause = NULL;
	int fds[2], rc;
	pid_t pid;
	char c;

	if (forwarder)
		snprintf(pattern, sizeof pattern, "~/.pyenv/versions/3.%u.*/"
		    "lib/libpython3.so", minor);
	else
		snprintf(pattern, sizeof pattern, "~/.pyenv/versions/3.%u.*/"
		    "lib/libpython3.%u.so.1.0", minor, minor);
	if (pyt_find(pattern, lib, sizeof lib) < 0) {
		skip("not installed here", "embedded %s", pattern);
		return;
	}
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		ok(0, "fork");
		return;
	}
	if (pid == 0) {
		c = dlopen(lib, RTLD_LAZY | RTLD_LOCAL) ? 'y' : 'n';
		alarm(60);	/* gone in a minute even if the test died */
		if (write(fds[1], &c, 1) == 1)
			pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1 || c != 'y') {
		ok(0, "embedded 3.%u: the child loads %s", minor, lib);
	} else {
		rc = python_probe(pid, &l, &cause);
		ok(rc == PYTHON_OK && ((l.version >> 16) & 0xff) == minor,
		    "embedded %s in a C program: found, version 0x%08x (%s)",
		    strrchr(lib, '/') + 1, l.version, cause ? cause : "-");
		free(cause);
	}
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Copies tests/targets/fakepython (next to this binary's directory) to
 * dir/name. */
static int
copy_target(const char *dir, const char *name, char *out, size_t len)
{
	char self[1024], src[1100], cmd[2400];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	self[n > 0 ? n : 0] = '\0';
	if ((slash = strrchr(self, '/')))
		*slash = '\0';
	snprintf(src, sizeof src, "%s/../targets/fakepython", self);
	snprintf(out, len, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, out);
	return system(cmd) == 0 ? 0 : -1;
}

/* _PyRuntime and Py_Version only in .symtab: found in an executable
 * named python3.X (at the address the program prints: the load bias of a
 * PIE is right), not looked for in one named otherwise. */
static void
test_symtab(const char *dir)
{
	static const char *const names[] = { "python3.12", "server" };
	struct python_layout l;
	struct pyt_proc p;
	char path[1024], line[128], *cause = NULL;
	char *argv[2] = { path, NULL };
	unsigned long addr = 0;
	unsigned i;
	int rc;

	for (i = 0; i < 2; i++) {
		if (copy_target(dir, names[i], path, sizeof path) < 0 ||
		    pyt_spawn(&p, argv) < 0 ||
		    pyt_line(&p, line, sizeof line, 10000) < 0 ||
		    sscanf(line, "ready %lx", &addr) != 1) {
			ok(0, "fakepython as %s runs", names[i]);
			pyt_kill(&p);
			continue;
		}
		rc = python_probe(p.pid, &l, &cause);
		if (i == 0)
			ok(rc == PYTHON_OK && l.version == 0x030c01f0 &&
			    l.runtime == addr, "symbols in .symtab only, "
			    "executable python3.12: found, version 0x%08x, "
			    "_PyRuntime at 0x%" PRIx64 " (printed 0x%lx)",
			    l.version, l.runtime, addr);
		else
			is_int(rc, PYTHON_NOT_PYTHON, "the same named server: "
			    "not python (.symtab is read only for python*)");
		free(cause);
		cause = NULL;
		pyt_kill(&p);
		unlink(path);
	}
}

int
main(void)
{
	char dir[512];

	test_synthetic_314();
	test_synthetic_313();
	test_not_python();
	test_old(9);
	test_old(10);
	test_embedded(12, false);
	test_embedded(13, false);
	test_embedded(12, true);
	if (pyt_tmpdir(dir, sizeof dir) == 0) {
		test_symtab(dir);
		pyt_rmdir(dir, NULL);
	}
	return done_testing();
}
