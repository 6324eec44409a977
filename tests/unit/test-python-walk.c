/* SPDX-License-Identifier: MIT */
/* The python module on real interpreters: each CPython 3.11+ installed
 * here (pyenv's 3.11, 3.12, 3.13 with a shared libpython, Debian's
 * python3.11 with libpython linked in) runs a script with known chains:
 * the main thread through a method, a generator expression, a lambda and
 * non-ASCII names (UCS1, UCS2, UCS4) into time.sleep; a thread 45
 * recursions deep under a list comprehension (a frame of its own in 3.11
 * only); one 300 deep (cut at 256); one running Python. Asserts the
 * probe, the walker (chains, entry frames against gdb's count of
 * activations, tid matching) and the namer (names, first lines,
 * executing lines); prints the walk and namer costs. A version absent
 * here is a SKIP with the reason. */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "python-util.h"

/* Line numbers below are this text's: keep them in step. */
static const char script[] =
	"import threading, time\n"				/* 1 */
	"\n"
	"def inner():\n"					/* 3 */
	"    ready.set()\n"
	"    time.sleep(60)\n"					/* 5 */
	"\n"
	"def \xe5\x87\xbd\xe6\x95\xb0():\n"			/* 7: 函数 */
	"    inner()\n"						/* 8 */
	"\n"
	"def gr\xc3\xbc\xc3\x9f" "e():\n"		/* 10: grüße */
	"    \xe5\x87\xbd\xe6\x95\xb0()\n"			/* 11 */
	"\n"
	"def \xf0\xa0\x80\x80():\n"			/* 13: U+20000 */
	"    gr\xc3\xbc\xc3\x9f" "e()\n"			/* 14 */
	"\n"
	"class Worker:\n"
	"    def method(self):\n"				/* 17 */
	"        return sum(f() for f in (lambda: \xf0\xa0\x80\x80(),))\n"
	"\n"
	"def outer():\n"					/* 20 */
	"    Worker().method()\n"				/* 21 */
	"\n"
	"def main():\n"						/* 23 */
	"    outer()\n"						/* 24 */
	"\n"
	"def recurse(n):\n"					/* 26 */
	"    if n == 0:\n"
	"        deep_ready.set()\n"
	"        time.sleep(60)\n"				/* 29 */
	"    recurse(n - 1)\n"					/* 30 */
	"\n"
	"def deep_main():\n"					/* 32 */
	"    [recurse(45) for _ in (1,)]\n"			/* 33 */
	"\n"
	"def very_deep(n):\n"					/* 35 */
	"    if n == 0:\n"
	"        vdeep_ready.set()\n"
	"        time.sleep(60)\n"				/* 38 */
	"    very_deep(n - 1)\n"				/* 39 */
	"\n"
	"def leafy():\n"					/* 41 */
	"    return 1\n"					/* 42 */
	"\n"
	"def spin():\n"						/* 44 */
	"    while True:\n"
	"        leafy()\n"					/* 46 */
	"\n"
	"ready = threading.Event()\n"
	"deep_ready = threading.Event()\n"
	"vdeep_ready = threading.Event()\n"
	"t = threading.Thread(target=deep_main, name='deep')\n"
	"t.start()\n"
	"v = threading.Thread(target=very_deep, args=(300,), name='vdeep')\n"
	"v.start()\n"
	"b = threading.Thread(target=spin, name='busy', daemon=True)\n"
	"b.start()\n"
	"\n"
	"def report():\n"
	"    ready.wait()\n"
	"    deep_ready.wait()\n"
	"    vdeep_ready.wait()\n"
	"    print('ready', threading.main_thread().native_id, t.native_id,\n"
	"          v.native_id, b.native_id, flush=True)\n"
	"\n"
	"threading.Thread(target=report, daemon=True).start()\n"
	"main()\n";						/* 66 */

struct want {
	const char *qualname;
	int firstlineno, line, entry;
};

/* The main thread, leaf first. Entry frames: <module> (run by
 * PyEval_EvalCode) and the generator expression (resumed by sum(), a C
 * function); every other call here is Python to Python, run by the same
 * _PyEval_EvalFrameDefault activation. */
static const struct want main_chain[] = {
	{ "inner", 3, 5, 0 },
	{ "\xe5\x87\xbd\xe6\x95\xb0", 7, 8, 0 },
	{ "gr\xc3\xbc\xc3\x9f" "e", 10, 11, 0 },
	{ "\xf0\xa0\x80\x80", 13, 14, 0 },
	{ "Worker.method.<locals>.<lambda>", 18, 18, 0 },
	{ "Worker.method.<locals>.<genexpr>", 18, 18, 1 },
	{ "Worker.method", 17, 18, 0 },
	{ "outer", 20, 21, 0 },
	{ "main", 23, 24, 0 },
	{ "<module>", 1, 66, 1 },
};
#define MAIN_N (sizeof main_chain / sizeof main_chain[0])
#define DEEP 45
#define DEEP_N (DEEP + 1 + 1 + 3)	/* recurse, deep_main, threading
					 * (and 3.11's <listcomp>) */

struct interp {
	const char *label;	/* what the report calls it */
	const char *pattern;	/* where it is installed */
	unsigned minor;
	/* Whether Thread.run's call of its target (CALL_FUNCTION_EX) starts
	 * a new _PyEval_EvalFrameDefault activation: yes in 3.11; 3.12 runs
	 * it in the caller's (checked with gdb: one activation). */
	int target_entry;
};

static const struct interp interps[] = {
	{ "pyenv 3.11", "~/.pyenv/versions/3.11.*/bin/python3.11", 11, 1 },
	{ "pyenv 3.12", "~/.pyenv/versions/3.12.*/bin/python3.12", 12, 0 },
	{ "pyenv 3.13", "~/.pyenv/versions/3.13.*/bin/python3.13", 13, 0 },
	{ "Debian 3.11", "/usr/bin/python3.11", 11, 1 },
};

static char script_path[4096];

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Walks tid until its chain is n frames deep and its leaf executes line
 * leaf_line (the thread may still be between Event.set and sleep). */
static int
walk_settled(const struct python_layout *l, struct python_walker *w,
    struct python_namer *nm, pid_t pid, pid_t tid, unsigned n,
    int leaf_line, struct python_chain *c)
{
	uint64_t end = pyt_now_ns() + 3000000000ull;
	int rc;

	do {
		struct python_name nmv;

		rc = python_walk(l, w, pid, tid, c);
		if (rc == 0 && c->n == n && python_namer_lookup(nm,
		    c->frames[0].code, c->frames[0].lasti, 0, &nmv) == 0 &&
		    nmv.line == leaf_line)
			return 0;
		usleep(10000);
	} while (pyt_now_ns() < end);
	return rc ? rc : -1;
}

static void
check_main(const char *v, const struct python_layout *l,
    struct python_walker *w, struct python_namer *nm, pid_t pid, pid_t tid)
{
	struct python_chain c;
	char want_name[sizeof script_path + 256];
	unsigned i, bad = 0;
	int rc;

	rc = walk_settled(l, w, nm, pid, tid, MAIN_N, 5, &c);
	is_int(rc, 0, "%s: main thread walked, %u frames deep", v,
	    (unsigned)MAIN_N);
	is_int(c.n, MAIN_N, "%s: main thread chain length", v);
	is_int(c.nentry, 2, "%s: main thread has two entry frames", v);
	for (i = 0; i < c.n && i < MAIN_N; i++) {
		const struct want *x = &main_chain[i];
		struct python_name nmv;

		rc = python_namer_lookup(nm, c.frames[i].code,
		    c.frames[i].lasti, 1, &nmv);
		snprintf(want_name, sizeof want_name, "%s (%s:%d)",
		    x->qualname, script_path, x->firstlineno);
		if (rc != 0 || strcmp(nmv.qualname, x->qualname) ||
		    strcmp(nmv.file, script_path) ||
		    nmv.firstlineno != x->firstlineno || nmv.line != x->line ||
		    strcmp(nmv.name, want_name) ||
		    !!(c.frames[i].flags & PYTHON_FRAME_ENTRY) != x->entry) {
			bad++;
			diag("frame %u: rc %d %s line %d entry %u; want %s "
			    "line %d entry %d", i, rc, rc ? "?" : nmv.name,
			    rc ? 0 : nmv.line, c.frames[i].flags, want_name,
			    x->line, x->entry);
		}
	}
	is_int(bad, 0, "%s: main thread frames named, first lines, executing "
	    "lines and entry flags exact", v);
}

/* The deep thread: recurse x46, the list comprehension's own frame
 * (3.11 only: 3.12 inlines comprehensions, PEP 709), deep_main, then
 * threading's Thread.run, _bootstrap_inner and _bootstrap (entry: started
 * by C). */
static void
check_deep(const char *v, const struct interp *ip,
    const struct python_layout *l, struct python_walker *w,
    struct python_namer *nm, pid_t pid, pid_t tid)
{
	static const char *const tail[] = { "Thread.run",
	    "Thread._bootstrap_inner", "Thread._bootstrap" };
	unsigned lc = ip->minor == 11, n = DEEP_N + lc, i, bad = 0;
	const struct python_frame *f;
	struct python_chain c;
	struct python_name nmv;
	int rc;

	rc = walk_settled(l, w, nm, pid, tid, n, 29, &c);
	is_int(rc, 0, "%s: deep thread walked by its tid", v);
	is_int(c.n, n, "%s: deep thread has %u frames", v, n);
	for (i = 0; i <= DEEP && i < c.n; i++) {
		rc = python_namer_lookup(nm, c.frames[i].code,
		    c.frames[i].lasti, 1, &nmv);
		if (rc || strcmp(nmv.qualname, "recurse") ||
		    nmv.firstlineno != 26 || nmv.line != (i ? 30 : 29) ||
		    c.frames[i].flags)
			bad++;
	}
	is_int(bad, 0, "%s: 46 recurse frames, lines 29 then 30, none entry",
	    v);
	if (c.n < n)
		return;
	f = &c.frames[DEEP + 1];
	rc = python_namer_lookup(nm, f->code, f->lasti, 1, &nmv);
	if (lc)
		ok(rc == 0 && strcmp(nmv.qualname,
		    "deep_main.<locals>.<listcomp>") == 0 &&
		    nmv.firstlineno == 33 && nmv.line == 33 && !f->flags,
		    "%s: the list comprehension's frame: %s", v,
		    rc ? "?" : nmv.name);
	f += lc;
	rc = python_namer_lookup(nm, f->code, f->lasti, 1, &nmv);
	ok(rc == 0 && strcmp(nmv.qualname, "deep_main") == 0 &&
	    nmv.line == 33 && !!(f->flags & PYTHON_FRAME_ENTRY) ==
	    ip->target_entry, "%s: deep_main at line 33, entry frame: %s", v,
	    ip->target_entry ? "yes" : "no");
	for (i = 0, bad = 0; i < 3; i++) {
		size_t fl;

		f = &c.frames[DEEP + 2 + lc + i];
		rc = python_namer_lookup(nm, f->code, f->lasti, 1, &nmv);
		fl = rc ? 0 : strlen(nmv.file);
		if (rc || strcmp(nmv.qualname, tail[i]) || fl < 12 ||
		    strcmp(nmv.file + fl - 12, "threading.py") ||
		    nmv.line < nmv.firstlineno ||
		    !!(f->flags & PYTHON_FRAME_ENTRY) != (i == 2)) {
			bad++;
			diag("frame %u: %s line %d flags %u", DEEP + 2 + lc + i,
			    rc ? "?" : nmv.name, rc ? 0 : nmv.line, f->flags);
		}
	}
	is_int(bad, 0, "%s: Thread.run, _bootstrap_inner, _bootstrap "
	    "(entry) in threading.py", v);
}

/* Median ns of 1000 walks of tid. */
static uint64_t
walk_median(const struct python_layout *l, struct python_walker *w,
    pid_t pid, pid_t tid, uint64_t *reads)
{
	static uint64_t t[1000];
	static struct python_chain c;
	uint64_t r0 = w->reads;
	unsigned i;

	for (i = 0; i < 1000; i++) {
		uint64_t t0 = pyt_now_ns();

		python_walk(l, w, pid, tid, &c);
		t[i] = pyt_now_ns() - t0;
	}
	*reads = (w->reads - r0) / 1000;
	qsort(t, 1000, sizeof t[0], cmp_u64);
	return t[500];
}

/* Namer costs: a miss (each distinct code object of a fresh namer), a
 * hit in the same epoch (no read) and a hit in a new epoch (one read
 * re-checks the entry). */
static void
namer_figures(const char *v, pid_t pid, const struct python_layout *l,
    const struct python_chain *c)
{
	struct python_namer *nm;
	struct python_namer_stats st;
	struct python_name nmv;
	uint64_t t0, t, misses = 0, miss, hit, check;
	unsigned i, k, rounds = 200;

	for (k = 0, t = 0; k < 20; k++) {
		nm = python_namer_new(pid, l);
		t0 = pyt_now_ns();
		for (i = 0; i < c->n; i++)
			python_namer_lookup(nm, c->frames[i].code,
			    c->frames[i].lasti, 0, &nmv);
		t += pyt_now_ns() - t0;
		python_namer_stats(nm, &st);
		misses += st.misses;
		python_namer_free(nm);
	}
	/* The hits among them cost next to nothing (below). */
	miss = t / (misses ? misses : 1);
	nm = python_namer_new(pid, l);
	t0 = pyt_now_ns();
	for (k = 0; k < rounds; k++)
		for (i = 0; i < c->n; i++)
			python_namer_lookup(nm, c->frames[i].code,
			    c->frames[i].lasti, 7, &nmv);
	hit = (pyt_now_ns() - t0) / (rounds * c->n);
	t0 = pyt_now_ns();
	for (k = 0; k < rounds; k++)
		for (i = 0; i < c->n; i++)
			python_namer_lookup(nm, c->frames[i].code,
			    c->frames[i].lasti, 100 + k, &nmv);
	check = (pyt_now_ns() - t0) / (rounds * c->n);
	python_namer_stats(nm, &st);
	python_namer_free(nm);
	is_int(st.misses + st.stale + st.read_fail, misses / 20,
	    "%s: namer: each code object read once, none stale", v);
	diag("%s: namer: miss %" PRIu64 " ns per code object, hit %" PRIu64
	    " ns, hit re-checked (new epoch) %" PRIu64 " ns", v, miss, hit,
	    check);
}

static void
figures(const char *v, const struct python_layout *l, pid_t pid,
    const pid_t *tids)
{
	static struct python_walker w;
	static struct python_chain c;
	uint64_t m10, m50, m256, r10, r50, r256;
	unsigned n50;

	python_walker_init(&w);
	python_walk(l, &w, pid, tids[1], &c);
	n50 = c.n;
	m10 = walk_median(l, &w, pid, tids[0], &r10);
	m50 = walk_median(l, &w, pid, tids[1], &r50);
	m256 = walk_median(l, &w, pid, tids[2], &r256);
	diag("%s: walk median of 1000: %u frames %" PRIu64 " ns (%" PRIu64
	    " reads), %u frames %" PRIu64 " ns (%" PRIu64 " reads), %u "
	    "(cut) %" PRIu64 " ns (%" PRIu64 " reads)", v, (unsigned)MAIN_N,
	    m10, r10, n50, m50, r50, PYTHON_MAX_DEPTH, m256, r256);
	/* Reads, not time, are what the window saves, and they do not
	 * depend on the machine: a frame per read would be 50 and 256. */
	ok(r50 <= 6 && r256 <= 24, "%s: 50 frames in %" PRIu64 " reads, 256 "
	    "in %" PRIu64 " (the window holds many frames per read)", v, r50,
	    r256);
	if (python_walk(l, &w, pid, tids[1], &c) == 0)
		namer_figures(v, pid, l, &c);
}

/* The native side of the merge: counts, with gdb, the
 * _PyEval_EvalFrameDefault activations of threads a and b (gdb attaches
 * for a moment and detaches; both threads sleep, so their stacks hold).
 * Returns -1 without gdb. */
static int
gdb_evals(pid_t pid, pid_t a, pid_t b, int *na, int *nb)
{
	char cmd[256], line[1024];
	int cur = 0, seen = 0;
	FILE *f;

	*na = *nb = 0;
	snprintf(cmd, sizeof cmd, "gdb -nx -batch -p %d -ex 'set pagination "
	    "off' -ex 'thread apply all bt' 2>/dev/null", (int)pid);
	if (!(f = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof line, f)) {
		const char *lwp = strstr(line, "(LWP ");

		if (strncmp(line, "Thread ", 7) == 0 && lwp) {
			cur = atoi(lwp + 5);
			seen++;
		} else if (strstr(line, " _PyEval_EvalFrameDefault ")) {
			*na += cur == a;
			*nb += cur == b;
		}
	}
	pclose(f);
	return seen ? 0 : -1;
}

static void
check_against_gdb(const char *v, const struct python_layout *l,
    struct python_walker *w, pid_t pid, pid_t main_tid, pid_t deep_tid)
{
	struct python_chain cm, cd;
	int nm, nd;

	if (python_walk(l, w, pid, main_tid, &cm) < 0 ||
	    python_walk(l, w, pid, deep_tid, &cd) < 0 ||
	    gdb_evals(pid, main_tid, deep_tid, &nm, &nd) < 0) {
		skip("no gdb here (or it cannot attach)", "%s: entry frames "
		    "against native activations", v);
		return;
	}
	ok(nm == cm.nentry && nd == cd.nentry, "%s: entry frames = gdb's "
	    "_PyEval_EvalFrameDefault activations (main %d/%u, deep %d/%u)",
	    v, nm, cm.nentry, nd, cd.nentry);
}

static int
parse_ready(const char *line, pid_t *tids)
{
	int a, b, c, d;

	if (sscanf(line, "ready %d %d %d %d", &a, &b, &c, &d) != 4)
		return -1;
	tids[0] = a;
	tids[1] = b;
	tids[2] = c;
	tids[3] = d;
	return 0;
}

/* One chain of the busy thread, named: spin (line 46, or 45 where the
 * loop jumps back), maybe leafy (41 or 42) above it, then threading's
 * three frames. */
static bool
busy_chain_ok(struct python_namer *nm, const struct python_chain *c,
    uint64_t epoch)
{
	static const char *const tail[] = { "spin", "Thread.run",
	    "Thread._bootstrap_inner", "Thread._bootstrap" };
	struct python_name n;
	unsigned i = 0, k;

	if (c->n < 4 || c->n > 5)
		return false;
	if (c->n == 5) {
		if (python_namer_lookup(nm, c->frames[0].code,
		    c->frames[0].lasti, epoch, &n) < 0 ||
		    strcmp(n.qualname, "leafy") || n.line < 41 || n.line > 42)
			return false;
		i = 1;
	}
	for (k = 0; k < 4; k++, i++)
		if (python_namer_lookup(nm, c->frames[i].code,
		    c->frames[i].lasti, epoch, &n) < 0 ||
		    strcmp(n.qualname, tail[k]) ||
		    (k == 0 && n.line != 45 && n.line != 46))
			return false;
	return true;
}

/* A thread running Python (no stop: what the perf backend does): the
 * chain changes while it is read, so a walk may fail, but a walk that
 * succeeds must be right. */
static void
check_busy(const char *v, const struct python_layout *l,
    struct python_walker *w, struct python_namer *nm, pid_t pid, pid_t tid)
{
	static struct python_chain c;
	unsigned i, good = 0, failed = 0, wrong = 0, leafy = 0;

	for (i = 0; i < 2000; i++) {
		if (python_walk(l, w, pid, tid, &c) < 0) {
			failed++;
			continue;
		}
		if (busy_chain_ok(nm, &c, i)) {
			good++;
			leafy += c.n == 5;
		} else {
			wrong++;
		}
	}
	diag("%s: running thread: %u of 2000 walks right (%u in leafy), %u "
	    "failed, %u wrong", v, good, leafy, failed, wrong);
	ok(good >= 1000 && wrong <= 20, "%s: a running thread: %u of 2000 "
	    "walks exact, %u read a chain changing under them", v, good,
	    wrong);
}

/* 300 recursions: the walk stops at PYTHON_MAX_DEPTH, says so, and the
 * merge refuses the cut chain. */
static void
check_truncated(const char *v, const struct python_layout *l,
    struct python_walker *w, struct python_namer *nm, pid_t pid, pid_t tid)
{
	struct python_chain c;
	struct python_merged out[8];
	uint8_t is_eval[2] = { 1, 1 };
	int rc;

	rc = walk_settled(l, w, nm, pid, tid, PYTHON_MAX_DEPTH, 38, &c);
	ok(rc == 0 && c.n == PYTHON_MAX_DEPTH &&
	    (c.flags & PYTHON_CHAIN_TRUNCATED), "%s: 300 deep: %u frames "
	    "read, flagged truncated", v, c.n);
	is_int(python_merge(is_eval, 2, &c, out, 8), PYTHON_MERGE_TRUNCATED,
	    "%s: the merge refuses the cut chain", v);
}

static void
run_interp(const struct interp *ip)
{
	static struct python_walker w;
	struct python_layout l;
	struct python_namer *nm;
	struct python_chain c;
	struct pyt_proc p;
	char exe[1024], line[256], *cause = NULL;
	char *argv[4];
	pid_t tids[4] = { 0 }, main_tid, deep_tid;
	const char *v = ip->label;
	uint64_t t0;
	int rc;

	if (pyt_find(ip->pattern, exe, sizeof exe) < 0) {
		skip("not installed here", "%s (%s)", v, ip->pattern);
		return;
	}
	argv[0] = exe;
	argv[1] = (char *)"-u";
	argv[2] = script_path;
	argv[3] = NULL;
	if (pyt_spawn(&p, argv) < 0 || pyt_line(&p, line, sizeof line,
	    20000) < 0 || parse_ready(line, tids) < 0) {
		ok(0, "%s: %s runs the script and says ready", v, exe);
		pyt_kill(&p);
		return;
	}
	main_tid = tids[0];
	deep_tid = tids[1];
	t0 = pyt_now_ns();
	rc = python_probe(p.pid, &l, &cause);
	t0 = pyt_now_ns() - t0;
	is_int(rc, PYTHON_OK, "%s: probe finds CPython (%s)", v,
	    cause ? cause : "no cause");
	diag("%s: probe: %" PRIu64 " us", v, t0 / 1000);
	free(cause);
	if (rc != PYTHON_OK) {
		pyt_kill(&p);
		return;
	}
	is_int((l.version >> 16) & 0xff, ip->minor, "%s: version 3.%u "
	    "(0x%08x)", v, ip->minor, l.version);
	ok(l.code_type != 0, "%s: PyCode_Type found (the namer checks every "
	    "code object's type against it)", v);
	python_walker_init(&w);
	nm = python_namer_new(p.pid, &l);
	check_main(v, &l, &w, nm, p.pid, main_tid);
	check_deep(v, ip, &l, &w, nm, p.pid, deep_tid);
	check_truncated(v, &l, &w, nm, p.pid, tids[2]);
	check_busy(v, &l, &w, nm, p.pid, tids[3]);
	is_int(python_walk(&l, &w, p.pid, p.pid + 100000, &c), -ENOENT,
	    "%s: a tid with no thread state: -ENOENT", v);
	check_against_gdb(v, &l, &w, p.pid, main_tid, deep_tid);
	figures(v, &l, p.pid, tids);
	python_namer_free(nm);
	pyt_kill(&p);
}

int
main(void)
{
	char dir[4096];
	size_t i;

	if (pyt_tmpdir(dir, sizeof dir) < 0 || pyt_write(dir, "chains.py",
	    script, script_path, sizeof script_path) < 0) {
		printf("Bail out! cannot write the script\n");
		return 1;
	}
	for (i = 0; i < sizeof interps / sizeof interps[0]; i++)
		run_interp(&interps[i]);
	pyt_rmdir(dir, "chains.py");
	return done_testing();
}
