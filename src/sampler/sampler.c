/* SPDX-License-Identifier: MIT */
/* sampler: public API. Validates options, runs the sampler thread (the
 * only thread that makes ptrace calls), hands back the attach result and
 * publishes counters through relaxed atomics. */
#include "config.h"

#include "ctop/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int
sampler__set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (!cause)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(*cause);
	*cause = msg;
	return 0;
}

static uint64_t
load(_Atomic uint64_t *v)
{
	/* Counters are statistics: no ordering with other data needed. */
	return atomic_load_explicit(v, memory_order_relaxed);
}

bool
sampler__push_mmap(struct sampler *s, uint64_t t,
    const struct sampler_map_file *f)
{
	size_t len = sizeof(struct rec_mmap) + f->path_len + 1;
	struct rec_mmap *m = ring_reserve(s->ring, REC_MMAP, len);

	if (!m)
		return false;
	memset(m, 0, sizeof *m);
	m->time_ns = t ? t : util_now_ns();
	m->addr = f->lo;
	m->len = f->hi - f->lo;
	m->pgoff = f->off;
	m->dev = f->dev;
	m->ino = f->ino;
	m->path_len = (uint32_t)f->path_len;
	m->pid = f->pid;
	memcpy(m + 1, f->path, f->path_len);
	((char *)(m + 1))[f->path_len] = '\0';
	ring_commit(s->ring, len);
	sampler__py_maps(s, f->pid ? f->pid : s->opts.pid);
	return true;
}

struct tell_files {
	struct sampler *s;
	pid_t pid;
	uint64_t t;
	bool anon_code;
};

static bool
tell_exec_file(void *ctx, const char *line)
{
	struct tell_files *c = ctx;
	struct sampler_map_file f;
	uint64_t lo, hi;
	bool x;

	if (!sampler__maps_line_range(line, &lo, &hi, &x) || !x)
		return true;
	if (sampler__maps_line_file(line, &f)) {
		f.pid = c->pid == c->s->opts.pid ? 0 : c->pid;
		sampler__push_mmap(c->s, c->t, &f);
	} else if (strstr(line, "[vdso]") == NULL &&
	    strstr(line, "[vsyscall]") == NULL) {
		c->anon_code = true;
	}
	return true;
}

bool
sampler__tell_files(struct sampler *s, pid_t pid, uint64_t t, char *buf,
    size_t size)
{
	struct tell_files c = { s, pid, t, false };

	sampler__proc_maps_each(pid, buf, size, tell_exec_file, &c);
	return c.anon_code;
}

void
sampler__push_proc(struct sampler *s, uint32_t type, pid_t pid, pid_t tid)
{
	struct rec_thread r;

	memset(&r, 0, sizeof r);
	r.time_ns = util_now_ns();
	r.pid = pid;
	r.tid = tid;
	sampler__proc_comm(pid, tid, r.comm);
	ring_push(s->ring, type, &r, sizeof r);
	if (type == REC_EXEC)
		sampler__py_exec(s, pid);
	else if (type == REC_MAPS_CHANGED)
		sampler__py_maps(s, pid);
}

void
sampler__push_thread(struct sampler *s, uint32_t type, pid_t tid)
{
	sampler__push_proc(s, type, s->opts.pid, tid);
}

void
sampler__push_exit(struct sampler *s, int wait_status)
{
	struct rec_exit r;

	memset(&r, 0, sizeof r);
	r.time_ns = util_now_ns();
	r.pid = s->opts.pid;
	r.wait_status = wait_status;
	ring_push(s->ring, REC_PROC_EXIT, &r, sizeof r);
	/* Relaxed: readers only need the values to appear eventually; the
	 * flag is checked after the status in sampler_target_exited(). */
	atomic_store_explicit(&s->exit_status, wait_status,
	    memory_order_relaxed);
	atomic_store_explicit(&s->exited, true, memory_order_release);
}

void
sampler__note_pause(struct sampler *s, uint64_t ns)
{
	uint64_t n = load(&s->pause_n);

	/* Single writer (the sampler thread): plain read-modify-write of
	 * relaxed atomics is enough, readers tolerate a torn view. */
	atomic_store_explicit(&s->pause_ring[n % SAMPLER_PAUSE_RING], ns,
	    memory_order_relaxed);
	atomic_store_explicit(&s->pause_n, n + 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->pause_sum, ns, memory_order_relaxed);
	if (ns > load(&s->pause_max))
		atomic_store_explicit(&s->pause_max, ns, memory_order_relaxed);
}

struct sampler *
sampler_new(const struct sampler_opts *opts, struct ring *ring, char **cause)
{
	struct sampler *s;

	if (!opts || !ring) {
		sampler__set_cause(cause, "sampler: no options or no ring");
		return NULL;
	}
	if (opts->all && (opts->backend == SAMPLER_BACKEND_PTRACE ||
	    opts->mode != SAMPLER_MODE_CPU || opts->children)) {
		sampler__set_cause(cause, "sampler: -a needs the perf backend "
		    "in cpu mode");
		return NULL;
	}
	if (!opts->all && opts->pid <= 0) {
		sampler__set_cause(cause, "sampler: bad pid %d", opts->pid);
		return NULL;
	}
	if (opts->hz < 1 || opts->hz > 10000) {
		sampler__set_cause(cause,
		    "sampler: frequency %u Hz out of range (1-10000)", opts->hz);
		return NULL;
	}
	if (opts->mode != SAMPLER_MODE_CPU &&
	    opts->mode != SAMPLER_MODE_WALL) {
		sampler__set_cause(cause, "sampler: unknown mode %d",
		    (int)opts->mode);
		return NULL;
	}
	if (opts->stack_size < 8 || opts->stack_size + sizeof(struct
	    rec_sample) > ring_max_record(ring)) {
		sampler__set_cause(cause, "sampler: stack size %zu does not "
		    "fit a ring record (at most %zu)", opts->stack_size,
		    ring_max_record(ring) - sizeof(struct rec_sample));
		return NULL;
	}
	if (opts->max_overhead_pct < 0 || opts->max_overhead_pct > 50) {
		sampler__set_cause(cause, "sampler: overhead budget %g%% out "
		    "of range (0-50)", opts->max_overhead_pct);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		sampler__set_cause(cause, "sampler: out of memory");
		return NULL;
	}
	/* opts->launched needs no special path: the tracer thread reaps the
	 * target in both modes, and for our own child (same thread group
	 * as its parent) that reap is the final one, status included. */
	s->opts = *opts;
	if (opts->all) {
		/* No one target: no Python probe, no budget of its CPU. */
		s->opts.pid = 0;
		s->opts.python = SAMPLER_PYTHON_OFF;
		s->opts.max_overhead_pct = 0;
	}
	s->self = getpid();
	s->stat_fd = -1;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->ring = ring;
	sampler__budget_init(s);
	s->py = sampler__py_new(s);
	atomic_init(&s->exit_status, -1);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return s;
}

void
sampler__wake(struct sampler *s)
{
	uint64_t one = 1;

	/* Full (a count near 2^64): a wake-up is pending anyway. */
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof one) < 0)
		return;
}

void
sampler__attach_result(struct sampler *s, int err, char *cause)
{
	pthread_mutex_lock(&s->lock);
	s->attach_done = true;
	s->attach_err = err;
	s->attach_cause = cause;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* perf first when asked or allowed (auto, cpu mode); ptrace when perf
 * is not wanted or, under auto, could not attach. */
static void *
sampler_thread(void *arg)
{
	struct sampler *s = arg;

	/* ptrace copies stacks into the ring while the target is stopped,
	 * so no page fault may lengthen that pause; and a window resident
	 * from the start keeps ctop-prof's memory flat over a run (a window
	 * that grows faults its new part in at once, in the sample that
	 * grew it). */
	ring_prefault(s->ring);
	if (s->opts.backend == SAMPLER_BACKEND_AUTO &&
	    s->opts.mode == SAMPLER_MODE_CPU && sampler__py_wants_ptrace(s))
		snprintf(s->note, sizeof s->note, "perf not used: a Python "
		    "target: perf reads its Python frames after the sample "
		    "and misses a stack that changed, ptrace in the same stop "
		    "(--backend perf to choose perf)");
	else if (s->opts.backend != SAMPLER_BACKEND_PTRACE &&
	    s->opts.mode == SAMPLER_MODE_CPU &&
	    sampler__perf_run(s) == 0)
		return NULL;
	/* -a failed with its own cause (sampler__perf_run). */
	if (s->opts.all)
		return NULL;
	if (s->opts.backend == SAMPLER_BACKEND_AUTO &&
	    s->opts.mode == SAMPLER_MODE_WALL)
		snprintf(s->note, sizeof s->note, "perf not used: --mode wall "
		    "samples blocked threads, which only ptrace can");
	s->backend_name = "ptrace";
	sampler__ptrace_run(s);
	return NULL;
}

/* The thread body, and the signal that its end holds nothing any more:
 * sampler_suspend() must not wait for a thread that is gone. */
static void *
sampler_thread_main(void *arg)
{
	struct sampler *s = arg;

	/* Named for top -H, T in a profile of ctop-prof, bench/self.sh. */
	pthread_setname_np(pthread_self(), "ctop-sampler");
	sampler_thread(s);
	atomic_store_explicit(&s->done, true, memory_order_release);
	return NULL;
}

int
sampler_start(struct sampler *s, char **cause)
{
	sigset_t all, old;
	int err;

	if (s->started) {
		sampler__set_cause(cause, "sampler: already started");
		return -EALREADY;
	}
	if (s->opts.backend == SAMPLER_BACKEND_PERF &&
	    s->opts.mode == SAMPLER_MODE_WALL) {
		sampler__set_cause(cause, "--backend perf cannot sample "
		    "blocked threads (--mode wall needs --backend ptrace)");
		return -EINVAL;
	}
	/* Every async signal is blocked in the sampler thread; SIGCHLD in
	 * particular is waited for with sigtimedwait(). Blocking before
	 * pthread_create leaves no window where one could land there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thr, NULL, sampler_thread_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		sampler__set_cause(cause, "sampler: cannot create thread: %s",
		    strerror(err));
		return -err;
	}
	s->started = true;
	pthread_mutex_lock(&s->lock);
	while (!s->attach_done)
		pthread_cond_wait(&s->cond, &s->lock);
	err = s->attach_err;
	pthread_mutex_unlock(&s->lock);
	if (err) {
		pthread_join(s->thr, NULL);
		s->joined = true;
		if (cause) {
			free(*cause);
			*cause = s->attach_cause;
		} else {
			free(s->attach_cause);
		}
		s->attach_cause = NULL;
	}
	return err;
}

void
sampler_stop(struct sampler *s)
{
	if (!s || !s->started || s->joined)
		return;
	atomic_store_explicit(&s->stop, true, memory_order_release);
	/* Wake the thread from sigtimedwait(): SIGCHLD is blocked there, so
	 * a thread-directed one stays pending until it waits again; and
	 * from perf's poll. */
	pthread_kill(s->thr, SIGCHLD);
	sampler__wake(s);
	pthread_join(s->thr, NULL);
	s->joined = true;
}

bool
sampler_suspend(struct sampler *s, unsigned timeout_ms)
{
	struct timespec ms = { 0, 1000000 };
	unsigned waited;
	uint32_t seq;

	if (!s || !s->started || s->joined)
		return true;
	/* A new number per request: an answer to an older one (a resume
	 * the sampler has not acted on yet) is not taken for this one. */
	seq = atomic_fetch_add_explicit(&s->hold_seq, 1,
	    memory_order_relaxed) + 1;
	/* Release: the sampler reads the number after the request. */
	atomic_store_explicit(&s->hold_req, true, memory_order_release);
	pthread_kill(s->thr, SIGCHLD);
	sampler__wake(s);
	for (waited = 0; waited < timeout_ms; waited++) {
		/* Acquire: pairs with the sampler's store once it detached. */
		if ((int32_t)(atomic_load_explicit(&s->released_seq,
		    memory_order_acquire) - seq) >= 0 ||
		    atomic_load_explicit(&s->done, memory_order_acquire))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

void
sampler_resume(struct sampler *s)
{
	if (!s || !s->started || s->joined)
		return;
	atomic_store_explicit(&s->hold_req, false, memory_order_release);
	pthread_kill(s->thr, SIGCHLD);
}

bool
sampler_target_exited(struct sampler *s, int *wait_status)
{
	bool exited;

	exited = atomic_load_explicit(&s->exited, memory_order_acquire);
	if (exited && wait_status)
		*wait_status = atomic_load_explicit(&s->exit_status,
		    memory_order_relaxed);
	return exited;
}

/* The CPU time in a stat line (every thread's, and with children also
 * what its reaped children used: cutime + cstime) in ns, plus one; 0:
 * unknown. */
static uint64_t
stat_cpu_plus_one(const char *buf, bool reaped_children)
{
	unsigned long long utime, stime;
	long long cutime = 0, cstime = 0;
	long tick = sysconf(_SC_CLK_TCK);
	const char *p;

	if (tick <= 0)
		return 0;
	/* After the comm, which may hold spaces and ')': fields 3.. */
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %*d %*d %*d %*d "
	    "%*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &utime, &stime,
	    &cutime, &cstime) < 2)
		return 0;
	if (!reaped_children || cutime < 0 || cstime < 0)
		cutime = cstime = 0;
	return (utime + stime + (unsigned long long)(cutime + cstime)) *
	    (1000000000ull / (unsigned long long)tick) + 1;
}

/* The same of process pid. */
static uint64_t
proc_cpu_plus_one(pid_t pid, bool reaped_children)
{
	char path[64], buf[1024];

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (sampler__proc_read(path, buf, sizeof buf) <= 0)
		return 0;
	return stat_cpu_plus_one(buf, reaped_children);
}

/* The target's /proc/PID/stat, read through a descriptor kept open: the
 * checks read it every 100 ms, and an open, a read and a close, the path
 * walked each time, were a quarter of the sampler thread's CPU on a VM at
 * 999 Hz. The descriptor stays the target's whatever the pid comes to
 * name after it is gone (a read then fails). The sampler thread's only,
 * or the caller's before it starts and after it ends. */
ssize_t
sampler__target_stat(struct sampler *s, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	if (s->stat_fd < 0) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)s->opts.pid);
		s->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->stat_fd < 0)
			return -errno;
	}
	n = pread(s->stat_fd, buf, size - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static uint64_t
target_cpu_plus_one(struct sampler *s)
{
	char buf[1024];

	if (sampler__target_stat(s, buf, sizeof buf) <= 0)
		return 0;
	return stat_cpu_plus_one(buf, false);
}

/* Descendants visited for one reading at most: a fork bomb costs a
 * bounded read. */
#define FAMILY_MAX 4096

/* A family's CPU time as it is summed: read at most `left` more. */
struct family_sum {
	uint64_t ns;
	int left;
};

static bool
add_cpu(pid_t child, void *arg)
{
	struct family_sum *f = arg;
	uint64_t t;

	if (f->left-- <= 0)
		return false;
	if ((t = proc_cpu_plus_one(child, true)) > 0)
		f->ns += t - 1;
	return true;
}

/* --children: the CPU time of the target and every descendant, live or
 * reaped (a descendant that ends between two readings, reaped by a
 * parent that is gone too, is lost: the reading is a maximum, never
 * smaller than the last). */
static uint64_t
family_cpu_plus_one(pid_t pid)
{
	struct family_sum f = { proc_cpu_plus_one(pid, true), FAMILY_MAX };

	if (f.ns == 0)
		return 0;
	sampler__proc_descendants(pid, add_cpu, &f);
	return f.ns;
}

/* -a: the machine's busy CPU time (every CPU's user, nice, system, irq,
 * softirq and steal of /proc/stat's first line) less ctop-prof's own,
 * whose samples are left out, plus one; 0 unknown. The rate is then per
 * busy CPU, as it is per busy thread for one target. */
static uint64_t
machine_cpu_plus_one(void)
{
	uint64_t own = proc_cpu_plus_one(getpid(), false), busy;
	unsigned long long v[8] = { 0 };
	long tick = sysconf(_SC_CLK_TCK);
	char buf[512];

	if (sampler__proc_read("/proc/stat", buf, sizeof buf) <= 0 ||
	    tick <= 0 || sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
	    &v[7]) != 8)
		return 0;
	/* v[3] idle and v[4] iowait are not busy. */
	busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
	    (1000000000ull / (unsigned long long)tick);
	own = own ? own - 1 : 0;
	return busy > own ? busy - own + 1 : 1;
}

static uint64_t
cpu_plus_one(struct sampler *s)
{
	if (s->opts.all)
		return machine_cpu_plus_one();
	return s->opts.children ? family_cpu_plus_one(s->opts.pid) :
	    target_cpu_plus_one(s);
}

void
sampler__start_clocks(struct sampler *s)
{
	uint64_t cpu = cpu_plus_one(s);

	atomic_store_explicit(&s->cpu_start_ns, cpu, memory_order_relaxed);
	atomic_store_explicit(&s->cpu_last_ns, cpu, memory_order_relaxed);
	atomic_store_explicit(&s->start_ns, util_now_ns(),
	    memory_order_relaxed);
}

/* A later reading only: a zombie's figures may be smaller (its threads'
 * gone), and the last good one is kept once the target is gone. */
void
sampler__note_cpu(struct sampler *s)
{
	uint64_t cpu = cpu_plus_one(s);

	/* Only the sampler thread stores: a plain maximum. */
	if (cpu > load(&s->cpu_last_ns))
		atomic_store_explicit(&s->cpu_last_ns, cpu,
		    memory_order_relaxed);
}

void
sampler__stop_clocks(struct sampler *s)
{
	sampler__note_cpu(s);
	atomic_store_explicit(&s->end_ns, util_now_ns(), memory_order_relaxed);
}

/* The target's CPU time since sampling started, as the sampler last read
 * it (every 100 ms, and at the end). 0 when never known. */
static uint64_t
target_cpu_since_start(struct sampler *s)
{
	uint64_t start = load(&s->cpu_start_ns), now = load(&s->cpu_last_ns);

	return start != 0 && now > start ? now - start : 0;
}

/* The median of the kernel's sample records, the top of its bucket (a
 * fixed size falls in one: within 128 bytes). */
static uint32_t
record_median(struct sampler *s)
{
	uint64_t n = 0, seen = 0;
	int i;

	for (i = 0; i < SAMPLER_REC_BUCKETS; i++)
		n += load(&s->record_hist[i]);
	for (i = 0; n && i < SAMPLER_REC_BUCKETS; i++) {
		seen += load(&s->record_hist[i]);
		if (seen * 2 >= n)
			return (uint32_t)(i + 1) * SAMPLER_REC_BUCKET;
	}
	return 0;
}

/* sampler_stats.rate_hz. */
static double
rate_hz(const struct sampler_stats *st, enum sampler_mode mode)
{
	uint64_t taken = st->samples + st->dropped + st->lost;
	double secs = st->elapsed_ns / 1e9;

	/* cpu: samples per second a thread ran, the same on both backends
	 * (perf counts CPU time; ptrace skips threads that do not run). From
	 * 5 clock ticks of CPU time (stat's resolution: within 20%): a
	 * target a busy machine gave 0.19 s in 3 s read 1.6 Hz at -F 199
	 * per thread, idle threads dividing it again. */
	if (mode == SAMPLER_MODE_CPU && st->target_cpu_ns >= 50000000u)
		return taken / (st->target_cpu_ns / 1e9);
	/* wall, or too little CPU to tell: per thread per second. */
	if (secs <= 0 || st->threads_seen == 0)
		return 0.0;
	return (taken + st->skipped_idle) / secs /
	    (st->threads > 0 ? st->threads : st->threads_seen);
}

void
sampler_get_stats(struct sampler *s, struct sampler_stats *out)
{
	uint64_t start, end;

	memset(out, 0, sizeof *out);
	out->samples = load(&s->samples);
	out->dropped = load(&s->dropped);
	out->skipped_idle = load(&s->skipped_idle);
	out->failed = load(&s->failed);
	out->signals = load(&s->signals);
	out->threads = atomic_load_explicit(&s->threads, memory_order_relaxed);
	out->threads_seen = atomic_load_explicit(&s->threads_seen,
	    memory_order_relaxed);
	out->procs_seen = atomic_load_explicit(&s->procs_seen,
	    memory_order_relaxed);
	out->pause_ns_sum = load(&s->pause_sum);
	out->pause_ns_max = load(&s->pause_max);
	start = load(&s->start_ns);
	end = load(&s->end_ns);
	/* The time ctop-prof spent stopped (job control) sampled nothing. */
	if (start)
		out->elapsed_ns = (end ? end : util_now_ns()) - start -
		    load(&s->held_ns);
	out->target_exited = sampler_target_exited(s, &out->exit_status);
	out->target_cpu_ns = start ? target_cpu_since_start(s) : 0;
	if (!out->target_exited)
		out->exit_status = -1;
	/* backend_name and note are written before the attach result is
	 * handed over under s->lock, and never after. */
	out->backend = s->backend_name ? s->backend_name : "ptrace";
	out->lost = load(&s->lost);
	out->sample_bytes = load(&s->sample_bytes);
	out->record_bytes = load(&s->record_bytes);
	out->record_bytes_p50 = record_median(s);
	out->stack_size_now = atomic_load_explicit(&s->stack_size_now,
	    memory_order_relaxed);
	out->stack_changes = atomic_load_explicit(&s->stack_changes,
	    memory_order_relaxed);
	out->backend_note = s->note;
	sampler__py_stats(s, out);
	out->rate_hz = rate_hz(out, s->opts.mode);
	out->hz_now = (double)s->opts.hz /
	    atomic_load_explicit(&s->period_k, memory_order_relaxed);
	out->hz_min = (double)s->opts.hz /
	    atomic_load_explicit(&s->period_k_max, memory_order_relaxed);
	out->hz_changes = load(&s->hz_changes);
	out->budget_pct = s->opts.max_overhead_pct;
	out->cost_pct = (double)load(&s->budget_cost_ppm) / 1e4;
	out->cost_median_pct = (double)load(&s->budget_median_ppm) / 1e4;
	pthread_mutex_lock(&s->lock);
	memcpy(out->hz_hist, s->hz_hist, sizeof out->hz_hist);
	out->n_hz_hist = s->n_hz_hist;
	out->hz_want = s->opts.hz;
	pthread_mutex_unlock(&s->lock);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles of the first n (at most cap) values of a ring the sampler
 * writes: copied into a static scratch array (32 KiB; off the heap) under
 * a mutex that makes concurrent callers safe, then sorted. p90 may be
 * NULL. Never on the sampler path. */
void
sampler__percentiles(_Atomic uint64_t *ring, size_t cap, uint64_t n,
    uint64_t *p50, uint64_t *p90, uint64_t *p99)
{
	static uint64_t v[SAMPLER_PAUSE_RING];
	static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
	size_t i;

	if (n > cap)
		n = cap;
	if (n > SAMPLER_PAUSE_RING)
		n = SAMPLER_PAUSE_RING;
	*p50 = *p99 = 0;
	if (p90 != NULL)
		*p90 = 0;
	if (n == 0)
		return;
	pthread_mutex_lock(&vlock);
	for (i = 0; i < n; i++)
		v[i] = load(&ring[i]);
	qsort(v, n, sizeof v[0], cmp_u64);
	*p50 = v[n * 50 / 100];
	if (p90 != NULL)
		*p90 = v[n * 90 / 100];
	*p99 = v[n * 99 / 100];
	pthread_mutex_unlock(&vlock);
}

void
sampler_pause_percentiles(struct sampler *s, uint64_t *p50, uint64_t *p90,
    uint64_t *p99)
{
	sampler__percentiles(s->pause_ring, SAMPLER_PAUSE_RING,
	    load(&s->pause_n), p50, p90, p99);
}

void
sampler_free(struct sampler *s)
{
	if (!s)
		return;
	sampler_stop(s);
	free(s->attach_cause);
	if (s->stat_fd >= 0)
		close(s->stat_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	sampler__py_free(s->py);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
