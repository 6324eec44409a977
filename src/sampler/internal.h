/* SPDX-License-Identifier: MIT */
/* sampler internals shared by sampler.c (public API, thread), ptrace_*.c
 * (the ptrace backend) and procfs.c (/proc readers). Not for other modules. */
#ifndef CTOP_SAMPLER_INTERNAL_H
#define CTOP_SAMPLER_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/record.h"
#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "ctop/util.h"

#define SAMPLER_PAUSE_RING 4096		/* pauses kept for percentiles */
#define SAMPLER_POLL_NS 100000000ull	/* /proc/PID/task safety-net poll */
#define SAMPLER_MAPS_BUF 65536		/* /proc/PID/maps read chunk */
#define SAMPLER_EXEC_MAX 1024		/* executable mappings watched */
#define SAMPLER_STACK_MAX 65528u	/* perf's most: round_down(USHRT_MAX, 8) */
#define SAMPLER_REC_BUCKET 128u		/* record sizes' histogram step */
#define SAMPLER_REC_BUCKETS 514		/* up to 64 KiB and above */

struct sampler_exec_range {
	uint64_t lo, hi;
};

enum sthread_state {
	STH_RUNNING,		/* seized, runs, sampled when due */
	STH_GROUP_STOP,		/* in group-stop under PTRACE_LISTEN */
	STH_EXITING,		/* PTRACE_EVENT_EXIT seen, not reaped yet */
	STH_DEAD,		/* reaped or detached: removed at next sweep */
	STH_RELEASED,		/* detached while ctop-prof is stopped (job
				 * control): seized again on resume */
};

/* One traced thread. Heap-allocated when the thread is born so that
 * pointers stay valid while the table grows. */
struct sthread {
	pid_t tid;
	pid_t pid;		/* its process: the target's, or with
				 * --children a descendant's */
	uint8_t state;		/* enum sthread_state */
	bool foreign;		/* auto-attached clone that is not one of
				 * the target's threads: detach on its first
				 * stop */
	bool exit_pushed;	/* REC_THREAD_EXIT already sent */
	bool irq_pending;	/* a PTRACE_INTERRUPT whose stop had not come
				 * in time: drain() captures it when it does;
				 * do not interrupt again meanwhile */
	uint32_t irq_flags;	/* sample flags decided before the interrupt */
	uint64_t irq_t0;	/* when the pending interrupt was sent */
	uint64_t irq_weight;	/* sample weight decided before it */
	int stat_fd;		/* /proc/PID/task/TID/stat, for pread */
	int sched_fd;		/* /proc/PID/task/TID/schedstat (cpu mode) */
	uint64_t cpu_last;	/* on-CPU ns at the last look (cpu mode) */
	int64_t cpu_acc;	/* on-CPU ns not yet turned into weight
				 * (negative: weight given ahead) */
	uint64_t next_ns;	/* next sample due (CLOCK_MONOTONIC) */
	uint64_t stk_lo, stk_hi; /* cached mapping holding the stack */
	uint64_t comm_read_ns;	/* its comm's last read (ptrace) */
	char comm[16];		/* ... and what it said */
};

/* stack_auto.c: --stack-size auto's state (sampler thread only). */
struct stack_auto {
	uint32_t size;		/* the copy asked now */
	bool learned;		/* a window of walks was judged since the
				 * start or the last growth */
	uint32_t reach;		/* deepest read of the window's walks */
	uint32_t walks;		/* walks in the window */
	uint64_t since_ns;	/* the window's start */
	uint64_t shrunk_ns;	/* the last shrink, 0 before any */
	unsigned backoff;	/* windows are 2^backoff as long: shrinks
				 * that a growth soon undid */
};

/* --children (ptrace): a process the target forked, or a descendant
 * found at attach. Its threads are in the thread table with its pid. */
struct schild {
	pid_t pid;
	long long watch_kb;	/* VmExe + VmLib at the last look; -1:
				 * unknown (no event on the first look) */
	uint64_t watch_read_ns;	/* the last look */
	uint64_t files_since_ns; /* files a look finds mapped since then:
				  * the last look, or the exec */
};

/* budget.c: the overhead budget's window (sampler thread only). */
#define BUDGET_RECENT 5		/* windows whose median the summary gives */
struct sampler_budget {
	double limit;		/* share of the target's CPU; 0: off */
	uint64_t t0, cost0, cpu0, n0; /* the window's start (n: samples) */
	uint64_t counted_ns;	/* held time and ctop-prof's CPU time
				 * that came out of the target's */
	uint64_t tick_ns, tick_cpu, tick_own, tick_held, tick_idle;
	uint64_t tick_seen, tick_runnable;	/* at the last tick */
	double runnable;	/* the target's runnable threads (ptrace) */
	uint32_t recent_ppm[BUDGET_RECENT];	/* the last windows' costs */
	unsigned n_recent;		/* windows judged so far */
	uint32_t since_ppm[BUDGET_RECENT];	/* ... since the rate moved */
	unsigned n_since;
	double ncpu;		/* CPUs online at start */
};

struct sampler {
	struct sampler_opts opts;
	pid_t self;			/* ctop-prof: -a skips its samples */
	int stat_fd;			/* sampler__target_stat's, or -1 */
	int wake_fd;			/* an eventfd main writes to wake a
					 * perf poll (stop, hold), or -1 */
	struct ring *ring;

	/* Start handshake (main <-> sampler thread, start only). */
	pthread_t thr;
	bool started, joined;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool attach_done;
	int attach_err;
	char *attach_cause;

	/* Shared with other threads: atomics only. */
	atomic_bool stop;
	atomic_bool exited;
	atomic_bool running;		/* sampling loop active */
	/* Job control (sampler_suspend/resume): main asks with hold_req
	 * and a new hold_seq; the sampler answers by copying hold_seq into
	 * released_seq once it holds no thread, or with done once its
	 * thread has ended. */
	atomic_bool hold_req, done;
	_Atomic uint32_t hold_seq, released_seq;
	_Atomic uint64_t held_ns;	/* time spent released */
	atomic_int exit_status;
	_Atomic uint64_t samples, dropped, skipped_idle, failed, signals;
	_Atomic uint32_t threads, threads_seen;
	_Atomic uint32_t procs_seen;	/* --children: processes besides
					 * the target */
	_Atomic uint64_t pause_sum, pause_max, pause_n;
	_Atomic uint64_t start_ns, end_ns;
	/* The target's CPU time (all its threads: utime + stime of
	 * /proc/PID/stat, 10 ms steps) plus one when sampling started,
	 * and at the last read (sampler_get_stats, the end): the rate's
	 * denominator in cpu mode. 0 = unknown. */
	_Atomic uint64_t cpu_start_ns, cpu_last_ns;
	_Atomic uint64_t pause_ring[SAMPLER_PAUSE_RING];
	/* The period as a multiple of -F's that the budget set (1 without
	 * one: the rate is opts.hz / period_k), its largest, how often it
	 * moved, and the last window's cost (parts per million of the
	 * target's CPU time). */
	_Atomic unsigned period_k, period_k_max;
	_Atomic uint64_t hz_changes, budget_cost_ppm, budget_median_ppm;
	struct sampler_budget budget;	/* sampler thread only */
	/* The budget's rate changes, for the summary (under lock). */
	struct sampler_hz_step hz_hist[SAMPLER_HZ_HIST];
	unsigned n_hz_hist;

	/* Sampler thread only. */
	struct sthread **th;
	size_t nth, cap;
	struct schild *kids;		/* --children: processes besides the
					 * target, alive as far as we know */
	size_t nkids, kids_cap;
	uint64_t rng;
	uint64_t unit_ns;		/* -F's period: the unit of weights */
	uint64_t held_ns_sum;		/* ptrace: time threads sat stopped
					 * in capture(), the budget's cost */
	uint64_t seen_threads;		/* ptrace: threads looked at, and */
	uint64_t seen_runnable;		/* ... those found runnable (R) */
	uint64_t mean_gap_ns;		/* unit_ns times the budget's k */
	uint64_t lost_pending;		/* drops not yet told by REC_LOST */
	bool leader_zombie;		/* the leader had exited at attach:
					 * the end is the last thread's */
	unsigned missed_wakeups;	/* events found after a quiet wait */
	bool chld_unreliable;		/* SIGCHLD goes to another thread:
					 * wait in short slices instead */
	sigset_t chld;
	char *mapsbuf;
	bool schedstat_ok;		/* schedstat counts (else stat ticks) */
	uint64_t auxv_id;		/* sampler__proc_auxv_id() at release */
	/* ptrace: what maps_watch.c knows of the executable mappings */
	int watch_fd;			/* /proc/PID/status, for pread */
	long long watch_kb;		/* VmExe + VmLib at the last read */
	uint64_t watch_read_ns, watch_sent_ns, watch_maps_ns;
	struct sampler_exec_range *exec;	/* sorted, from the maps */
	size_t n_exec;
	struct sampler_exec_range *exec_old;	/* the read before */

	/* Backend chosen (static string) and why: written by the sampler
	 * thread before sampler__attach_result(), read-only afterwards. */
	const char *backend_name;
	char note[384];
	_Atomic uint64_t lost;		/* perf: PERF_RECORD_LOST sums */
	_Atomic uint64_t sample_bytes;	/* REC_SAMPLE payload pushed */
	/* perf: the kernel's sample records (sampler_stats.record_bytes)
	 * and how many fell in each SAMPLER_REC_BUCKET of size. */
	_Atomic uint64_t record_bytes;
	_Atomic uint64_t record_hist[SAMPLER_REC_BUCKETS];
	_Atomic uint32_t stack_size_now, stack_changes;
	struct perf_state *perf;	/* perf backend state, or NULL */
	struct sampler_py *py;		/* Python frames, or NULL (off) */
	char py_note[112];		/* under lock: sampler_stats.python */
};

/* sampler.c */
void sampler__push_thread(struct sampler *s, uint32_t type, pid_t tid);
/* The same for a thread of process pid (--children: a REC_EXEC,
 * REC_PROC_NEW or REC_PROC_GONE of a child carries its pid). */
void sampler__push_proc(struct sampler *s, uint32_t type, pid_t pid,
    pid_t tid);
void sampler__push_exit(struct sampler *s, int wait_status);
void sampler__note_pause(struct sampler *s, uint64_t ns);
int sampler__set_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ptrace_backend.c: the sampler thread's body. Signals the attach result
 * through sampler__attach_result(), then samples until stop or exit. */
void sampler__ptrace_run(struct sampler *s);
void sampler__attach_result(struct sampler *s, int err, char *cause);
/* Wakes the sampler thread's perf poll (wake_fd). Thread: main. */
void sampler__wake(struct sampler *s);

/* Sampling starts (stops) now: the wall clock and the target's CPU
 * time. */
void sampler__start_clocks(struct sampler *s);
void sampler__stop_clocks(struct sampler *s);

/* Reads the target's CPU time again (sampler thread only: every 100 ms
 * and at the end; a target that exits leaves the last reading). */
void sampler__note_cpu(struct sampler *s);

/* perf_backend.c: the perf backend's thread body. Returns 0 when it ran
 * (attach result already signalled), or -errno when the backend is auto,
 * perf could not attach, and ptrace should run instead (s->note says
 * why). */
int sampler__perf_run(struct sampler *s);

/* maps_watch.c: ptrace sees no mmap; a REC_MAPS_CHANGED goes before a
 * sample when the size of the executable mappings changed since the last
 * look, and once a second anyway (sampler__maps_watch, before the thread
 * is interrupted), or when the sampled pc lies in no executable mapping
 * known to the sampler and a maps read finds them changed
 * (sampler__maps_watch_pc, while it is stopped). tid: the sampled thread
 * (asked when the leader is a zombie). Allocates only the first time (the
 * range table). */
void sampler__maps_watch(struct sampler *s, pid_t tid);
void sampler__maps_watch_pc(struct sampler *s, pid_t tid, uint64_t pc,
    uint64_t sample_ns);
/* The target exec'd: the next read tells every file (REC_MMAP). */
void sampler__maps_watch_exec(struct sampler *s);
void sampler__maps_watch_close(struct sampler *s);
/* budget.c: --max-overhead. The backend calls sampler__budget_tick after
 * each CPU time reading with its own cost to the target so far (ns): the
 * kernel's work in the target's time (perf), and the time its threads
 * were held stopped (ptrace), which is a cost only when no sibling ran in
 * their place; it applies the period multiple returned (0: unchanged),
 * and commits it (period_k: the weight of the samples from then on). */
void sampler__budget_init(struct sampler *s);
unsigned sampler__budget_tick(struct sampler *s, uint64_t kernel_ns,
    uint64_t held_ns);
void sampler__budget_commit(struct sampler *s, unsigned k);
/* The rule itself (a pure function, for the tests): the period multiple
 * after a window that cost `ratio` of the target's CPU at multiple k,
 * with the budget limit (a share) and -F want. */
unsigned sampler__budget_next_k(double limit, double ratio, unsigned k,
    unsigned want);
/* ... and what of one tick counts: held ns when the target's runnable
 * threads (-1: unknown) were no more than the CPUs it got, and own_share
 * of ctop-prof's own CPU ns. */
uint64_t sampler__budget_lost(uint64_t held, uint64_t own, double got,
    double runnable, double own_share);
/* ... where own_share, on a machine with no CPU idle (full), is the
 * target's share of the CPU time the others got (target, own and busy in
 * any one unit: busy, all the machine's CPU time but its idle), at most 1;
 * 0 while a CPU was idle. */
double sampler__budget_own_share(bool full, double target, double own,
    double busy);
/* A ptrace sample's pause as the budget counts it (ns): from the
 * interrupt t0 to the resume asked, plus the resume's call (to done)
 * up to the stop's latency (t0 to ts), which counts only up to late_ns. */
uint64_t sampler__budget_held(uint64_t t0, uint64_t ts, uint64_t asked,
    uint64_t done, uint64_t late_ns);
/* The cost (a share) the rule judges by after n windows since the rate
 * last moved, costs in ppm: the lower median of the last few, and -1 (no
 * judgement yet) for fewer than BUDGET_JUDGE_MIN of them. */
#define BUDGET_JUDGE_MIN 2
double sampler__budget_judged(const uint32_t *ppm, unsigned n);

struct sampler_map_file;

/* Tells the worker a file is mapped executable at f's range since t
 * (REC_MMAP): its module, however soon it goes. False when the ring had
 * no room. */
bool sampler__push_mmap(struct sampler *s, uint64_t t,
    const struct sampler_map_file *f);
/* Tells every file process pid maps executable now as mapped since t
 * (REC_MMAP each), its maps read through buf: for a process the worker
 * may meet only after it is gone. True when it maps executable memory of
 * no file too (JIT code; not [vdso]). */
bool sampler__tell_files(struct sampler *s, pid_t pid, uint64_t t, char *buf,
    size_t size);
/* VmExe + VmLib in kB from a /proc status text, -1 without them. */
long long sampler__status_exec_kb(const char *text);

/* python_side.c: Python frames (python.h). The probe runs on the sampler
 * thread between samples (after attach and exec, and again on maps
 * changes for 3 s after them: libpython is mapped after the exec); each
 * sample walks the sampled thread's chain into s->py's buffer. With
 * --children each process has its own probe, made when it is first
 * sampled. sampler__py_new allocates once (NULL: --python off or no
 * memory). */
struct sampler_py *sampler__py_new(struct sampler *s);
void sampler__py_free(struct sampler_py *py);
/* Process pid exec'd (probe again from scratch), its maps changed (probe
 * again if nothing was found yet), or it is gone (its state freed). */
void sampler__py_exec(struct sampler *s, pid_t pid);
void sampler__py_maps(struct sampler *s, pid_t pid);
void sampler__py_gone(struct sampler *s, pid_t pid);
/* Probes when one is due; call between samples, never with a thread
 * held stopped. */
void sampler__py_tick(struct sampler *s);
/* Walks thread tid of process pid (held stopped by ptrace, or just
 * sampled by perf); returns the walk's result (python_walk) and keeps
 * the chain for sampler__py_append; REC_PY_NONE when Python is off or
 * not found (yet: a child's first sample asks for its probe).
 * capture_ns: the sample's capture time, for the delay figures (0: no
 * delay to measure). */
int sampler__py_walk(struct sampler *s, pid_t pid, pid_t tid,
    uint64_t capture_ns);
/* Bytes sampler__py_append may add after a payload of len bytes. */
size_t sampler__py_room(const struct sampler *s, size_t len);
/* Appends the chain of the last walk to rec (payload len bytes so far,
 * room for sampler__py_room more) and sets py_len and py_status from
 * status; returns the new payload length. */
size_t sampler__py_append(struct sampler *s, struct rec_sample *rec,
    size_t len, size_t cap, int status);
void sampler__py_stats(struct sampler *s, struct sampler_stats *out);
/* After the walk, before the sample's record: sends the code objects of
 * its Python chain the worker does not have as they are now (REC_PY_CODE).
 * False: the ring is full (drop the sample). */
bool sampler__py_codes(struct sampler *s);
/* Whether Python chains are being read (a CPython target was found). */
bool sampler__py_active(const struct sampler *s);

/* stack_auto.c: the rule (pure, for the tests). The copy for walks that
 * read reach bytes, margin included; then, after what the worker's walks
 * needed since the last call, the size to open the events at (0: keep).
 * Grows at once (a walk ran out of a copy of the size now, or came within
 * the margin), shrinks at the end of a window of walks. */
uint32_t sampler__stack_fit(uint32_t reach);
void sampler__stack_auto_init(struct stack_auto *a, uint32_t size,
    uint64_t now_ns);
uint32_t sampler__stack_auto_next(struct stack_auto *a,
    const struct stack_need_seen *seen, uint64_t now_ns);

/* sampler.c: percentiles of a ring of values (pauses, Python delays). */
void sampler__percentiles(_Atomic uint64_t *ring, size_t cap, uint64_t n,
    uint64_t *p50, uint64_t *p90, uint64_t *p99);

/* python_side.c: --backend auto picks ptrace for a CPython target. */
bool sampler__py_wants_ptrace(struct sampler *s);

/* ptrace_attach.c */
int sampler__attach(struct sampler *s, char **cause);
int sampler__seize(struct sampler *s, pid_t tid);
int sampler__scan(struct sampler *s);
/* Seizes every thread of process pid not traced yet; how many, or
 * -errno. */
int sampler__scan_proc(struct sampler *s, pid_t pid);
/* keep: job control; threads that live on stay listed as STH_RELEASED,
 * for sampler__reattach(). */
void sampler__detach_all(struct sampler *s, bool keep);
void sampler__reattach(struct sampler *s);

/* ptrace_threads.c: the thread table */
struct sthread *sampler__find(struct sampler *s, pid_t tid);
/* Adds tid, a thread of process pid traced by us (seized or
 * auto-attached); pid 0: the target's, unless /proc says otherwise. */
struct sthread *sampler__add(struct sampler *s, pid_t pid, pid_t tid);
/* Whether t is one of the target's threads (not a child's). */
static inline bool
sampler__of_target(const struct sampler *s, const struct sthread *t)
{
	return t->pid == s->opts.pid;
}
void sampler__mark_dead(struct sampler *s, struct sthread *t);
/* A rename ptrace tells nothing of (pthread_setname_np, prctl): t's comm
 * read again at most once a second, a change told as REC_THREAD_NAME. */
void sampler__comm_watch(struct sampler *s, struct sthread *t);
void sampler__sweep(struct sampler *s);
void sampler__free_table(struct sampler *s);
void sampler__schedule(struct sampler *s, struct sthread *t, uint64_t now);
void sampler__open_fds(struct sampler *s, struct sthread *t);
void sampler__cpu_rebase(struct sampler *s, struct sthread *t);

/* ptrace_children.c: --children on the ptrace backend. The options
 * every seize sets (fork, vfork and exec followed with --children). */
long sampler__seize_opts(const struct sampler *s);
struct schild *sampler__child_find(struct sampler *s, pid_t pid);
/* A task the kernel attached to us: new_tid reported by parent's fork,
 * vfork or clone event (ev), or (parent NULL) a stop of a tid we did not
 * know. Adds it as a thread or, with --children, as a new process
 * (REC_PROC_NEW); returns its entry or NULL. */
struct sthread *sampler__born(struct sampler *s, const struct sthread *parent,
    int ev, pid_t new_tid);
/* Process pid's leader is gone: REC_PROC_GONE, forgotten. */
void sampler__child_gone(struct sampler *s, pid_t pid);
/* Process pid (not the target) exec'd: REC_EXEC with its pid. */
void sampler__child_exec(struct sampler *s, pid_t pid, pid_t tid);
/* Before a sample of a child's thread: REC_MAPS_CHANGED with its pid
 * when the size of its executable mappings changed (no mmap events). */
void sampler__child_watch(struct sampler *s, pid_t pid);
/* Seizes the target's descendants now (at attach, after a job-control
 * stop), each a process of its own. */
void sampler__children_attach(struct sampler *s);
void sampler__children_free(struct sampler *s);

/* procfs.c: small /proc readers; no stdio, no allocation. */
/* The process (thread group) of tid and its parent; 0 when unknown. */
pid_t sampler__proc_tgid(pid_t tid, pid_t *ppid);
ssize_t sampler__proc_read(const char *path, char *buf, size_t size);
/* The target's /proc/PID/stat (NUL-terminated): its length or -errno. */
ssize_t sampler__target_stat(struct sampler *s, char *buf, size_t size);

/* Calls fn for every descendant of pid, depth first (a process, then its
 * own descendants), from each thread's /proc/PID/task/TID/children, at
 * most SAMPLER_DESCEND_MAX generations down; fn returns false to stop
 * the walk. One that ends meanwhile is skipped. */
#define SAMPLER_DESCEND_MAX 64
typedef bool (*sampler__child_fn)(pid_t child, void *arg);
void sampler__proc_descendants(pid_t pid, sampler__child_fn fn, void *arg);
int sampler__proc_stat(const char *stat, char *state, unsigned long *flags);
char sampler__proc_state_fd(int fd);
char sampler__proc_state_tid(pid_t pid, pid_t tid);
/* On-CPU ns of a thread: schedstat's first field from fd (or its path
 * without one); with schedstat false, utime + stime of its stat file at
 * tick resolution. 0 when unreadable. */
uint64_t sampler__proc_cpu_ns(int fd, pid_t pid, pid_t tid, bool schedstat);
/* Idle time of the whole machine so far (every CPU's summed), ns; 0 when
 * unreadable. */
uint64_t sampler__proc_idle_ns(void);
pid_t sampler__proc_tracer(pid_t pid, pid_t tid);
long sampler__proc_uid(pid_t pid);
void sampler__proc_comm(pid_t pid, pid_t tid, char comm[16]);
int sampler__proc_stack_range(pid_t pid, uint64_t sp, char *buf,
    size_t size, uint64_t *lo, uint64_t *hi);
int sampler__proc_yama_scope(void);
/* Looks at the address range that starts a maps line (NUL-terminated);
 * true, with [*lo, *hi), when it holds sp. */
bool sampler__maps_line_holds(const char *line, uint64_t sp, uint64_t *lo,
    uint64_t *hi);
/* Calls fn for each complete line of /proc/PID/maps (NUL-terminated, no
 * '\n'), read in buf-sized chunks; stops when fn returns false. Returns
 * 0 or -errno. */
int sampler__proc_maps_each(pid_t pid, char *buf, size_t size,
    bool (*fn)(void *ctx, const char *line), void *ctx);
/* A maps line's mapping of a file: range, offset, device, inode and path
 * (in the line, path_len bytes, " (deleted)" kept). */
struct sampler_map_file {
	pid_t pid;		/* whose (0: the target) */
	uint64_t lo, hi, off, dev, ino;
	const char *path;
	size_t path_len;
};

/* False for a line that maps no file (anonymous, [stack], [vdso]...). */
bool sampler__maps_line_file(const char *line, struct sampler_map_file *f);
/* The range and whether the mapping is executable, from a maps line. */
bool sampler__maps_line_range(const char *line, uint64_t *lo, uint64_t *hi,
    bool *exec);
bool sampler__proc_has_cap(int cap);
/* A fingerprint of the process image (its auxiliary vector: entry point,
 * random bytes, vDSO...), which every exec changes; 0 when unreadable.
 * Tells whether it exec'd while nothing watched (job control). */
uint64_t sampler__proc_auxv_id(pid_t pid);
uint64_t sampler__proc_start_stack(pid_t pid);

#endif
