/* SPDX-License-Identifier: MIT */
/* Unit tests of the profile module: interning, per-thread trees, views,
 * recursion, windows, reset, the node and thread caps, focus views, and a
 * memory and
 * speed measurement over 1 M unique stacks. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "ctop/profile.h"
#include "../tap.h"

#define SEC UINT64_C(1000000000)

static uint32_t
fid(struct profile *p, const char *name)
{
	struct frame f = { .name = name, .kind = FRAME_FUNC };

	/* "proc", or "PID comm" as under --children and -a. */
	if (strcmp(name, "proc") == 0 || (name[0] >= '0' && name[0] <= '9'))
		f.kind = FRAME_PROCESS;
	return profile_intern(p, &f);
}

/* Adds "proc;a;b;c"-style stacks: names separated by ';'. */
static int
add(struct profile *p, int32_t tid, uint64_t t, const char *stack,
    uint64_t count)
{
	uint32_t ids[64];
	char buf[512], *save, *tok;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", stack);
	for (tok = strtok_r(buf, ";", &save); tok && n < 64;
	    tok = strtok_r(NULL, ";", &save))
		ids[n++] = fid(p, tok);
	return profile_add(p, tid, t, ids, n, count);
}

/* The node at a path of names below the root, or PROFILE_NO_NODE. */
static uint32_t
node_at(const struct pview *v, const char *stack)
{
	char buf[512], *save, *tok;
	uint32_t at = 0, c;

	snprintf(buf, sizeof(buf), "%s", stack);
	for (tok = strtok_r(buf, ";", &save); tok;
	    tok = strtok_r(NULL, ";", &save)) {
		for (c = v->nodes[at].first_child; c != PROFILE_NO_NODE;
		    c = v->nodes[c].next_sibling)
			if (strcmp(v->frames[v->nodes[c].frame].name, tok) == 0)
				break;
		if (c == PROFILE_NO_NODE)
			return c;
		at = c;
	}
	return at;
}

static const struct pview_func *
func_of(const struct pview *v, const char *name)
{
	uint32_t i;

	for (i = 0; i < v->n_funcs; i++)
		if (strcmp(v->frames[v->funcs[i].frame].name, name) == 0)
			return &v->funcs[i];
	return NULL;
}

static uint64_t
total_at(const struct pview *v, const char *stack)
{
	uint32_t n = node_at(v, stack);

	return n == PROFILE_NO_NODE ? 0 : v->nodes[n].total;
}

/* Every node: total = self + children's totals, siblings by decreasing
 * total, links and depths consistent. Returns the number of bad nodes. */
static int
check_tree(const struct pview *v)
{
	uint32_t i, c, bad = 0;

	for (i = 0; i < v->n_nodes; i++) {
		uint64_t sum = v->nodes[i].self, prev = UINT64_MAX;

		for (c = v->nodes[i].first_child; c != PROFILE_NO_NODE;
		    c = v->nodes[c].next_sibling) {
			sum += v->nodes[c].total;
			if (v->nodes[c].total > prev ||
			    v->nodes[c].parent != i ||
			    v->nodes[c].depth != v->nodes[i].depth + 1)
				bad++;
			prev = v->nodes[c].total;
		}
		if (sum != v->nodes[i].total)
			bad++;
	}
	return (int)bad;
}

static void
test_intern(void)
{
	struct profile *p = profile_new(NULL);
	char name[16] = "alpha";
	struct frame f = { .name = name, .module = "libx.so", .file = "x.c",
	    .line = 7, .kind = FRAME_FUNC };
	uint32_t a, b, c, d;

	a = profile_intern(p, &f);
	strcpy(name, "beta");
	b = profile_intern(p, &f);
	strcpy(name, "alpha");
	is_int(a, 0, "first frame id is 0");
	is_int(b, 1, "ids are dense");
	is_int(profile_intern(p, &f), a, "same identity, same id");
	f.module = "liby.so";
	c = profile_intern(p, &f);
	f.kind = FRAME_INLINE;
	d = profile_intern(p, &f);
	ok(c != a && d != c && d == 3, "module and kind are part of the "
	    "identity (ids %u %u %u)", a, c, d);
	is_str(profile_frame(p, a)->name, "alpha", "name copied");
	is_str(profile_frame(p, a)->file, "x.c", "file copied");
	is_int(profile_frame(p, a)->line, 7, "line kept");
	ok(profile_frame(p, 99) == NULL, "unknown id gives NULL");
	profile_free(p);
}

/* -a, --children: each row knows its process, or that several share
 * it; the view counts the process frames under the root. */
static void
test_procs(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *v;

	add(p, 1, 0, "11 ratio;main;work_a", 3);
	add(p, 2, 0, "22 spin;main;spin_hot", 2);
	add(p, 2, 0, "22 spin;memcpy", 1);
	add(p, 1, 0, "11 ratio;memcpy", 1);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(v->n_procs, 2, "two process frames under the root");
	is_str(v->frames[func_of(v, "work_a")->proc].name, "11 ratio",
	    "work_a's process");
	is_str(v->frames[func_of(v, "spin_hot")->proc].name, "22 spin",
	    "spin_hot's process");
	is_int(func_of(v, "main")->proc, PROFILE_NO_FRAME,
	    "main in both: several");
	is_int(func_of(v, "memcpy")->proc, PROFILE_NO_FRAME,
	    "memcpy in both: several");
	pview_unref(v);
	profile_free(p);
	p = profile_new(NULL);
	add(p, 1, 0, "proc;a", 1);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	ok(v->n_procs == 1 && func_of(v, "a")->proc == fid(p, "proc"),
	    "one process: its frame");
	pview_unref(v);
	profile_free(p);
}

static void
test_recursion(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *v;
	const struct pview_func *fa, *fb, *fc;

	add(p, 1, 0, "proc;a;b;a;b;c", 1);
	add(p, 1, 0, "proc;a;c", 2);
	add(p, 1, 0, "proc;a", 4);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(v->total, 7, "view total");
	is_int(v->nodes[0].total, 7, "root total");
	fa = func_of(v, "a");
	fb = func_of(v, "b");
	fc = func_of(v, "c");
	is_int(fa->total, 7, "recursive a: total counted once per stack");
	is_int(fa->self, 4, "a self");
	is_int(fb->total, 1, "recursive b: total counted once");
	is_int(fc->self, 3, "c self over two paths");
	is_int(fc->total, 3, "c total");
	is_int(total_at(v, "proc;a;b;a"), 1, "inner a node total");
	is_int(v->nodes[node_at(v, "proc;a")].self, 4,
	    "interior node keeps its own self");
	is_int(check_tree(v), 0, "self + children = total everywhere");
	is_str(v->frames[v->funcs[0].frame].name, "a",
	    "funcs by decreasing self");
	ok(node_at(v, "proc;a;c") < node_at(v, "proc;a;b"),
	    "children by decreasing total (c=2 before b=1)");
	pview_unref(v);
	profile_free(p);
}

static void
test_threads(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *m, *t1, *t2;
	uint32_t n1, nm;

	add(p, 11, 0, "proc;main;work", 5);
	add(p, 11, 0, "proc;main;idle", 1);
	add(p, 22, 0, "proc;main;work", 3);
	add(p, 22, 0, "proc;io", 2);
	profile_set_thread_name(p, 22, "io-thread-with-a-long-name-past-31-bytes");
	m = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	t1 = profile_view(p, &(struct pview_params){ 11, 0, 0 }, 0);
	t2 = profile_view(p, &(struct pview_params){ 22, 0, 0 }, 0);
	is_int(m->total, 11, "merged total");
	is_int(t1->total, 6, "thread 11 total");
	is_int(t2->total, 5, "thread 22 total");
	is_int(total_at(m, "proc;main;work"), 8, "merged node sums threads");
	is_int(total_at(t1, "proc;main;work"), 5, "per-thread node");
	ok(node_at(t1, "proc;io") == PROFILE_NO_NODE,
	    "other thread's path absent");
	n1 = node_at(t1, "proc;main;work");
	nm = pview_find(m, t1->nodes[n1].id);
	ok(nm == node_at(m, "proc;main;work"),
	    "same path, same id in merged and per-thread views");
	is_int(pview_find(t2, t1->nodes[n1].id), node_at(t2, "proc;main;work"),
	    "same id across threads");
	ok(t1->nodes[0].id == m->nodes[0].id, "root ids equal");
	is_int(m->n_threads, 2, "two threads listed");
	is_int(t1->n_threads, 2, "thread list regardless of tid");
	is_int(m->threads[0].tid, 11, "threads by decreasing samples");
	is_int(m->threads[1].samples, 5, "thread samples");
	is_str(m->threads[1].name, "io-thread-with-a-long-name-past",
	    "name cut at 31 bytes (a Python thread name may be longer than a comm)");
	ok(pview_find(m, 12345) == PROFILE_NO_NODE, "unknown id not found");
	ok(pview_node_frame(m, 0) == NULL, "root has no frame");
	is_str(pview_node_frame(m, nm)->name, "work", "node frame");
	is_int(check_tree(m), 0, "merged tree consistent");
	pview_unref(m);
	pview_unref(t1);
	pview_unref(t2);
	m = profile_view(p, &(struct pview_params){ 99, 0, 0 }, 0);
	ok(m && m->total == 0 && m->n_nodes == 1, "unknown thread: empty");
	pview_unref(m);
	profile_free(p);
}

static void
test_window(void)
{
	struct profile_limits lim = { .window_s = 10 };
	struct profile *p = profile_new(&lim);
	struct pview *v;
	struct profile_stats st;

	add(p, 1, 1 * SEC, "proc;old", 1);
	add(p, 1, 12 * SEC, "proc;mid", 2);
	add(p, 2, 15 * SEC, "proc;new", 4);
	add(p, 1, 20 * SEC, "proc;new", 8);
	v = profile_view(p, &(struct pview_params){ 0, 5, 0 }, 20 * SEC);
	is_int(v->total, 8, "5 s window: (15 s, 20 s], the 15 s entry out");
	is_int(total_at(v, "proc;new"), 8, "window counts the newest");
	ok(node_at(v, "proc;mid") == PROFILE_NO_NODE, "older stack absent");
	is_int(v->time_ns, 20 * SEC, "view time is the newest sample");
	is_int(v->n_threads, 1, "only threads with samples in the window");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 6, 0 }, 20 * SEC);
	is_int(v->total, 12, "6 s window: (14 s, 20 s]");
	is_int(v->n_threads, 2, "both threads in the window");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 30, 0 }, 20 * SEC);
	is_int(v->total, 14, "log keeps window_s = 10 s: 1 s entry expired");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 1, 30, 0 }, 20 * SEC);
	is_int(v->total, 10, "window of one thread");
	is_int(v->n_threads, 2, "thread list still has both");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 30, 0 }, 14 * SEC);
	is_int(v->total, 2, "now_ns anchors the window: newer excluded");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(v->total, 15, "cumulative keeps everything");
	pview_unref(v);

	profile_reset(p);
	profile_get_stats(p, &st);
	is_int(st.samples, 0, "reset: samples zero");
	is_int(st.frames, 4, "reset: frames stay");
	is_int(st.nodes, 2, "reset: only thread roots remain");
	v = profile_view(p, &(struct pview_params){ 0, 30, 0 }, 20 * SEC);
	is_int(v->total, 0, "reset empties the window log");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	ok(v->total == 0 && v->n_nodes == 1 && v->n_funcs == 0 &&
	    v->n_threads == 0, "reset: empty cumulative view");
	pview_unref(v);
	add(p, 1, 21 * SEC, "proc;new", 1);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(total_at(v, "proc;new"), 1, "counting resumes after reset");
	pview_unref(v);
	profile_free(p);
}

static void
test_cap(void)
{
	struct profile_limits lim = { .max_nodes = 5 };
	struct profile *p = profile_new(&lim);
	struct profile_stats st;
	struct pview *v;

	add(p, 1, 0, "proc;a;b", 1);	/* root + 3 nodes */
	add(p, 1, 0, "proc;c", 1);	/* 5 nodes: full */
	add(p, 1, 0, "proc;a;b;d;e", 7);	/* cut at b */
	add(p, 1, 0, "proc;x", 2);	/* cut at proc */
	profile_get_stats(p, &st);
	is_int(st.nodes, 5, "node count stops at max_nodes");
	is_int(st.collapsed, 9, "collapsed samples counted");
	is_int(st.samples, 11, "all samples counted");
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(v->nodes[node_at(v, "proc;a;b")].self, 8,
	    "cut stack counted as self at its deepest known node");
	is_int(v->nodes[node_at(v, "proc")].self, 2, "cut at the first frame");
	is_int(v->total, 11, "nothing lost from the totals");
	is_int(check_tree(v), 0, "tree consistent after cuts");
	pview_unref(v);
	profile_free(p);
}

/* The sample a thread of the given view's thread list holds, or -1. */
static int64_t
thread_samples(const struct pview *v, int32_t tid, const char **name)
{
	for (uint32_t i = 0; i < v->n_threads; i++)
		if (v->threads[i].tid == tid) {
			if (name)
				*name = v->threads[i].name;
			return (int64_t)v->threads[i].samples;
		}
	return -1;
}

/* Past max_threads, new threads share "[other threads]": counts stay
 * exact, per thread up to the cap and in total, in every kind of view,
 * and memory stops growing however many threads come. */
static void
test_thread_cap(void)
{
	struct profile_limits lim = { .max_threads = 100 };
	struct profile *p = profile_new(&lim);
	struct profile_stats st;
	struct pview *v;
	const char *name = NULL;
	uint32_t ids[2] = { fid(p, "proc"), fid(p, "work") };
	unsigned bad = 0;
	size_t bytes;
	int32_t tid;

	profile_set_thread_name(p, 1, "first");
	for (tid = 1; tid <= 1000; tid++)
		profile_add(p, tid, (uint64_t)tid * 1000, ids, 2, 1);
	profile_set_thread_name(p, 500, "late");
	profile_get_stats(p, &st);
	is_int(st.threads, 101, "1000 threads, cap 100: 100 entries and "
	    "[other threads]");
	is_int(st.samples, 1000, "every sample counted");
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	is_int(v->total, 1000, "merged view: all 1000 samples");
	is_int(thread_samples(v, PROFILE_OTHER_THREADS, &name), 900,
	    "[other threads] holds the 900 threads past the cap");
	is_str(name, "[other threads]", "its name, not a late thread's");
	for (tid = 1; tid <= 100; tid++)
		bad += thread_samples(v, tid, NULL) != 1;
	is_int(bad, 0, "threads 1..100 keep their own exact count");
	is_int(thread_samples(v, 500, NULL), -1, "thread 500 has no entry");
	is_int(v->n_threads, 101, "101 rows in the thread list");
	name = NULL;
	thread_samples(v, 1, &name);
	is_str(name, "first", "a thread under the cap keeps its name");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ PROFILE_OTHER_THREADS,
	    0, 0 }, 0);
	is_int(v->total, 900, "[other threads] can be viewed alone");
	is_int(total_at(v, "proc;work"), 900, "with its own tree");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 30, 0 }, 1000 * 1000);
	is_int(v->total, 1000, "window view: all 1000 samples");
	is_int(thread_samples(v, PROFILE_OTHER_THREADS, NULL), 900,
	    "window view: [other threads] counted from the log");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ PROFILE_OTHER_THREADS,
	    30, 0 }, 1000 * 1000);
	is_int(v->total, 900, "window view of [other threads] alone");
	pview_unref(v);

	/* 100000 more threads (no time: the window log is bounded apart). */
	profile_get_stats(p, &st);
	bytes = st.bytes;
	for (tid = 1001; tid <= 101000; tid++)
		profile_add(p, tid, 0, ids, 2, 1);
	profile_get_stats(p, &st);
	ok(st.bytes == bytes && st.threads == 101,
	    "100000 more threads: %zu bytes before, %zu after, %u entries",
	    bytes, st.bytes, st.threads);
	is_int(st.samples, 101000, "101000 samples, each counted");
	v = profile_view(p, &(struct pview_params){ PROFILE_OTHER_THREADS,
	    0, 0 }, 0);
	is_int(v->total, 100900, "[other threads]: 100900 samples");
	pview_unref(v);

	/* Reset keeps the entries, so the cap holds across it. */
	profile_reset(p);
	profile_add(p, 200000, 0, ids, 2, 3);
	profile_add(p, 7, 0, ids, 2, 2);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	ok(v->total == 5 && v->n_threads == 2 &&
	    thread_samples(v, PROFILE_OTHER_THREADS, NULL) == 3 &&
	    thread_samples(v, 7, NULL) == 2,
	    "after reset: a new thread still goes to [other threads] (3), "
	    "thread 7 to its own (2)");
	pview_unref(v);
	profile_free(p);

	/* The default cap: 65536 threads apart; then memory stops. */
	p = profile_new(NULL);
	ids[0] = fid(p, "proc");
	ids[1] = fid(p, "work");
	for (tid = 1; tid <= 65537; tid++)
		profile_add(p, tid, 0, ids, 2, 1);
	profile_get_stats(p, &st);
	bytes = st.bytes;
	for (; tid <= 200000; tid++)
		profile_add(p, tid, 0, ids, 2, 1);
	profile_get_stats(p, &st);
	ok(st.threads == 65537 && st.samples == 200000 && st.bytes == bytes,
	    "default cap: 200000 threads -> %u entries, %llu samples, %zu "
	    "bytes at the cap and after", st.threads,
	    (unsigned long long)st.samples, st.bytes);
	v = profile_view(p, &(struct pview_params){ PROFILE_OTHER_THREADS,
	    0, 0 }, 0);
	is_int(v->total, 200000 - 65536, "default cap: the rest in [other "
	    "threads]");
	pview_unref(v);
	profile_free(p);
}

static void
test_focus(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *v, *f;
	uint32_t ff;

	add(p, 1, 0, "proc;main;f;g", 2);
	add(p, 1, 0, "proc;main;h;f;k", 3);
	add(p, 1, 0, "proc;main;f;f;g", 1);
	add(p, 1, 0, "proc;main;h", 5);
	v = profile_view(p, NULL, 0);
	ff = func_of(v, "f")->frame;
	f = pview_focus(v, ff);
	pview_unref(v);	/* the focus view keeps what it needs */
	ok(f != NULL, "focus view built");
	is_int(f->total, 6, "focus total = f's total (outermost only)");
	is_int(f->nodes[0].first_child, 1, "root has one child");
	ok(f->nodes[1].next_sibling == PROFILE_NO_NODE, "only one child");
	is_int(f->nodes[1].frame, ff, "that child is f");
	is_int(total_at(f, "f;k"), 3, "callees from caller h merged");
	is_int(total_at(f, "f;g"), 2, "callees from caller main merged");
	is_int(total_at(f, "f;f;g"), 1, "recursion kept below");
	is_int(func_of(f, "f")->total, 6, "focus funcs: f counted once");
	is_int(check_tree(f), 0, "focus tree consistent");
	ok(pview_find(f, f->nodes[node_at(f, "f;k")].id) == node_at(f, "f;k"),
	    "find in focus view");
	v = profile_view(p, NULL, 0);
	ok(pview_focus(v, func_of(v, "proc")->frame + 100) == NULL,
	    "unknown frame: NULL");
	pview_ref(f);
	pview_unref(f);
	pview_unref(f);
	pview_unref(v);
	profile_free(p);
}

/* The row of a function in a diff's table view, or UINT32_MAX. */
static uint32_t
diff_row(const struct pdiff *d, const char *name)
{
	uint32_t i;

	for (i = 0; i < d->view->n_funcs; i++)
		if (strcmp(d->view->frames[d->view->funcs[i].frame].name,
		    name) == 0)
			return i;
	return UINT32_MAX;
}

/* Two profiles (two snapshots) of different lengths: shares are per
 * sample of each, frames match by name, a differently named process
 * frame matches the other one, and what only one side has is new or
 * gone. */
static void
test_diff(void)
{
	struct profile *pa = profile_new(NULL), *pb = profile_new(NULL);
	struct pview *a, *b, *fa, *fb;
	struct pdiff *d, *e;
	double dl, bp;
	uint32_t r, n;
	struct frame other = { .name = "other", .kind = FRAME_PROCESS };

	/* Before: 1000 samples, log_debug 40%, work 60%. */
	add(pb, 1, 0, "proc;main;loop;log_debug", 400);
	add(pb, 1, 0, "proc;main;loop;work", 600);
	/* After: 4000 samples named "other"; log_debug gone, work 90%,
	 * fresh 10% new. */
	profile_intern(pa, &other);
	{
		uint32_t ids[4] = { 0, fid(pa, "main"), fid(pa, "loop"),
		    fid(pa, "work") };

		profile_add(pa, 1, 0, ids, 4, 3600);
		ids[3] = fid(pa, "fresh");
		profile_add(pa, 1, 0, ids, 4, 400);
	}
	a = profile_view(pa, NULL, 0);
	b = profile_view(pb, NULL, 0);
	d = pview_diff(a, b, 0, 0);
	ok(d != NULL, "diff built");
	is_int(d->after_all, 4000, "after's samples");
	is_int(d->before_all, 1000, "before's samples");
	r = diff_row(d, "work");
	ok(r < d->n_after_funcs, "work is one of after's rows");
	is_int(pdiff_func(d, r, false, &dl), PDIFF_GREW, "work grew");
	ok(dl > 29.99 && dl < 30.01, "work: +30 points of self (%.3f)", dl);
	r = diff_row(d, "log_debug");
	ok(r >= d->n_after_funcs && r < d->view->n_funcs,
	    "log_debug is a gone row");
	is_int(pdiff_func(d, r, false, &dl), PDIFF_GONE, "log_debug gone");
	ok(dl < -39.99 && dl > -40.01, "log_debug: -40 points (%.3f)", dl);
	r = diff_row(d, "fresh");
	is_int(pdiff_func(d, r, true, &dl), PDIFF_NEW, "fresh is new");
	r = diff_row(d, "loop");
	is_int(pdiff_func(d, r, true, &dl), PDIFF_SAME, "loop: same total");
	ok(dl > -0.01 && dl < 0.01, "loop: 0 points of total");
	n = node_at(a, "other;main;loop;work");
	ok(n != PROFILE_NO_NODE && d->node_base[n] != PROFILE_NO_NODE,
	    "the path through the renamed process frame matched");
	is_int(pdiff_node(d, n, &dl, &bp), PDIFF_GREW, "node work grew");
	ok(bp > 59.99 && bp < 60.01, "node work was 60%% (%.3f)", bp);
	n = node_at(a, "other;main;loop;fresh");
	is_int(pdiff_node(d, n, &dl, &bp), PDIFF_NEW, "node fresh new");
	n = node_at(b, "proc;main;loop;log_debug");
	ok(d->base_node[n] == PROFILE_NO_NODE, "log_debug's node is gone");
	dl = pdiff_gone_below(d, node_at(a, "other;main;loop"));
	ok(dl > 39.99 && dl < 40.01, "40%% gone below loop (%.3f)", dl);
	dl = pdiff_gone_below(d, node_at(a, "other;main;loop;work"));
	ok(dl == 0, "nothing gone below work");
	is_int(d->base_node[node_at(b, "proc;main;loop;work")],
	    node_at(a, "other;main;loop;work"), "work's node matched back");
	/* A focused diff: shares of the whole views. */
	fa = pview_focus(a, func_of(a, "loop")->frame);
	fb = pview_focus(b, pview_frame_lookup(b,
	    &a->frames[func_of(a, "loop")->frame]));
	ok(fb != NULL, "baseline focused by name");
	e = pview_diff(fa, fb, a->total, b->total);
	n = node_at(fa, "loop;work");
	is_int(pdiff_node(e, n, &dl, &bp), PDIFF_GREW, "focused: work grew");
	ok(dl > 29.99 && dl < 30.01, "focused: +30 points of all (%.3f)", dl);
	pdiff_free(e);
	pview_unref(fa);
	pview_unref(fb);
	pdiff_free(d);
	/* Against itself: nothing changed; against nothing: all new. */
	d = pview_diff(a, a, 0, 0);
	for (r = 0, n = 0; r < d->view->n_funcs; r++)
		n += pdiff_func(d, r, false, &dl) != PDIFF_SAME;
	is_int(n, 0, "a view against itself: no change");
	is_int(d->view->n_funcs, a->n_funcs, "no gone rows");
	pdiff_free(d);
	d = pview_diff(a, NULL, 0, 0);
	ok(d && pdiff_func(d, diff_row(d, "work"), false, &dl) == PDIFF_GREW,
	    "an empty baseline: growth");
	pdiff_free(d);
	/* Noise: 3 standard deviations. */
	dl = pdiff_noise(500, 1000, 500, 1000);
	ok(dl > 6.6 && dl < 6.8, "noise of 50%% of 1000 each: 6.7 (%.2f)", dl);
	pview_unref(a);
	pview_unref(b);
	profile_free(pa);
	profile_free(pb);
}

/* The spark: a minute per second before the anchor, whatever the window,
 * with the samples through one frame. */
static void
test_spark(void)
{
	struct profile_limits lim = { .window_s = 60 };
	struct profile *p = profile_new(&lim);
	struct pview *v;
	uint32_t hot;
	int s;

	/* 100 s of samples: "hot" 3 of 4 per second from second 80 on. */
	for (s = 1; s <= 100; s++) {
		add(p, 1, (uint64_t)s * SEC, "proc;main;hot", s >= 80 ? 3 : 0);
		add(p, 2, (uint64_t)s * SEC - SEC / 2, "proc;main;cold", 1);
	}
	v = profile_view(p, NULL, 0);
	hot = func_of(v, "hot")->frame;
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 5, hot + 1 },
	    100 * SEC);
	is_int(v->spark.secs, PVIEW_SPARK_S, "a minute of seconds");
	is_int(v->spark.samples[59], 4, "the last second: 4 samples");
	is_int(v->spark.sel[59], 3, "... 3 of them through hot");
	is_int(v->spark.samples[38], 1, "21 s earlier: cold only");
	is_int(v->spark.sel[38], 0, "... none through hot");
	is_int(v->spark.samples[0], 1, "the oldest second kept");
	is_int(v->total, 20, "the view's own window is 5 s");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 2, 0, hot + 1 },
	    100 * SEC);
	is_int(v->spark.samples[59], 1, "thread 2 alone: its samples");
	is_int(v->spark.sel[59], 0, "... none of them hot");
	pview_unref(v);
	profile_reset(p);
	v = profile_view(p, NULL, 0);
	is_int(v->spark.secs, 0, "no times: no spark");
	pview_unref(v);
	profile_free(p);
}

static void
test_errors(void)
{
	struct profile *p = profile_new(NULL);
	uint32_t bad[2] = { 0, 42 };
	struct pview *v;

	fid(p, "proc");
	is_int(profile_add(p, 1, 0, bad, 2, 1), -EINVAL,
	    "unknown frame id rejected");
	is_int(profile_add(p, 1, 0, NULL, 0, 3), 0, "empty stack accepted");
	v = profile_view(p, NULL, 0);
	ok(v->total == 3 && v->nodes[0].self == 3,
	    "empty stack is the root's self");
	pview_unref(v);
	profile_free(p);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 M unique stacks (shared 3-frame prefix, 1000 mids, a unique leaf
 * pair each): bytes per unique stack, and add rate over known stacks. */
static void
test_scale(void)
{
	struct profile *p = profile_new(NULL);
	struct profile_stats st;
	struct frame f = { .kind = FRAME_FUNC };
	uint32_t ids[20], i, leaf[1000], mid[1000];
	struct pview *v;
	char name[32];
	double t0, t1;
	int fail = 0;

	f.name = "proc";
	f.kind = FRAME_PROCESS;
	ids[0] = profile_intern(p, &f);
	f.kind = FRAME_FUNC;
	f.name = "main";
	ids[1] = profile_intern(p, &f);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "mid%u", i);
		f.name = name;
		mid[i] = profile_intern(p, &f);
		snprintf(name, sizeof(name), "leaf%u", i);
		leaf[i] = profile_intern(p, &f);
	}
	t0 = now_s();
	for (i = 0; i < 1000000 && !fail; i++) {
		ids[2] = mid[i / 1000];
		ids[3] = leaf[i % 1000];
		fail = profile_add(p, 1, 0, ids, 4, 1);
	}
	t1 = now_s();
	profile_get_stats(p, &st);
	is_int(fail, 0, "1 M unique stacks added");
	is_int(st.nodes, 1000000 + 1000 + 3, "one node per unique stack");
	diag("1 M unique stacks: %zu bytes, %.1f bytes/stack, %.1f "
	    "bytes/node, %.0f adds/s", st.bytes, st.bytes / 1e6,
	    (double)st.bytes / st.nodes, 1e6 / (t1 - t0));
	ok(st.bytes / st.nodes < 64, "under 64 bytes per node (%zu)",
	    st.bytes / st.nodes);
	t0 = now_s();
	v = profile_view(p, NULL, 0);
	t1 = now_s();
	ok(v && v->n_nodes == st.nodes && v->total == 1000000 &&
	    v->n_funcs == 2002, "view of 1 M nodes (%u nodes, %u funcs)",
	    v ? v->n_nodes : 0, v ? v->n_funcs : 0);
	diag("profile_view over 1 M nodes: %.0f ms", (t1 - t0) * 1e3);
	{
		/* The TUI rebuilds a diff at every refresh. */
		struct pview *w = profile_view(p, NULL, 0);
		struct pdiff *d;

		t0 = now_s();
		d = pview_diff(v, w, 0, 0);
		t1 = now_s();
		ok(d && d->view->n_funcs == v->n_funcs &&
		    d->node_base[v->n_nodes - 1] == v->n_nodes - 1,
		    "a 1 M node view diffed with its twin: all matched");
		diag("pview_diff of 1 M nodes: %.0f ms", (t1 - t0) * 1e3);
		pdiff_free(d);
		pview_unref(w);
	}
	pview_unref(v);

	/* Deep known stacks with times: the worker's steady state. */
	for (i = 4; i < 20; i++)
		ids[i] = mid[i];
	t0 = now_s();
	for (i = 0; i < 300000 && !fail; i++) {
		ids[19] = leaf[i % 100];
		fail = profile_add(p, (int32_t)(i % 8), SEC + i * 10000u, ids,
		    20, 1);
	}
	t1 = now_s();
	is_int(fail, 0, "300k timed depth-20 samples added");
	diag("depth-20 known stacks with window log: %.0f adds/s",
	    3e5 / (t1 - t0));
	{
		size_t before = st.bytes;

		profile_get_stats(p, &st);
		diag("300k log entries: +%zu bytes (%.1f per entry)",
		    st.bytes - before, (double)(st.bytes - before) / 3e5);
	}
	t0 = now_s();
	v = profile_view(p, &(struct pview_params){ 0, 30, 0 }, 0);
	t1 = now_s();
	ok(v && v->total == 300000 && v->n_threads == 8,
	    "30 s window over 300k log entries");
	diag("window view over 300k log entries: %.0f ms", (t1 - t0) * 1e3);
	pview_unref(v);
	t0 = now_s();
	v = profile_view(p, &(struct pview_params){ 0, 0, mid[10] + 1 }, 0);
	t1 = now_s();
	ok(v && v->spark.sel[PVIEW_SPARK_S - 1] > 0,
	    "cumulative view with the spark of a frame");
	diag("cumulative view of 1 M nodes with a spark over 300k log "
	    "entries: %.0f ms", (t1 - t0) * 1e3);
	pview_unref(v);
	profile_free(p);
}

/* The count of thread tid's samples ending at node n, from the leaves. */
static uint64_t
leaf_count(const struct pview *v, uint32_t n, int32_t tid)
{
	uint32_t i;

	for (i = 0; i < v->n_leaves; i++)
		if (v->leaves[i].node == n && v->leaves[i].tid == tid)
			return v->leaves[i].count;
	return 0;
}

/* Leaves keep threads apart in a merged view, cumulative or windowed,
 * and add up to each node's self. */
static void
test_leaves(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *v, *f;
	uint32_t w, i;
	uint64_t sum = 0;

	add(p, 11, 1 * SEC, "proc;main;work", 5);
	add(p, 22, 2 * SEC, "proc;main;work", 3);
	add(p, 22, 3 * SEC, "proc;io", 2);
	add(p, 11, 4 * SEC, "proc;main;work", 1);
	v = profile_view(p, &(struct pview_params){ 0, 0, 0 }, 0);
	w = node_at(v, "proc;main;work");
	is_int(v->n_leaves, 3, "cumulative: one leaf per (node, thread)");
	is_int(leaf_count(v, w, 11), 6, "thread 11's samples at work");
	is_int(leaf_count(v, w, 22), 3, "thread 22's samples at work");
	is_int(leaf_count(v, node_at(v, "proc;io"), 22), 2, "io is 22's");
	for (i = 0; i < v->n_leaves; i++)
		sum += v->leaves[i].count;
	is_int(sum, v->total, "leaves add up to the total");
	f = pview_focus(v, v->nodes[w].frame);
	ok(f && f->n_leaves == 0 && f->leaves == NULL, "focus: no leaves");
	pview_unref(f);
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 0, 3, 0 }, 4 * SEC);
	w = node_at(v, "proc;main;work");
	is_int(leaf_count(v, w, 11), 1, "window: thread 11 in (1 s, 4 s]");
	is_int(leaf_count(v, w, 22), 3, "window: log entries merged");
	pview_unref(v);
	v = profile_view(p, &(struct pview_params){ 22, 0, 0 }, 0);
	is_int(leaf_count(v, node_at(v, "proc;main;work"), 11), 0,
	    "one thread's view: only its leaves");
	pview_unref(v);
	profile_free(p);
}

/* Locations: one per (address, outermost frame); samples through one
 * frame from two addresses are two profile nodes, one view node, and two
 * pcnode chains that name each address. */
static void
test_locations(void)
{
	struct profile *p = profile_new(NULL);
	uint32_t proc = fid(p, "proc"), main_ = fid(p, "main");
	uint32_t inl = fid(p, "leaf"), work = fid(p, "work"), l1, l2, lm, w;
	struct profile_line at1[] = { { inl, 15 }, { work, 30 } };
	struct profile_line at2[] = { { inl, 16 }, { work, 30 } };
	struct profile_line atm[] = { { main_, 44 } };
	uint32_t ids[] = { proc, main_, work, inl };
	uint32_t locs1[4], locs2[4], i, seen1 = 0, seen2 = 0;
	struct profile_stats st;
	struct pview *v;

	l1 = profile_intern_loc(p, 0x1000, at1, 2);
	l2 = profile_intern_loc(p, 0x1004, at2, 2);
	lm = profile_intern_loc(p, 0x2000, atm, 1);
	is_int(profile_intern_loc(p, 0x1000, at1, 2), l1,
	    "the same (address, function): the same location");
	ok(l1 != l2 && l2 != lm && l1 != lm, "three addresses, three ids");
	is_int(profile_intern_loc(p, 0x1000, atm, 1) == l1, 0,
	    "one address in another function (module): another location");
	is_int(profile_intern_loc(p, 0x1000, at1, 0), PROFILE_NO_LOC,
	    "no frames: no location");
	/* Root first; a location's frames come function first. */
	memcpy(locs1, (uint32_t[]){ PROFILE_NO_LOC, lm, l1, l1 },
	    sizeof(locs1));
	memcpy(locs2, (uint32_t[]){ PROFILE_NO_LOC, lm, l2, l2 },
	    sizeof(locs2));
	is_int(profile_add_locs(p, 1, 0, ids, locs1, 4, 3), 0, "add at 0x1000");
	is_int(profile_add_locs(p, 1, 0, ids, locs2, 4, 2), 0, "add at 0x1004");
	is_int(profile_add(p, 1, 0, ids, 4, 1), 0, "add without locations");
	locs2[2] = 9999;
	is_int(profile_add_locs(p, 1, 0, ids, locs2, 4, 1), -EINVAL,
	    "an unknown location is refused");
	profile_get_stats(p, &st);
	/* root, proc; main at 0x2000 with work and leaf at 0x1000 and at
	 * 0x1004; main, work and leaf without a location. */
	is_int(st.nodes, 2 + 1 + 2 * 2 + 3, "nodes split by location");
	v = profile_view(p, NULL, 0);
	w = node_at(v, "proc;main;work;leaf");
	ok(w != PROFILE_NO_NODE && v->nodes[w].self == 6,
	    "the view merges them: leaf has 6 samples");
	is_int(v->n_locs, 4, "the view has the locations");
	for (i = 0; i < v->n_leaves; i++) {
		const struct pview_pcnode *pc = &v->pcnodes[v->leaves[i].pcnode];
		const struct profile_loc *l;

		if (v->leaves[i].node != w || pc->loc == PROFILE_NO_LOC)
			continue;
		l = &v->locs[pc->loc];
		/* Its chain: leaf, work (same location), main, proc. */
		ok(pc->frame == inl && v->pcnodes[pc->parent].loc == pc->loc &&
		    v->pcnodes[v->pcnodes[pc->parent].parent].loc == lm,
		    "leaf's pcnode chain: leaf and work at one address, "
		    "main at its own");
		if (l->address == 0x1000 && v->leaves[i].count == 3 &&
		    v->lines[l->first].line == 15)
			seen1++;
		if (l->address == 0x1004 && v->leaves[i].count == 2 &&
		    v->lines[l->first].line == 16)
			seen2++;
	}
	ok(seen1 == 1 && seen2 == 1, "leaves by address: 3 at 0x1000 "
	    "(line 15), 2 at 0x1004 (line 16)");
	pview_unref(v);
	profile_free(p);
}

static uint32_t
at_line(struct profile *p, const char *name, uint32_t line)
{
	struct frame f = { .name = name, .module = "m", .file = "m.c",
	    .line = line, .kind = FRAME_FUNC };

	return profile_intern(p, &f);
}

/* The line of a frame's id among the lines of its function. */
static const struct pview_line *
line_of(const struct pview *v, const struct pview_line *l, long n,
    uint32_t line)
{
	long i;

	for (i = 0; i < n; i++)
		if (v->frames[l[i].frame].line == line)
			return &l[i];
	return NULL;
}

/* One function at several lines is one tree node and one table row; its
 * lines count self at the leaf's line and total once per stack. */
static void
test_lines(void)
{
	struct profile *p = profile_new(NULL);
	struct pview *v, *fv;
	struct pview_line *l;
	const struct pview_line *x;
	uint32_t proc, m10, m12, m14, h20, r30, r31, lc;
	long n;

	proc = at_line(p, "proc", 0);
	m10 = at_line(p, "main", 10);
	m12 = at_line(p, "main", 12);
	m14 = at_line(p, "main", 14);
	h20 = at_line(p, "hot", 20);
	r30 = at_line(p, "rec", 30);
	r31 = at_line(p, "rec", 31);
	is_int(at_line(p, "main", 12), m12, "same line, same id");
	ok(m10 != m12 && m12 != m14, "another line, another id");
	/* A location names the function (pprof's Function) and the line. */
	lc = profile_intern_loc(p, 0x5000,
	    (struct profile_line[]){ { h20, 20 }, { m12, 12 } }, 2);
	is_int(profile_intern_loc(p, 0x5000,
	    (struct profile_line[]){ { h20, 20 }, { m14, 14 } }, 2), lc,
	    "a location's key is its address and function, not the line");
	/* main:10 self 5; main:12 calls hot:20 (3); main:14 calls rec:30,
	 * which recurses into itself and ends at rec:31 (2). */
	profile_add(p, 1, 0, (uint32_t[]){ proc, m10 }, 2, 5);
	profile_add(p, 1, 0, (uint32_t[]){ proc, m12, h20 }, 3, 3);
	profile_add(p, 1, 0, (uint32_t[]){ proc, m14, r30, r30, r31 }, 5, 2);
	v = profile_view(p, NULL, 0);
	is_int(v->nodes[0].first_child == PROFILE_NO_NODE ? 0 :
	    v->nodes[v->nodes[0].first_child].next_sibling, PROFILE_NO_NODE,
	    "one node below the process");
	is_int(pview_func_frame(v, m14), m10, "main's function frame");
	ok(v->lines[v->locs[lc].first + 1].frame == m10 &&
	    v->lines[v->locs[lc].first + 1].line == 12,
	    "a location's line holds main's function frame and line 12");
	n = pview_lines(v, m12, &l);
	is_int(n, 3, "main has 3 lines with samples");
	x = line_of(v, l, n, 10);
	ok(x && x->self == 5 && x->total == 5, "main:10 self 5 total 5");
	x = line_of(v, l, n, 12);
	ok(x && x->self == 0 && x->total == 3, "main:12 self 0 total 3");
	ok(x && x->callee == h20, "main:12 calls hot");
	x = line_of(v, l, n, 10);
	ok(x && x->callee == PROFILE_NO_FRAME, "main:10 calls nothing");
	x = line_of(v, l, n, 14);
	ok(x && x->self == 0 && x->total == 2, "main:14 self 0 total 2");
	free(l);
	n = pview_lines(v, r30, &l);
	x = line_of(v, l, n, 30);
	ok(n == 2 && x && x->total == 2 && x->self == 0,
	    "recursion on rec:30 counted once per stack");
	x = line_of(v, l, n, 31);
	ok(x && x->self == 2 && x->total == 2, "rec:31 self 2");
	free(l);
	fv = pview_focus(v, m10);
	n = pview_lines(fv, h20, &l);
	ok(n == 1 && l[0].self == 3, "a focus view reads the lines too");
	free(l);
	pview_unref(fv);
	pview_unref(v);
	profile_reset(p);
	v = profile_view(p, NULL, 0);
	is_int(pview_lines(v, m10, &l), 0, "reset clears the lines");
	pview_unref(v);
	profile_free(p);
}

int
main(void)
{
	test_intern();
	test_lines();
	test_procs();
	test_recursion();
	test_threads();
	test_leaves();
	test_locations();
	test_window();
	test_cap();
	test_thread_cap();
	test_focus();
	test_diff();
	test_spark();
	test_errors();
	test_scale();
	return done_testing();
}
