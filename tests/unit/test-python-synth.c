/* SPDX-License-Identifier: MIT */
/* The walker and the namer on structures built in this process's own
 * memory (read back through process_vm_readv of our pid), where a test
 * can do what a live interpreter does rarely or never on cue: reuse a
 * thread state for another thread, free a code object and put another at
 * its address, loop a frame chain or a thread list, point at nothing.
 * Also the location table's five entry forms. */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "python-util.h"

/* A layout of our own choosing for the fake objects below. */
static struct python_layout L = {
	.version = 0x030c00f0,
	.rt_interp_head = 8, .is_next = 0, .is_threads_head = 16,
	.ts_next = 8, .ts_native_tid = 24, .ts_frame = 32,
	.cf_current = PYTHON_NO_FIELD,
	.fr_previous = 8, .fr_code = 0, .fr_instr = 16, .fr_owner = 24,
	.fr_is_entry = PYTHON_NO_FIELD,
	.owner_shim_lo = 3, .owner_shim_hi = 3,
	.ob_type = 8, .co_filename = 16, .co_qualname = 24,
	.co_linetable = 32, .co_firstlineno = 40, .co_code_adaptive = 64,
	.bytes_size = 16, .bytes_sval = 32,
	.str_length = 16, .str_state = 32, .str_ascii_size = 40,
	.str_compact_size = 56,
};

#define U64(p, off) (*(uint64_t *)((char *)(p) + (off)))

/* Objects of 256 bytes, 16-aligned, zeroed. */
struct obj {
	_Alignas(16) unsigned char b[256];
};

static struct obj runtime, interp, ts[3], fr[8], code[4], str[10], tab[2];

/* ---- frames and thread states ---------------------------------------- */

static void
frame_set(struct obj *f, struct obj *prev, struct obj *c, int lasti,
    uint8_t owner)
{
	memset(f, 0, sizeof *f);
	U64(f, L.fr_previous) = (uintptr_t)prev;
	U64(f, L.fr_code) = (uintptr_t)c;
	U64(f, L.fr_instr) = (uintptr_t)c + L.co_code_adaptive + 2 * lasti;
	f->b[L.fr_owner] = owner;
}

static void
tstate_set(struct obj *t, struct obj *next, pid_t tid, struct obj *frame)
{
	memset(t, 0, sizeof *t);
	U64(t, L.ts_next) = (uintptr_t)next;
	U64(t, L.ts_native_tid) = (uint64_t)tid;
	U64(t, L.ts_frame) = (uintptr_t)frame;
}

static void
test_walk_chain(struct python_walker *w)
{
	struct python_chain c;
	int rc;

	/* Leaf first: fr0 fr1 fr2 [shim] fr4 fr5 [shim]. */
	frame_set(&fr[6], NULL, NULL, 0, 3);
	frame_set(&fr[5], &fr[6], &code[1], 7, 0);
	frame_set(&fr[4], &fr[5], &code[0], 3, 0);
	frame_set(&fr[3], &fr[4], NULL, 0, 3);
	frame_set(&fr[2], &fr[3], &code[1], 1, 1);
	frame_set(&fr[1], &fr[2], &code[0], 2, 0);
	frame_set(&fr[0], &fr[1], &code[0], 5, 0);
	tstate_set(&ts[0], &ts[1], 100, &fr[0]);
	tstate_set(&ts[1], NULL, 101, NULL);
	U64(&interp, L.is_threads_head) = (uintptr_t)&ts[0];
	U64(&runtime, L.rt_interp_head) = (uintptr_t)&interp;

	rc = python_walk(&L, w, getpid(), 100, &c);
	is_int(rc, 0, "chain: walked");
	is_int(c.n, 5, "chain: 5 frames, the 2 shims skipped");
	is_int(c.nentry, 2, "chain: 2 entry frames");
	ok(c.frames[2].flags == PYTHON_FRAME_ENTRY &&
	    c.frames[4].flags == PYTHON_FRAME_ENTRY && !c.frames[0].flags &&
	    !c.frames[1].flags && !c.frames[3].flags,
	    "chain: the frame before each shim is the entry frame");
	ok(c.frames[0].code == (uintptr_t)&code[0] && c.frames[0].lasti == 5 &&
	    c.frames[4].code == (uintptr_t)&code[1] && c.frames[4].lasti == 7,
	    "chain: code addresses and instruction indexes");
	is_int(python_walk(&L, w, getpid(), 101, &c), 0,
	    "a thread state without frames: walked");
	is_int(c.n, 0, "a thread state without frames: empty chain");
}

static void
test_walk_tid_cache(struct python_walker *w)
{
	struct python_chain c;
	uint64_t scans = w->scans;

	python_walk(&L, w, getpid(), 100, &c);
	python_walk(&L, w, getpid(), 100, &c);
	is_int(w->scans, scans, "tid cache: a known tid scans nothing");
	/* CPython reuses thread states: 100's now belongs to 200. */
	U64(&ts[0], L.ts_native_tid) = 200;
	is_int(python_walk(&L, w, getpid(), 100, &c), -ENOENT,
	    "tid cache: the cached state no longer says 100: -ENOENT");
	is_int(python_walk(&L, w, getpid(), 200, &c), 0,
	    "tid cache: 200 found in the reused state");
	is_int(c.n, 5, "tid cache: with its chain");
	U64(&ts[0], L.ts_native_tid) = 100;
}

static void
test_walk_bounds(struct python_walker *w)
{
	struct python_chain c;
	uint64_t t0;
	int rc;

	/* A frame whose previous is itself: cut, not looped forever. */
	frame_set(&fr[7], &fr[7], &code[0], 0, 0);
	U64(&ts[1], L.ts_frame) = (uintptr_t)&fr[7];
	rc = python_walk(&L, w, getpid(), 101, &c);
	ok(rc == 0 && c.n == PYTHON_MAX_DEPTH &&
	    (c.flags & PYTHON_CHAIN_TRUNCATED), "a looping chain: %u frames, "
	    "truncated", c.n);
	/* A frame pointing nowhere: -EFAULT with what was read. */
	U64(&fr[7], L.fr_previous) = 0x10;
	rc = python_walk(&L, w, getpid(), 101, &c);
	ok(rc == -EFAULT && c.n == 1, "a chain into unmapped memory: -EFAULT "
	    "after 1 frame (rc %d, n %u)", rc, c.n);
	U64(&ts[1], L.ts_frame) = 0;
	/* A thread list looping on itself, tid absent: given up at once. */
	U64(&ts[1], L.ts_next) = (uintptr_t)&ts[1];
	is_int(python_walk(&L, w, getpid(), 999, &c), -ENOENT,
	    "a thread state pointing at itself: -ENOENT");
	/* A loop of two not through the head: bounded by the scan's cap. */
	tstate_set(&ts[2], &ts[1], 102, NULL);
	U64(&ts[1], L.ts_next) = (uintptr_t)&ts[2];
	t0 = pyt_now_ns();
	rc = python_walk(&L, w, getpid(), 999, &c);
	is_int(rc, -ENOENT, "a thread list looping in the middle: -ENOENT");
	diag("a looping thread list given up after %" PRIu64 " us",
	    (pyt_now_ns() - t0) / 1000);
	U64(&ts[1], L.ts_next) = 0;
	/* A runtime that points nowhere. */
	U64(&runtime, L.rt_interp_head) = 0x10;
	is_int(python_walk(&L, w, getpid(), 999, &c), -EFAULT,
	    "an unreadable interpreter: -EFAULT");
	U64(&runtime, L.rt_interp_head) = (uintptr_t)&interp;
}

/* ---- strings, code objects, the namer -------------------------------- */

/* A compact str of kind 1, 2 or 4 (ascii: kind 1, all < 128). */
static void
str_set(struct obj *s, const uint32_t *cps, size_t n, unsigned kind,
    int ascii)
{
	size_t off = ascii ? L.str_ascii_size : L.str_compact_size, i;

	memset(s, 0, sizeof *s);
	U64(s, L.str_length) = n;
	*(uint32_t *)(s->b + L.str_state) = kind << 2 | 1u << 5 |
	    (unsigned)ascii << 6;
	for (i = 0; i < n; i++)
		memcpy(s->b + off + i * kind, &cps[i], kind);
}

static void
str_ascii(struct obj *s, const char *text)
{
	uint32_t cps[128];
	size_t i;

	for (i = 0; text[i]; i++)
		cps[i] = (unsigned char)text[i];
	str_set(s, cps, i, 1, 1);
}

static void
code_set(struct obj *c, struct obj *qual, struct obj *file, struct obj *t,
    int firstlineno)
{
	memset(c, 0, sizeof *c);
	U64(c, L.ob_type) = 0x1234560;
	U64(c, L.co_qualname) = (uintptr_t)qual;
	U64(c, L.co_filename) = (uintptr_t)file;
	U64(c, L.co_linetable) = (uintptr_t)t;
	*(int32_t *)(c->b + L.co_firstlineno) = firstlineno;
}

/* A line table: 3 code units on the first line, then 2 one line further
 * (both short-form entries: no line delta, then a one-line delta). */
static void
table_set(struct obj *t)
{
	static const unsigned char bytes[] = { 0x80 | 13 << 3 | 2, 0x00,
	    0x80 | 11 << 3 | 1, 0x00, 0x04 };

	memset(t, 0, sizeof *t);
	U64(t, L.bytes_size) = sizeof bytes;
	memcpy(t->b + L.bytes_sval, bytes, sizeof bytes);
}

static void
test_namer_strings(struct python_namer *nm)
{
	static const uint32_t ucs1[] = { 'g', 'r', 0xfc, 0xdf, 'e' };
	static const uint32_t ucs2[] = { 0x51fd, 0x6570 };
	static const uint32_t ucs4[] = { 'f', 0x20000, 0x1f600 };
	struct python_name n;
	int rc;

	str_ascii(&str[0], "Outer.method.<locals>.<lambda>");
	str_ascii(&str[1], "pkg/job.py");
	table_set(&tab[0]);
	code_set(&code[0], &str[0], &str[1], &tab[0], 40);
	rc = python_namer_lookup(nm, (uintptr_t)&code[0], 4, 1, &n);
	is_int(rc, 0, "ascii: named");
	is_str(n.name, "Outer.method.<locals>.<lambda> (pkg/job.py:40)",
	    "name as py-spy --function: qualname (file:firstlineno)");
	is_int(n.line, 41, "instruction 4: past the first 3 units, line 41");
	python_namer_lookup(nm, (uintptr_t)&code[0], 0, 1, &n);
	is_int(n.line, 40, "instruction 0: line 40");
	python_namer_lookup(nm, (uintptr_t)&code[0], -1, 1, &n);
	is_int(n.line, 40, "not started (-1): the first line");
	python_namer_lookup(nm, (uintptr_t)&code[0], 9, 1, &n);
	is_int(n.line, 0, "past the table: unknown (0)");

	str_set(&str[2], ucs1, 5, 1, 0);
	str_set(&str[3], ucs2, 2, 2, 0);
	str_set(&str[4], ucs4, 3, 4, 0);
	code_set(&code[1], &str[2], &str[3], &tab[0], 1);
	rc = python_namer_lookup(nm, (uintptr_t)&code[1], 0, 1, &n);
	is_str(rc == 0 ? n.qualname : NULL, "gr\xc3\xbc\xc3\x9f" "e",
	    "UCS1 (Latin-1) qualname to UTF-8");
	is_str(rc == 0 ? n.file : NULL, "\xe5\x87\xbd\xe6\x95\xb0",
	    "UCS2 file name to UTF-8");
	code_set(&code[1], &str[4], &str[1], &tab[0], 1);
	rc = python_namer_lookup(nm, (uintptr_t)&code[1], 0, 2, &n);
	is_str(rc == 0 ? n.qualname : NULL, "f\xf0\xa0\x80\x80\xf0\x9f\x98\x80",
	    "UCS4 qualname to UTF-8 (code object reused, new epoch)");
	/* A str that is not compact (never a code object's) is refused. */
	*(uint32_t *)(str[4].b + L.str_state) &= ~(1u << 5);
	code_set(&code[1], &str[4], &str[1], &tab[0], 2);
	is_int(python_namer_lookup(nm, (uintptr_t)&code[1], 0, 3, &n),
	    -EFAULT, "a non-compact str: -EFAULT");
}

static void
test_namer_reuse(struct python_namer *nm)
{
	struct python_namer_stats st0, st;
	struct python_name n;

	str_ascii(&str[5], "first");
	code_set(&code[0], &str[5], &str[1], &tab[0], 10);
	python_namer_lookup(nm, (uintptr_t)&code[0], 0, 10, &n);
	is_str(n.qualname, "first", "reuse: the first code object");
	python_namer_stats(nm, &st0);
	/* Freed; another code object at the same address. */
	str_ascii(&str[0], "second");
	code_set(&code[0], &str[0], &str[1], &tab[0], 20);
	python_namer_lookup(nm, (uintptr_t)&code[0], 0, 10, &n);
	is_str(n.qualname, "first", "reuse: same epoch: the cached name, no "
	    "read (the caller chose how often to check)");
	python_namer_lookup(nm, (uintptr_t)&code[0], 0, 11, &n);
	is_str(n.name, "second (pkg/job.py:20)", "reuse: new epoch: the "
	    "header re-read shows another code object, named anew");
	python_namer_stats(nm, &st);
	is_int(st.stale - st0.stale, 1, "reuse: counted stale once");
	python_namer_lookup(nm, (uintptr_t)&code[0], 0, 12, &n);
	python_namer_stats(nm, &st0);
	is_int(st0.stale - st.stale + st0.misses - st.misses, 0,
	    "reuse: unchanged next epoch: a hit");
	is_int(python_namer_lookup(nm, 0x10, 0, 12, &n), -EFAULT,
	    "an unreadable code object: -EFAULT");
	/* Freed again, and now something else than a code object. */
	U64(&code[0], L.ob_type) = 0x7777770;
	is_int(python_namer_lookup(nm, (uintptr_t)&code[0], 0, 13, &n),
	    -EFAULT, "reuse: an object of another type than PyCode_Type: "
	    "-EFAULT");
}

/* A pid no process has: a child's, reaped. */
static pid_t
dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

/* A code object captured (the sampler's python_code_capture) names its
 * code in a namer of a process that is gone: the worker names samples
 * late, after a short-lived child's exit. */
static void
test_namer_learn(void)
{
	struct python_code_capture cap;
	struct python_namer *gone = python_namer_new(dead_pid(), &L);
	struct python_name n;
	int rc;

	str_ascii(&str[6], "short_lived");
	str_ascii(&str[7], "child.py");
	table_set(&tab[1]);
	code_set(&code[2], &str[6], &str[7], &tab[1], 7);
	is_int(python_code_capture(&L, getpid(), (uintptr_t)&code[2], &cap),
	    0, "capture: read");
	is_int((int)(cap.have[0] > 0 && cap.have[1] > 0 && cap.have[2] > 0),
	    1, "capture: the first bytes of its three objects");
	is_int(python_namer_lookup(gone, (uintptr_t)&code[2], 4, 1, &n) < 0,
	    1, "a gone process: not named without a capture");
	is_int(python_namer_learn(gone, &cap, 1), 0, "learnt");
	rc = python_namer_lookup(gone, (uintptr_t)&code[2], 4, 1, &n);
	is_str(rc == 0 ? n.name : NULL, "short_lived (child.py:7)",
	    "a learnt code is named in its epoch");
	is_int(rc == 0 ? n.line : -1, 8, "... with its line (the table was "
	    "captured)");
	rc = python_namer_lookup(gone, (uintptr_t)&code[2], 0, 5, &n);
	is_str(rc == 0 ? n.name : NULL, "short_lived (child.py:7)",
	    "a later epoch: the process is gone, the learnt name stands");
	/* Another code at that address, captured: it replaces the first. */
	code_set(&code[2], &str[7], &str[7], &tab[1], 70);
	python_code_capture(&L, getpid(), (uintptr_t)&code[2], &cap);
	python_namer_learn(gone, &cap, 6);
	rc = python_namer_lookup(gone, (uintptr_t)&code[2], 0, 6, &n);
	is_str(rc == 0 ? n.name : NULL, "child.py (child.py:70)",
	    "a new capture at the address replaces the old name");
	/* Not a code object where the probe found PyCode_Type. */
	U64(&code[2], L.ob_type) = 0x7777770;
	is_int(python_code_capture(&L, getpid(), (uintptr_t)&code[2], &cap),
	    -EFAULT, "capture: another type refused");
	python_namer_free(gone);
}

/* A sample's code object can be freed and its address reused by other
 * code before the worker names the sample: a learnt entry stands however
 * late the lookup (the sampler captured it just before the sample), until
 * a new capture or a forget; the sampler sees the reuse by fingerprint. */
static void
test_namer_trusts_learnt(void)
{
	struct python_code_capture cap, forget = { 0 };
	struct python_namer *live = python_namer_new(getpid(), &L);
	struct python_chain chain = { .n = 2 };
	struct python_name n;
	uint64_t fp[2], fp_then;
	int rc;

	str_ascii(&str[8], "addsitedir");
	str_ascii(&str[9], "site.py");
	code_set(&code[3], &str[8], &str[9], &tab[1], 20);
	chain.frames[0].code = (uintptr_t)&code[3];
	python_chain_fingerprints(&L, getpid(), &chain, fp);
	fp_then = fp[0];
	is_int((int)(fp[0] != 0 && fp[1] == 0), 1,
	    "fingerprints: a code object's is not 0, a frame without one's is");
	python_code_capture(&L, getpid(), (uintptr_t)&code[3], &cap);
	python_namer_learn(live, &cap, 1);
	/* Freed, and other code made at its address. */
	code_set(&code[3], &str[6], &str[7], &tab[1], 7);
	python_chain_fingerprints(&L, getpid(), &chain, fp);
	is_int((int)(fp[0] != 0 && fp[0] != fp_then), 1,
	    "fingerprints: other code at the address changes it");
	rc = python_namer_lookup(live, (uintptr_t)&code[3], 0, 9, &n);
	is_str(rc == 0 ? n.name : NULL, "addsitedir (site.py:20)",
	    "a learnt entry stands in a later epoch: the live object is not "
	    "the sample's");
	forget.code = (uintptr_t)&code[3];
	is_int(python_namer_learn(live, &forget, 9), 0, "a forget learnt");
	rc = python_namer_lookup(live, (uintptr_t)&code[3], 0, 9, &n);
	is_str(rc == 0 ? n.name : NULL, "short_lived (child.py:7)",
	    "after a forget the entry is read from the process");
	U64(&code[3], L.ob_type) = 0x7777770;
	python_chain_fingerprints(&L, getpid(), &chain, fp);
	is_int((int)fp[0], 0, "fingerprints: not a code object: 0");
	python_namer_free(live);
}

/* ---- the location table ---------------------------------------------- */

static void
test_linetable(void)
{
	/* One entry of each form, one code unit (2 bytes) long but the
	 * second (two). */
	static const unsigned char t[] = {
		0x80 | 13 << 3, 0x04,			/* no columns, +2 */
		0x80 | 10 << 3 | 1, 0x00, 0x05,		/* one-line, 2 units */
		0x80 | 11 << 3, 0x01, 0x02,		/* one-line +1 */
		0x80 | 3 << 3, 0x07,			/* short form */
		0x80 | 14 << 3, 0x05, 0x00, 0x01, 0x02,	/* long, -2 */
		0x80 | 15 << 3,				/* no location */
		0x80 | 13 << 3, 0x48, 0x03,		/* +100, 2 bytes */
	};
	static const int want[] = { 12, 12, 12, 12, 12, 12, 13, 13, 13, 13,
	    11, 11, -1, -1, 111, 111, 0 };
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		int got = python_linetable_line(t, sizeof t, 10, (int)i);

		if (got != want[i]) {
			bad++;
			diag("byte offset %zu: line %d, want %d", i, got,
			    want[i]);
		}
	}
	is_int(bad, 0, "location table: the five entry forms, negative and "
	    "multi-byte deltas, no-location, past the end");
	is_int(python_linetable_line(t, sizeof t, 10, -2), 10,
	    "location table: a negative offset is the first line");
	is_int(python_linetable_line((const unsigned char *)"\x01", 1, 10, 0),
	    -1, "location table: a byte that starts no entry: -1");
}

int
main(void)
{
	static struct python_walker w;
	struct python_namer *nm;

	L.runtime = (uintptr_t)&runtime;
	L.code_type = 0x1234560;	/* code_set's ob_type */
	python_walker_init(&w);
	test_walk_chain(&w);
	test_walk_tid_cache(&w);
	test_walk_bounds(&w);
	nm = python_namer_new(getpid(), &L);
	test_namer_strings(nm);
	test_namer_reuse(nm);
	test_namer_learn();
	test_namer_trusts_learnt();
	python_namer_free(nm);
	test_linetable();
	return done_testing();
}
