/* SPDX-License-Identifier: MIT */
/* sampler, perf backend: the thread body. Opens the event set, then
 * polls the per-CPU mmap rings and copies what the kernel wrote into our
 * ring: samples as rec_sample (registers in DWARF order, the stack copy,
 * the kernel's call chain), side-band records as thread, exec, maps and
 * lost records. The target is never stopped. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/diag.h"
#include "gates.h"
#include "perf_internal.h"

/* The longest poll: the rings wake the sampler when half full (perf_open.c)
 * and this bounds the wait when samples come slowly. Longer than the
 * half ring takes to fill at -F 999 with 16 KiB copies (63 ms): a drain
 * at the timeout does not restart the kernel's count towards the
 * watermark, which then woke the sampler again 13 ms later, two wake-ups
 * for one ring's worth (strace: 32 a second at 50 ms and a quarter). */
#define POLL_MS 100
/* A recording's longest poll (sampler_opts.unhurried): each wake-up
 * costs about 0.1 ms of CPU on a VM whatever it drains, and the 10 a
 * second of POLL_MS were half the sampler's CPU on a 60 s recording at
 * 999 Hz (issue 17, goal 3). The target's exit wakes it at once (its
 * pidfd), a full half ring as ever. Not in the first UNHURRIED_AFTER_NS,
 * nor once the target runs code of no file: its samples are named while
 * it lives (a JIT's perf map may go with it; a short run's would all
 * wait for its end). */
#define POLL_UNHURRIED_MS 1000
#define UNHURRIED_AFTER_NS (2000ull * 1000 * 1000)
#define POLL_LEARN_MS 10		/* --stack-size auto, until it decides */
#define HOLD_NAP_MS 50			/* perf_hold: the release's latency */
#define POLL_PY_MS 1
#define PY_IDLE_NS (200ull * 1000 * 1000)	/* no samples: poll slowly */
#define CHECK_NS 100000000ull		/* target exit check */
#define BOUNCE_BYTES 65536		/* records are at most u16 long */
#define SCAN_ROUNDS 64
#define CLOCK_SKEW_NS 1000000000ull	/* see oldest_ring */
#define PF_KTHREAD_FLAG 0x00200000ul	/* include/linux/sched.h */

static void
count(_Atomic uint64_t *c, uint64_t n)
{
	/* Statistics only: relaxed. */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* What the kernel's ring took for one sample: the figure --stack-size
 * auto is about (the record reserves the whole copy asked). */
static void
count_record(struct sampler *s, size_t len)
{
	size_t b = len / SAMPLER_REC_BUCKET;

	count(&s->record_bytes, len);
	count(&s->record_hist[b < SAMPLER_REC_BUCKETS ? b :
	    SAMPLER_REC_BUCKETS - 1], 1);
}

static bool
stopping(struct sampler *s)
{
	return atomic_load_explicit(&s->stop, memory_order_acquire) ||
	    atomic_load_explicit(&s->exited, memory_order_relaxed);
}

static void
set_threads(struct sampler *s, struct perf_state *p)
{
	atomic_store_explicit(&s->threads, (uint32_t)p->ntids,
	    memory_order_relaxed);
}

static void
push_lost(struct sampler *s, uint64_t n)
{
	struct rec_lost l = { util_now_ns(), n };

	if (!ring_push(s->ring, REC_LOST, &l, sizeof l))
		s->lost_pending += n;
}

/* Tells the worker what it must know before the next sample: pending
 * losses and changed mappings. */
static void
flush_side(struct sampler *s, struct perf_state *p)
{
	if (s->lost_pending) {
		uint64_t n = s->lost_pending;

		s->lost_pending = 0;
		push_lost(s, n);
	}
	if (p->maps_dirty) {
		struct rec_thread t;

		/* No time: a file the worker's read finds new has its own
		 * REC_MMAP still to come, which tells when it was mapped;
		 * until then it counts as mapped since the read. */
		memset(&t, 0, sizeof t);
		t.pid = t.tid = s->opts.pid;
		ring_push(s->ring, REC_MAPS_CHANGED, &t, sizeof t);
		sampler__py_maps(s, s->opts.pid);
		p->maps_dirty = false;
	}
}

static uint64_t
record_time(const struct perf_state *p, const void *rec)
{
	const struct perf_event_header *h = rec;

	return perf__record_time(rec, h->size, p->attr.sample_type,
	    p->attr.sample_id_all);
}

/* Whether a record of pid is for us: the target's, or with --children
 * any process's (the events reach only the target's descendants); with
 * -a any process's but ctop-prof's own (and the idle task's). */
static bool
ours(const struct sampler *s, pid_t pid)
{
	if (s->opts.all)
		return pid > 0 && pid != s->self;
	return pid == s->opts.pid || s->opts.children;
}

static void
on_sample(struct sampler *s, struct perf_state *p, const void *rec,
    size_t len)
{
	struct perf_sample ps;
	struct rec_sample *r;
	size_t cap, need, room;
	uint64_t nr, top;
	uint32_t depth;
	int py;

	if (perf__parse_sample(rec, len, p->attr.sample_type,
	    p->attr.sample_regs_user, &ps) < 0) {
		count(&s->failed, 1);
		return;
	}
	/* A forked child that inherited the events on an old kernel. */
	if (!ours(s, (pid_t)ps.pid))
		return;
	count_record(s, len);
	flush_side(s, p);
	/* The Python chain now, as close to the sample as we can: the
	 * kernel's copy has the native stack only (python_merge rejects a
	 * chain that no longer fits it). */
	py = sampler__py_walk(s, (pid_t)ps.pid, (pid_t)ps.tid, ps.time);
	nr = ps.nr > PERF_MAX_CHAIN ? PERF_MAX_CHAIN : ps.nr;
	top = ps.tid == ps.pid && (pid_t)ps.pid == s->opts.pid ?
	    p->frames_top : 0;
	cap = perf__stack_keep(&ps, top);
	depth = p->stack_auto ? perf__main_depth(&ps, top) : 0;
	if (depth > p->main_depth)
		p->main_depth = depth;
	if (!p->split.on && depth > SAMPLE_SPLIT_SHORT)
		p->split.trial_deep++;
	need = sizeof *r + nr * 8 + cap;
	room = need + sampler__py_room(s, need);
	r = sampler__py_codes(s) ? ring_reserve(s->ring, REC_SAMPLE, room) :
	    NULL;
	if (!r) {
		count(&s->dropped, 1);
		s->lost_pending++;
		return;
	}
	need = perf__fill_sample(&ps, cap, r);
	if (cap < ps.dyn_size)
		r->flags |= SAMPLE_STACK_SHORT;	/* every frame is in it */
	if (p->split.on)
		r->flags |= SAMPLE_STACK_SPLIT;
	else if (p->stack_auto && !p->split.off)
		r->flags |= SAMPLE_STACK_TRIAL;
	/* Under a budget the period is k of -F's: the sample stands for k. */
	r->weight = atomic_load_explicit(&s->period_k, memory_order_relaxed);
	need = sampler__py_append(s, r, need, room, py);
	ring_commit(s->ring, need);
	count(&s->samples, 1);
	count(&s->sample_bytes, need);
}

/* --children: a process forked or gone (the worker names it, keeps or
 * frees its state). Its threads are not counted as the target's. */
static void
on_child_task(struct sampler *s, const struct perf_side *sb)
{
	struct rec_thread t;

	if (sb->pid != sb->tid)
		return;		/* a thread of a child: nothing to tell */
	memset(&t, 0, sizeof t);
	t.time_ns = util_now_ns();
	t.pid = (int32_t)sb->pid;
	t.tid = (int32_t)sb->ppid;	/* REC_PROC_NEW: the parent */
	sampler__proc_comm(sb->pid, sb->pid, t.comm);
	ring_push(s->ring, sb->kind == PERF_SIDE_FORK ? REC_PROC_NEW :
	    REC_PROC_GONE, &t, sizeof t);
	if (sb->kind != PERF_SIDE_FORK)
		sampler__py_gone(s, (pid_t)sb->pid);
	if (sb->kind == PERF_SIDE_FORK)
		atomic_fetch_add_explicit(&s->procs_seen, 1,
		    memory_order_relaxed);
}

static void
on_task(struct sampler *s, struct perf_state *p, const struct perf_side *sb)
{
	/* -a: every process is a child of none; threads are not listed
	 * (the machine's would be a long list to keep for nothing). */
	if (s->opts.all) {
		if (ours(s, sb->pid))
			on_child_task(s, sb);
		return;
	}
	if (sb->pid != s->opts.pid) {
		if (s->opts.children)
			on_child_task(s, sb);
		return;
	}
	if (sb->kind == PERF_SIDE_FORK && sb->pid != sb->tid &&
	    perf__tid_add(p, sb->tid) == 1) {
		atomic_fetch_add_explicit(&s->threads_seen, 1,
		    memory_order_relaxed);
		sampler__push_thread(s, REC_THREAD_NEW, sb->tid);
	} else if (sb->kind == PERF_SIDE_EXIT && perf__tid_known(p, sb->tid)) {
		perf__tid_remove(p, sb->tid);
		sampler__push_thread(s, REC_THREAD_EXIT, sb->tid);
	}
	set_threads(s, p);
}

static void
on_comm(struct sampler *s, struct perf_state *p, const void *rec,
    const struct perf_side *sb)
{
	struct rec_thread t;

	if (!ours(s, sb->pid))
		return;
	flush_side(s, p);
	memset(&t, 0, sizeof t);
	t.time_ns = record_time(p, rec);
	if (!t.time_ns)
		t.time_ns = util_now_ns();
	t.pid = (int32_t)sb->pid;
	t.tid = (int32_t)sb->tid;
	memcpy(t.comm, sb->comm, sizeof t.comm);
	ring_push(s->ring, sb->exec ? REC_EXEC : REC_THREAD_NAME, &t,
	    sizeof t);
	if (sb->exec)
		sampler__py_exec(s, (pid_t)sb->pid);
	if (sb->exec && !s->opts.all && sb->pid == s->opts.pid)
		p->frames_top = sampler__proc_start_stack(sb->pid);
}

/* An MMAP or MMAP2 of the target. A file's mapping goes to the worker as
 * it is; anything else (a [vdso], anonymous JIT code, a ring too full for
 * the record) has the worker read the maps again before it handles the
 * samples that follow. */
static void
note_maps(struct sampler *s, struct perf_state *p, const void *rec,
    const struct perf_side *sb)
{
	uint64_t t;

	/* Only executable mappings are reported (no mmap_data); munmap
	 * never is: a new mapping may replace an old one. */
	if (!ours(s, sb->pid))
		return;
	t = record_time(p, rec);
	/* The worker makes the module from the record itself, in order
	 * with the samples: a library that comes and goes before the worker
	 * gets to it (dlopen, dlclose) is still known for the samples taken
	 * inside it. Anonymous code (JIT) is "//anon", inode 0: the maps
	 * show no file for it, nor does the worker make a module. */
	if (sb->file && sb->file[0] == '/' && sb->file[1] != '/' &&
	    sb->ino != 0 && sb->file_len < 4096) {
		struct sampler_map_file f = {
			.pid = sb->pid == s->opts.pid ? 0 : sb->pid,
			.lo = sb->addr, .hi = sb->addr + sb->len,
			.off = sb->pgoff, .dev = sb->dev, .ino = sb->ino,
			.path = sb->file, .path_len = sb->file_len,
		};

		flush_side(s, p);
		if (sampler__push_mmap(s, t, &f))
			return;
	}
	/* A child's [vdso] and JIT code: its maps are read when the worker
	 * first meets it. */
	if (sb->pid == s->opts.pid)
		p->maps_dirty = true;
	if (sb->pid == s->opts.pid && (sb->file == NULL ||
	    strcmp(sb->file, "[vdso]") != 0))
		p->anon_code = true;
}

/* Side-band records are decoded by perf__decode_side (perf_parse.c), a
 * pure function the fuzzer can reach; this only acts on them. */
static void
on_record(struct sampler *s, struct perf_state *p, const void *rec,
    size_t len)
{
	const struct perf_event_header *h = rec;
	struct perf_side sb;

	if (h->type == PERF_RECORD_SAMPLE) {
		on_sample(s, p, rec, len);
		return;
	}
	switch (perf__decode_side(rec, len, &sb)) {
	case PERF_SIDE_MAPS:
		note_maps(s, p, rec, &sb);
		break;
	case PERF_SIDE_COMM:
		on_comm(s, p, rec, &sb);
		break;
	case PERF_SIDE_FORK:
	case PERF_SIDE_EXIT:
		on_task(s, p, &sb);
		break;
	case PERF_SIDE_LOST:
		count(&s->lost, sb.lost);
		push_lost(s, sb.lost);
		break;
	case PERF_SIDE_THROTTLE:
		p->throttled++;
		break;
	case PERF_SIDE_NONE:
		break;
	}
}

/* The record at tail, whole (copied to the bounce buffer when it wraps),
 * or NULL when none is complete below head. */
static const struct perf_event_header *
record_at(struct perf_state *p, struct perf_ring *r, uint64_t tail,
    uint64_t head)
{
	uint64_t off = tail & (r->size - 1);
	const struct perf_event_header *h;
	size_t size;

	if (head - tail < sizeof *h)
		return NULL;
	/* Records are 8-byte aligned: a header never wraps. */
	h = (const void *)(r->data + off);
	size = h->size;
	if (size < sizeof *h || size > head - tail)
		return NULL;		/* corrupt: the caller resyncs */
	if (off + size > r->size) {
		size_t first = r->size - off;

		memcpy(p->bounce, r->data + off, first);
		memcpy(p->bounce + first, r->data, size - first);
		h = (const void *)p->bounce;
	}
	return h;
}

/* The kernel's published end of a ring's data. Acquire pairs with its
 * smp_wmb before it publishes data_head: the bytes below are complete. */
static uint64_t
ring_head(const struct perf_ring *r)
{
	return __atomic_load_n(&r->pg->data_head, __ATOMIC_ACQUIRE);
}

/* Reads the time of the record at the ring's tail into next_ns; false
 * when the round's window holds no complete record. A corrupt one ends
 * the window: the ring is resynced to its head. */
static bool
peek_next(struct perf_state *p, struct perf_ring *r)
{
	const struct perf_event_header *h = record_at(p, r, r->tail, r->head);

	if (!h) {
		r->tail = r->head;
		return false;
	}
	r->next_ns = record_time(p, h);
	return true;
}

/* The ring whose next record is the oldest below cut, or NULL. */
static struct perf_ring *
oldest_ring(struct perf_state *p, uint64_t cut)
{
	struct perf_ring *best = NULL;

	for (int i = 0; i < p->nrings; i++) {
		struct perf_ring *r = &p->rings[i];

		/* A time far past cut is another clock's (never ours,
		 * CLOCK_MONOTONIC; a guard, as held records fill the
		 * ring): taken, last. */
		if (r->tail < r->head && (r->next_ns < cut ||
		    r->next_ns - cut > CLOCK_SKEW_NS) &&
		    (!best || r->next_ns < best->next_ns))
			best = r;
	}
	return best;
}

/* Each CPU has its ring; a thread's records go to the ring of the CPU it
 * ran on, so an exec's COMM, a library's MMAP2 or a thread's FORK may sit
 * in one ring and the samples that follow them in another. The rings are
 * merged by time, oldest record first, and only records written before
 * cut, a time read before the heads: a record that happened before
 * another (the COMM before the new image runs, the MMAP2 before the
 * library's code) was published before it was, so when the later one is
 * below cut the earlier one is below its ring's head. The rest wait for
 * the next round, still in the kernel's ring. cut UINT64_MAX: all. */
static void
drain_all_before(struct sampler *s, struct perf_state *p, uint64_t cut)
{
	struct perf_ring *r;
	int i;

	for (i = 0; i < p->nrings; i++) {
		r = &p->rings[i];
		r->tail = r->pg->data_tail;
		r->head = ring_head(r);
		peek_next(p, r);
	}
	while ((r = oldest_ring(p, cut)) != NULL) {
		const struct perf_event_header *h =
		    record_at(p, r, r->tail, r->head);

		on_record(s, p, h, h->size);
		r->tail += h->size;
		peek_next(p, r);
	}
	/* Release pairs with the kernel's read of data_tail before it
	 * overwrites: we are done reading the bytes below tail. */
	for (i = 0; i < p->nrings; i++)
		__atomic_store_n(&p->rings[i].pg->data_tail,
		    p->rings[i].tail, __ATOMIC_RELEASE);
	flush_side(s, p);
}

static void
drain_all(struct sampler *s, struct perf_state *p)
{
	drain_all_before(s, p, util_now_ns());
}

/* When sampling ends or pauses: every record written, whatever its time
 * (nothing written later could be older). */
static void
drain_everything(struct sampler *s, struct perf_state *p)
{
	drain_all_before(s, p, UINT64_MAX);
}

/* Opens every thread of process pid not covered by p yet; repeats while
 * threads appear (one created by a thread not yet opened is covered by
 * nothing until a later round opens it). Threads born from an opened
 * thread inherit its events and are known from their FORK record, read
 * by drain_all() between rounds. Threads not in `known` (NULL: none) are
 * told to the worker as new. Returns 0 or -errno. */
static int
open_proc(struct sampler *s, struct perf_state *p, pid_t pid,
    uint32_t pages, char **cause, const struct perf_state *known)
{
	char path[64];
	struct dirent *de;
	int round, added, err;
	DIR *d;

	for (round = 0; round < SCAN_ROUNDS; round++) {
		drain_all(s, p);
		snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
		d = opendir(path);
		if (!d)
			return round ? 0 : -errno;
		added = 0;
		while ((de = readdir(d)) != NULL) {
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid <= 0 || perf__tid_known(p, tid))
				continue;
			err = perf__open_tid(p, tid, pages, cause);
			/* ESRCH: the thread ended meanwhile, which is no
			 * failure: forget the cause perf__open_tid wrote. */
			if (err == -ESRCH && tid != pid) {
				free(*cause);
				*cause = NULL;
				continue;
			}
			if (err < 0) {
				closedir(d);
				return err;
			}
			if (!known || !perf__tid_known(known, tid)) {
				atomic_fetch_add_explicit(&s->threads_seen, 1,
				    memory_order_relaxed);
				sampler__push_thread(s, REC_THREAD_NEW, tid);
			}
			added++;
		}
		closedir(d);
		set_threads(s, p);
		if (!added)
			return 0;
	}
	return 0;
}

/* --children: the target's descendants now (a pre-forking server's
 * workers), each one's threads opened (sampler__proc_descendants's
 * callback). Those born later inherit the events. One that ends
 * meanwhile is no failure. They are counted, not told as forks: a
 * REC_PROC_NEW would name one with its parent's modules until it execs,
 * and one that exec'd before the attach (a supervisor's workers, make's
 * jobs) never does again, so every frame of it went unnamed; the worker
 * gives a process it meets in a sample a state of its own, read from its
 * maps (as for ptrace's descendants found at attach). */
struct descent {
	struct sampler *s;
	struct perf_state *p;
	uint32_t pages;
	const struct perf_state *known;
};

static bool
open_descendant(pid_t child, void *arg)
{
	struct descent *d = arg;
	char *cause = NULL;

	if (open_proc(d->s, d->p, child, d->pages, &cause, d->known) == 0 &&
	    !d->known)
		atomic_fetch_add_explicit(&d->s->procs_seen, 1,
		    memory_order_relaxed);
	free(cause);
	return true;
}

/* The target's threads, and with --children its descendants'. */
static int
open_all(struct sampler *s, struct perf_state *p, uint32_t pages,
    char **cause, const struct perf_state *known)
{
	int err = open_proc(s, p, s->opts.pid, pages, cause, known);

	if (err == 0 && s->opts.children)
		sampler__proc_descendants(s->opts.pid, open_descendant,
		    &(struct descent){ s, p, pages, known });
	return err;
}

static uint32_t
default_pages(const struct sampler_opts *o)
{
	size_t rec = (o->unwind_fp ? 0 : o->stack_size) + 1024;
	size_t want = rec * 64 / 4096;
	uint32_t pages = 8;

	/* Room for about 64 samples per CPU between two wake-ups. The same
	 * holds for -a: a CPU runs one task at a time and cpu-clock fires -F
	 * times a second per CPU whoever runs, so a CPU's ring fills no
	 * faster for the whole machine than for one busy thread (2 MiB per
	 * CPU at 16 KiB stacks: about 120 samples, 0.12 s at -F 999, drained
	 * when half full). */
	while (pages < want && pages < 1024)
		pages *= 2;
	return pages;
}

static void
note_kernel(struct sampler *s, bool kernel, int par)
{
	size_t len = strlen(s->note);

	if (kernel)
		return;
	snprintf(s->note + len, sizeof s->note - len, "%skernel time not "
	    "visible: perf_event_paranoid is %d and we lack CAP_PERFMON "
	    "(run as root, `sysctl kernel.perf_event_paranoid=1`, or use "
	    "--backend ptrace)", len ? "; " : "", par);
}

/* What perf_event_open would accept but is no target: a kernel thread
 * (no user space), a zombie, or nothing at all. */
static int
perf_precheck(pid_t pid, char **cause)
{
	char path[64], buf[1024], state = 0;
	unsigned long flags = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0 ||
	    sampler__proc_stat(buf, &state, &flags) < 0) {
		perf__explain(-ESRCH, pid, cause);
		return -ESRCH;
	}
	if (flags & PF_KTHREAD_FLAG) {
		sampler__set_cause(cause, "attach to %d: a kernel thread: it "
		    "has no user space to sample (pick a user process)", pid);
		return -EPERM;
	}
	if (state == 'Z' || state == 'X') {
		sampler__set_cause(cause, "attach to %d: a zombie: it has "
		    "exited and waits for its parent to reap it (nothing to "
		    "profile)", pid);
		return -ESRCH;
	}
	return 0;
}

/* The kernel's work per sample for the budget (0 without one). Before
 * the events open: the calibration keeps this thread from draining their
 * rings for 0.6 s. */
static uint64_t
budget_calibrate(struct sampler *s, const struct perf_event_attr *a)
{
	uint64_t ns;

	if (s->budget.limit <= 0)
		return 0;
	ns = perf__calibrate(a);
	diag("budget: a perf sample costs the target %llu ns",
	    (unsigned long long)ns);
	return ns;
}

/* -a refused: the gate's line. */
static int
all_refused(int err, char **cause)
{
	struct gate_facts f;
	char buf[512];

	gates_gather(&f, GATE_PERF, err, -1);
	gates_all_cause(&f, buf, sizeof buf);
	sampler__set_cause(cause, "%s", buf);
	return err;
}

/* Kernel samples refused (-EACCES, -EPERM from open): every event
 * closed and the attributes made user-only; the caller opens again. */
static void
drop_kernel_samples(struct sampler *s, struct perf_state *p, uint32_t pages)
{
	unsigned char *b = p->bounce;

	p->bounce = NULL;
	perf__close(p);
	p->bounce = b;
	perf__attr_init(&p->attr, &s->opts, false, pages);
}

/* -a: the gate first (CPU-wide events are allowed to fewer than a
 * process's own), then one event per CPU; kernel samples when allowed,
 * as for one target. */
static int
perf_attach_all(struct sampler *s, struct perf_state *p, uint32_t pages,
    char **cause)
{
	int par = perf__paranoid(), err;
	bool kernel = perf__privileged() || par <= 1;
	struct gate_facts f;

	gates_gather(&f, GATE_PERF, -EACCES, -1);
	if (!gates_all_allowed(&f))
		return all_refused(-EACCES, cause);
	perf__attr_init(&p->attr, &s->opts, kernel, pages);
	err = perf__open_cpus(p, pages);
	if ((err == -EACCES || err == -EPERM) && kernel) {
		drop_kernel_samples(s, p, pages);
		kernel = false;
		err = perf__open_cpus(p, pages);
	}
	if (err)
		return all_refused(err, cause);
	p->pages = pages;
	p->base_period = p->attr.sample_period;
	p->kernel = kernel;
	note_kernel(s, kernel, par);
	return 0;
}

static int
perf_attach(struct sampler *s, struct perf_state *p, char **cause)
{
	int par = perf__paranoid(), err;
	bool kernel = perf__privileged() || par <= 1;
	uint64_t cost;
	uint32_t pages = s->opts.perf_ring_pages ? s->opts.perf_ring_pages :
	    default_pages(&s->opts);

	err = s->opts.all ? 0 : perf_precheck(s->opts.pid, cause);
	if (err)
		return err;
	p->bounce = malloc(BOUNCE_BYTES);
	if (!p->bounce)
		return -ENOMEM;
	perf__raise_nofile();
	if (s->opts.all)
		return perf_attach_all(s, p, pages, cause);
	perf__attr_init(&p->attr, &s->opts, kernel, pages);
	cost = budget_calibrate(s, &p->attr);
	err = open_all(s, p, pages, cause, NULL);
	if ((err == -EACCES || err == -EPERM) && kernel) {
		drop_kernel_samples(s, p, pages);
		kernel = false;
		err = open_all(s, p, pages, cause, NULL);
	}
	p->pages = pages;
	p->base_period = p->attr.sample_period;
	p->sample_cost_ns = cost;
	if (err)
		return err;
	p->kernel = kernel;
	note_kernel(s, kernel, par);
	return 0;
}

/* Launched: our child, reaped here. Attached: gone from /proc, or a
 * zombie leader without live threads. */
static bool
target_gone(struct sampler *s, int *status)
{
	char path[64], buf[1024], state = 0;
	const char *t;

	*status = -1;
	if (s->opts.all)
		return false;	/* the machine goes on */
	if (s->opts.launched)
		return waitpid(s->opts.pid, status, WNOHANG) == s->opts.pid;
	if (sampler__target_stat(s, buf, sizeof buf) <= 0 ||
	    sampler__proc_stat(buf, &state, NULL) < 0)
		return true;
	if (state != 'Z' && state != 'X')
		return false;
	snprintf(path, sizeof path, "/proc/%d/status", s->opts.pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0)
		return true;
	t = strstr(buf, "\nThreads:");
	return !t || atoi(t + 9) <= 1;
}

/* After a pause: the events wrote no FORK or EXIT records while
 * disabled, so the thread list is made right from /proc (a thread born
 * meanwhile inherited the events already: nothing to open). */
static void
resync_threads(struct sampler *s, struct perf_state *p)
{
	char path[64];
	struct dirent *de;
	size_t i;
	pid_t tid;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", s->opts.pid);
	d = opendir(path);
	if (!d)
		return;		/* gone: the exit check says so */
	while ((de = readdir(d)) != NULL) {
		tid = (pid_t)atoi(de->d_name);
		if (tid > 0 && perf__tid_add(p, tid) == 1) {
			atomic_fetch_add_explicit(&s->threads_seen, 1,
			    memory_order_relaxed);
			sampler__push_thread(s, REC_THREAD_NEW, tid);
		}
	}
	closedir(d);
	for (i = 0; i < p->ntids; ) {
		snprintf(path, sizeof path, "/proc/%d/task/%d", s->opts.pid,
		    p->tids[i]);
		if (access(path, F_OK) == 0) {
			i++;
			continue;
		}
		sampler__push_thread(s, REC_THREAD_EXIT, p->tids[i]);
		perf__tid_remove(p, p->tids[i]);
	}
	set_threads(s, p);
}

/* Job control: ctop-prof is about to stop. The kernel would go on
 * sampling into rings nobody reads, then count what did not fit as lost:
 * the events are disabled instead (the target runs without any sampling
 * cost meanwhile) and enabled again after SIGCONT. Samples of the pause
 * are absent, as with ptrace. */
static void
perf_hold(struct sampler *s, struct perf_state *p)
{
	struct timespec nap = { 0, HOLD_NAP_MS * 1000000L };
	uint64_t t0 = util_now_ns(), auxv = sampler__proc_auxv_id(s->opts.pid);
	size_t i;

	for (i = 0; i < p->nfds; i++)
		ioctl(p->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	drain_everything(s, p);
	while (atomic_load_explicit(&s->hold_req, memory_order_acquire) &&
	    !stopping(s)) {
		/* Release: main may stop the process once it reads this. */
		atomic_store_explicit(&s->released_seq,
		    atomic_load_explicit(&s->hold_seq, memory_order_relaxed),
		    memory_order_release);
		nanosleep(&nap, NULL);
	}
	atomic_fetch_add_explicit(&s->held_ns, util_now_ns() - t0,
	    memory_order_relaxed);
	for (i = 0; i < p->nfds; i++)
		ioctl(p->fds[i], PERF_EVENT_IOC_ENABLE, 0);
	/* -a: nothing of one target to catch up on; a process that exec'd
	 * meanwhile keeps its old names until its state is evicted. */
	if (s->opts.all)
		return;
	/* No MMAP records either: a library loaded meanwhile is found by
	 * reading the maps again. */
	sampler__push_thread(s, REC_MAPS_CHANGED, s->opts.pid);
	/* Nor the COMM record of an exec. */
	if (auxv != 0 && sampler__proc_auxv_id(s->opts.pid) != auxv)
		sampler__push_thread(s, REC_EXEC, s->opts.pid);
	resync_threads(s, p);
}

/* The budget's own cost of the perf backend so far: the kernel's work
 * per sample (calibrated) times the samples it took. */
static uint64_t
perf_cost(struct sampler *s, const struct perf_state *p)
{
	uint64_t taken = atomic_load_explicit(&s->samples,
	    memory_order_relaxed) + atomic_load_explicit(&s->dropped,
	    memory_order_relaxed) + atomic_load_explicit(&s->lost,
	    memory_order_relaxed);

	return taken * p->sample_cost_ns;
}

/* Samples at k times -F's period, copying stack bytes (--stack-size auto;
 * the attr's own when 0), from now on. PERF_EVENT_IOC_PERIOD does
 * not reach the events the target's threads inherited, and no ioctl
 * changes sample_stack_user, so every event is
 * opened again: the old ones are disabled and drained (their samples keep
 * the old weight), new ones opened for every thread in /proc while the
 * old still exist (a thread born meanwhile inherits one or the other; a
 * second scan finds it), then the old are closed. The few milliseconds
 * between are not sampled, and a mapping made in them is found by the
 * maps read the worker is asked for. False (the old events sampling
 * again) when the new ones cannot be opened. */
static bool
perf_reopen(struct sampler *s, struct perf_state *p, unsigned k,
    uint32_t stack)
{
	unsigned was = atomic_load_explicit(&s->period_k,
	    memory_order_relaxed);
	struct perf_state q, old;
	char *cause = NULL;
	int err;

	for (size_t i = 0; i < p->nfds; i++)
		ioctl(p->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	drain_everything(s, p);
	/* The new events' first samples are drained while they open. */
	atomic_store_explicit(&s->period_k, k, memory_order_relaxed);
	memset(&q, 0, sizeof q);
	q.attr = p->attr;
	q.kernel = p->kernel;
	q.stack_auto = p->stack_auto;
	q.split = p->split;
	q.stack = p->stack;
	perf__attr_size(&q, p->base_period * k, stack ? stack :
	    perf__stack_asked(p));
	q.stack_stale = p->stack_stale;
	q.stack_stale_mark = p->stack_stale_mark;
	q.pages = p->pages;
	q.base_period = p->base_period;
	q.sample_cost_ns = p->sample_cost_ns;
	q.throttled = p->throttled;
	q.frames_top = p->frames_top;
	q.main_depth = p->main_depth;
	q.anon_code = p->anon_code;
	err = open_all(s, &q, p->pages, &cause, p);
	if (err < 0 || q.nrings == 0) {
		diag("cannot reopen the perf events at %u Hz, %u stack "
		    "bytes: %s", (unsigned)(1000000000ull /
		    (p->base_period * k)), perf__stack_asked(&q),
		    cause ? cause : "no ring");
		free(cause);
		perf__close(&q);
		atomic_store_explicit(&s->period_k, was, memory_order_relaxed);
		for (size_t i = 0; i < p->nfds; i++)
			ioctl(p->fds[i], PERF_EVENT_IOC_ENABLE, 0);
		return false;
	}
	free(cause);
	old = *p;
	q.bounce = old.bounce;
	old.bounce = NULL;
	*p = q;
	perf__close(&old);
	sampler__push_thread(s, REC_MAPS_CHANGED, s->opts.pid);
	set_threads(s, p);
	return true;
}

/* The split is judged by what the worker's checks and joins found
 * (src/unwind/join.c): before it, in a rehearsal (the walks of samples
 * marked SAMPLE_STACK_TRIAL act the split out), at least SPLIT_TRIAL
 * walks with at most 1 in SPLIT_UNJOINED of them unjoined (and one)
 * begin it, and once the main thread was seen deeper than a short copy,
 * SPLIT_TRIAL_DEEP of its samples so deep (the walks a split must join:
 * cc1plus is mostly shallow in its first 0.2 s, its rehearsal passed on
 * those walks at 1 of 114 unjoined, and the split then found 5 of 26, each
 * a truncated stack; a main thread never so deep, the demo's, waits for
 * nothing); more unjoined start a new rehearsal every SPLIT_TRIAL_MAX
 * walks, so that it is judged on recent walks: a burst of unjoined at the
 * start (a phase whose stacks no whole walk had taught yet) once kept
 * sqlite3's 1 s run from splitting at all in 10 of 30 runs with 512. A
 * wrong join, in the rehearsal or the split, ends it for good
 * (every sample copies the whole size), and so do more than 1 in
 * SPLIT_UNJOINED short walks since it began that no link continued
 * (SPLIT_JUDGED of them at least): the program's stacks change faster
 * than the whole copies come. */
#define SPLIT_UNJOINED 100u
#define SPLIT_JUDGED 4u
#define SPLIT_TRIAL 64u
#define SPLIT_TRIAL_DEEP 32u
#define SPLIT_TRIAL_MAX 128u

/* Samples taken and seconds since sampling began: when -v's lines on
 * the stack copies' size were said. */
static unsigned long long
samples_now(struct sampler *s)
{
	return atomic_load_explicit(&s->samples, memory_order_relaxed);
}

static double
secs_now(struct sampler *s)
{
	return (double)(util_now_ns() - atomic_load_explicit(&s->start_ns,
	    memory_order_relaxed)) / 1e9;
}

/* The split's end: true when the events were opened again. */
static bool
split_judge(struct sampler *s, struct perf_state *p,
    const struct stack_need_seen *seen)
{
	unsigned k = atomic_load_explicit(&s->period_k, memory_order_relaxed);
	const char *why;
	bool was_split;

	if (p->split.off)
		return false;
	if (!p->split.on) {
		p->split.trial_walks += seen->walks;
		p->split.trial_unjoined += seen->unjoined;
	} else {
		p->split.walks += seen->walks;
		p->split.unjoined += seen->unjoined;
	}
	if (seen->join_failed)
		why = "a joined stack was wrong";
	else if (p->split.on && p->split.unjoined >= SPLIT_JUDGED &&
	    p->split.unjoined * SPLIT_UNJOINED > p->split.walks)
		why = "too many short copies could not be joined";
	else
		return false;
	was_split = p->split.on;
	diag("stack-size auto: %s (%s: %llu of %llu walks not joined): %u "
	    "bytes for every sample from now on, after %llu samples, %.2f s",
	    why, was_split ? "split" : "rehearsed",
	    (unsigned long long)(was_split ? p->split.unjoined :
	    p->split.trial_unjoined), (unsigned long long)(was_split ?
	    p->split.walks : p->split.trial_walks), p->stack.size,
	    samples_now(s), secs_now(s));
	p->split.off = true;
	return was_split && perf_reopen(s, p, k, p->stack.size);
}

/* Whether the rehearsal has what it is judged on: SPLIT_TRIAL walks and,
 * once a main-thread sample went deeper than a short copy, SPLIT_TRIAL_DEEP
 * such samples. */
static bool
rehearsal_complete(const struct perf_split *sp)
{
	return sp->trial_walks >= SPLIT_TRIAL &&
	    (sp->trial_deep == 0 || sp->trial_deep >= SPLIT_TRIAL_DEEP);
}

/* Whether more of the rehearsal's walks were not joined than the split
 * allows. One miss forgiven: the first walks of a thread or a phase find
 * no link. */
static bool
rehearsal_failed(const struct perf_split *sp)
{
	return (sp->trial_unjoined - (sp->trial_unjoined > 0)) *
	    SPLIT_UNJOINED > sp->trial_walks;
}

/* The size now is too deep for a short record and a rehearsal went
 * well: the events are opened again, split. */
static bool
split_start(struct sampler *s, struct perf_state *p)
{
	unsigned k = atomic_load_explicit(&s->period_k, memory_order_relaxed);

	if (p->split.on || p->split.off || !p->stack_auto)
		return false;
	if (!p->split.ready) {
		if (!rehearsal_complete(&p->split))
			return false;
		if (rehearsal_failed(&p->split)) {
			if (p->split.trial_walks >= SPLIT_TRIAL_MAX)
				p->split.trial_walks = p->split.trial_unjoined =
				    p->split.trial_deep = 0;
			return false;
		}
		p->split.ready = true;
	}
	if (!perf__split_wanted(p, p->stack.size) ||
	    !perf_reopen(s, p, k, p->stack.size))
		return false;
	diag("stack-size auto: %u bytes one sample in %u, %u the others "
	    "(rehearsed: %llu of %llu walks not joined) after %llu samples, "
	    "%.2f s", p->stack.size, SAMPLE_SPLIT_EVERY, SAMPLE_SPLIT_SHORT,
	    (unsigned long long)p->split.trial_unjoined,
	    (unsigned long long)p->split.trial_walks, samples_now(s),
	    secs_now(s));
	return true;
}

/* -v: why a run whose copies were deeper than a short one never split
 * them (the last rehearsal's walks), so that a user reading its records'
 * size knows whether the program's stacks or a too short run kept it. A
 * rehearsal the run ended before it was complete was not judged (its
 * first walks, before any whole walk taught their links, are often not
 * joined: 7 of 39 once in a 0.1 s run of a build with sanitizers): the
 * run ended first. */
static void
split_never_said(struct sampler *s, const struct perf_state *p)
{
	if (!p->stack_auto || p->split.on || p->split.off ||
	    p->stack.size <= SAMPLE_SPLIT_SHORT || samples_now(s) == 0)
		return;
	diag("stack-size auto: the copies were never split, %u bytes for "
	    "every sample: %s (the last rehearsal: %llu of %llu walks not "
	    "joined, %llu of the main thread's samples deeper than %u bytes; "
	    "the split wants %u walks, at most 1 in %u of them not joined, "
	    "one forgiven, and %u such samples once there is one)",
	    p->stack.size, rehearsal_complete(&p->split) &&
	    rehearsal_failed(&p->split) ? "too many short copies would not "
	    "have been joined" : "the run ended first",
	    (unsigned long long)p->split.trial_unjoined,
	    (unsigned long long)p->split.trial_walks,
	    (unsigned long long)p->split.trial_deep, SAMPLE_SPLIT_SHORT,
	    SPLIT_TRIAL, SPLIT_UNJOINED, SPLIT_TRIAL_DEEP);
}

/* --stack-size auto: what the worker's walks needed since the last look;
 * the events opened again at another size when the rule says so (at
 * once to grow, after a window to shrink). True when they were. */
static bool
stack_tick(struct sampler *s, struct perf_state *p)
{
	struct stack_need_seen seen;
	uint32_t was = p->stack.size, to, depth = p->main_depth;
	bool deeper = depth > was;
	unsigned k;

	if (!p->stack_auto)
		return false;
	p->main_depth = 0;
	seen = stack_need_take(s->opts.stack_need);
	/* The walks of copies taken before the last change (the worker may
	 * be far behind on a slow machine) are dropped until it has passed
	 * them: their reach, cut at the old size, once shrank a copy just
	 * grown to 65528 bytes back to 24576 a few samples later, and the
	 * 41 KiB stack was truncated again. */
	if (p->stack_stale) {
		if (ring_passed(s->ring, p->stack_stale_mark))
			p->stack_stale = false;
		/* The short copies' size is the same before and after. */
		if (split_judge(s, p, &seen))
			return true;
		if (!deeper)
			return false;
		seen = (struct stack_need_seen){ 0 };
	} else if (split_judge(s, p, &seen)) {
		return true;
	}
	/* The main thread's stack deeper than the copy: its walks will run
	 * out, told now rather than after the worker's lag (0.1-0.2 s when
	 * cc1plus went deep 0.2 s into its run, 43 stacks truncated). */
	if (deeper) {
		seen.truncated_at = was;
		if (depth > seen.reach)
			seen.reach = depth;
	}
	to = sampler__stack_auto_next(&p->stack, &seen, util_now_ns());
	if (to == 0 || to == was)
		return split_start(s, p);
	k = atomic_load_explicit(&s->period_k, memory_order_relaxed);
	if (!perf_reopen(s, p, k, to)) {
		p->stack.size = was;	/* try again after the next walks */
		return false;
	}
	diag("stack-size auto: %u -> %u bytes (deepest read %u, %s) after "
	    "%llu samples, %.2f s", was, to, seen.reach,
	    deeper ? "the main thread's stack was deeper" :
	    seen.truncated_at >= was ? "a walk ran out" :
	    to > was ? "within the margin" : "a window needed less",
	    samples_now(s), secs_now(s));
	atomic_store_explicit(&s->stack_size_now, to, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->stack_changes, 1, memory_order_relaxed);
	p->stack_stale = true;
	p->stack_stale_mark = ring_mark(s->ring);
	return true;
}

/* Starts --stack-size auto after the attach, where it applies: one
 * target (not -a, whose CPU-wide events are not reopened) with stack
 * copies (not --unwind fp) and the worker's word to learn from. */
static void
stack_auto_start(struct sampler *s, struct perf_state *p)
{
	atomic_store_explicit(&s->stack_size_now, p->attr.sample_stack_user,
	    memory_order_relaxed);
	p->stack_auto = s->opts.stack_auto && s->opts.stack_need &&
	    !s->opts.all && p->attr.sample_stack_user != 0;
	if (!p->stack_auto)
		return;
	(void)stack_need_take(s->opts.stack_need);
	sampler__stack_auto_init(&p->stack, p->attr.sample_stack_user,
	    util_now_ns());
}

/* A recording's sampler waits long while the target lives (see
 * POLL_UNHURRIED_MS): woken by the target's exit (its pidfd) and by main
 * (stop, hold: wake_fd). Not under a budget, whose checks are every 100
 * ms, nor with -a (no one target). The pidfd, or -1: wait as ever. */
static int
exit_fd_open(const struct sampler *s)
{
	if (!s->opts.unhurried || s->opts.max_overhead_pct > 0 ||
	    s->opts.all || s->wake_fd < 0)
		return -1;
	return (int)syscall(SYS_pidfd_open, s->opts.pid, 0);
}

/* How long a poll may wait. A Python target's chains are read when its
 * samples are: every millisecond rather than half a ring at a time, so
 * that a chain is read before its thread has moved on; while samples came
 * in the last 200 ms (an idle target costs no wake-ups). --stack-size
 * auto, until it has judged the first walks since the start or a growth,
 * and in the first two seconds: every 10 ms, so that a copy too short is
 * grown before many samples are taken with it (at 100 ms, 24-28% of a
 * short sqlite3 run's stacks were truncated where 8-9% were at 50 ms;
 * cc1plus, whose stack goes deep 0.2 s into its run after the first
 * shrink, had 7 truncated at 100 ms where the main thread's depth told
 * it). A recording after its first two seconds, with no code of no
 * file: a second (POLL_UNHURRIED_MS). */
static int
poll_ms(struct sampler *s, const struct perf_state *p, uint64_t busy_ns,
    int exit_fd, uint64_t calm_ns)
{
	uint64_t now = util_now_ns();

	if (sampler__py_active(s) && now - busy_ns < PY_IDLE_NS)
		return POLL_PY_MS;
	if (p->stack_auto && (!p->stack.learned || now < calm_ns))
		return POLL_LEARN_MS;
	return exit_fd >= 0 && now >= calm_ns && !p->anon_code ?
	    POLL_UNHURRIED_MS : POLL_MS;
}

/* The rings, then while exit_fd is open: it and main's wake_fd. */
static int
poll_fds(const struct sampler *s, const struct perf_state *p, int exit_fd,
    struct pollfd *pfd)
{
	for (int i = 0; i < p->nrings; i++)
		pfd[i] = (struct pollfd){ .fd = p->rings[i].fd,
		    .events = POLLIN };
	if (exit_fd < 0)
		return p->nrings;
	pfd[p->nrings] = (struct pollfd){ .fd = exit_fd, .events = POLLIN };
	pfd[p->nrings + 1] = (struct pollfd){ .fd = s->wake_fd,
	    .events = POLLIN };
	return p->nrings + 2;
}

/* After a poll: main's wake-up taken; whether the target's pidfd fired.
 * Then the exit checks are due at once, and the pidfd (readable from now
 * on) is closed: the waits are short again until the end. */
static bool
exit_seen(const struct sampler *s, const struct perf_state *p,
    int *exit_fd, struct pollfd *pfd, int *npfd)
{
	uint64_t n;

	if (*exit_fd < 0 || *npfd != p->nrings + 2)
		return false;
	if (pfd[p->nrings + 1].revents != 0 &&
	    read(s->wake_fd, &n, sizeof n) < 0)
		n = 0;	/* nonblocking: taken by an earlier read */
	if (pfd[p->nrings].revents == 0)
		return false;
	close(*exit_fd);
	*exit_fd = -1;
	*npfd = p->nrings;
	return true;
}

static void
perf_loop(struct sampler *s, struct perf_state *p)
{
	/* At most a ring per CPU, whatever reopening the events makes. */
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct pollfd pfd[(ncpu > p->nrings ? ncpu : p->nrings) + 2];
	uint64_t next_check = util_now_ns() + CHECK_NS, now, seen;
	uint64_t busy_ns = next_check, calm_ns = util_now_ns() +
	    UNHURRIED_AFTER_NS;
	unsigned k;
	int status, npfd, exit_fd = exit_fd_open(s);

	npfd = poll_fds(s, p, exit_fd, pfd);
	/* Probe before the first samples are read: they get chains. */
	sampler__py_tick(s);
	while (!stopping(s)) {
		if (atomic_load_explicit(&s->hold_req, memory_order_acquire))
			perf_hold(s, p);
		if (poll(pfd, (nfds_t)npfd, poll_ms(s, p, busy_ns,
		    exit_fd, calm_ns)) > 0 &&
		    exit_seen(s, p, &exit_fd, pfd, &npfd))
			next_check = 0;
		seen = atomic_load_explicit(&s->samples, memory_order_relaxed);
		drain_all(s, p);
		if (atomic_load_explicit(&s->samples, memory_order_relaxed) !=
		    seen)
			busy_ns = util_now_ns();
		if (stack_tick(s, p))
			npfd = poll_fds(s, p, exit_fd, pfd);
		sampler__py_tick(s);
		now = util_now_ns();
		if (now < next_check)
			continue;
		next_check = now + CHECK_NS;
		sampler__note_cpu(s);
		if ((k = sampler__budget_tick(s, perf_cost(s, p), 0)) != 0 &&
		    perf_reopen(s, p, k, 0)) {
			sampler__budget_commit(s, k);
			npfd = poll_fds(s, p, exit_fd, pfd);
		}
		if (target_gone(s, &status)) {
			drain_everything(s, p);
			sampler__push_exit(s, status);
		}
	}
	drain_everything(s, p);
	if (exit_fd >= 0)
		close(exit_fd);
}

/* A failed attach may have counted threads and samples: ptrace, if it
 * runs next, starts from zero. */
static void
reset_counters(struct sampler *s)
{
	atomic_store_explicit(&s->samples, 0, memory_order_relaxed);
	atomic_store_explicit(&s->dropped, 0, memory_order_relaxed);
	atomic_store_explicit(&s->failed, 0, memory_order_relaxed);
	atomic_store_explicit(&s->lost, 0, memory_order_relaxed);
	atomic_store_explicit(&s->threads, 0, memory_order_relaxed);
	atomic_store_explicit(&s->threads_seen, 0, memory_order_relaxed);
	s->lost_pending = 0;
}

/* Attached: the kernel reports no MMAP for the files mapped before (perf
 * record makes them from the maps too); told here, before any sample, for
 * a target that may be gone when the worker gets to it. A launched one's
 * come from the kernel after its exec. */
static void
tell_target_files(struct sampler *s, uint64_t since)
{
	char *buf;

	if (s->opts.all || s->opts.launched ||
	    (buf = malloc(SAMPLER_MAPS_BUF)) == NULL)
		return;
	s->perf->anon_code = sampler__tell_files(s, s->opts.pid, since, buf,
	    SAMPLER_MAPS_BUF);
	free(buf);
}

int
sampler__perf_run(struct sampler *s)
{
	struct perf_state *p = calloc(1, sizeof *p);
	uint64_t t0 = util_now_ns();
	char *cause = NULL;
	int err;

	err = p ? perf_attach(s, p, &cause) : -ENOMEM;
	if (err) {
		if (p)
			perf__close(p);
		free(p);
		reset_counters(s);
		if (s->opts.backend == SAMPLER_BACKEND_AUTO && !s->opts.all) {
			snprintf(s->note, sizeof s->note, "perf not used: %s",
			    cause ? cause : strerror(-err));
			free(cause);
			return err;
		}
		if (!cause)
			sampler__set_cause(&cause, "perf backend: %s",
			    strerror(-err));
		sampler__attach_result(s, err, cause);
		return 0;
	}
	s->perf = p;
	s->backend_name = "perf";
	tell_target_files(s, t0);
	stack_auto_start(s, p);
	if (!s->opts.all)
		p->frames_top = sampler__proc_start_stack(s->opts.pid);
	sampler__start_clocks(s);
	sampler__attach_result(s, 0, NULL);
	perf_loop(s, p);
	split_never_said(s, p);
	sampler__stop_clocks(s);
	s->perf = NULL;
	perf__close(p);
	/* Events closed: no thread is watched any more. */
	atomic_store_explicit(&s->threads, 0, memory_order_relaxed);
	free(p);
	return 0;
}
