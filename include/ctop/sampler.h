/* SPDX-License-Identifier: MIT */
/* sampler: captures raw samples from a target process and pushes them into
 * the ring; the ring is its only channel out. The ptrace backend seizes
 * every thread (also threads born later) with PTRACE_SEIZE and, per
 * sample, PTRACE_INTERRUPT -> PTRACE_GETREGSET -> one process_vm_readv of
 * the stack -> PTRACE_CONT; it never sends SIGSTOP, re-injects every
 * signal, respects group-stops with PTRACE_LISTEN, never sets
 * PTRACE_O_EXITKILL, and detaches every thread before its thread ends.
 * Every ptrace call of the program is made by the sampler's thread.
 * The perf backend instead opens perf_event_open events on every thread
 * (inherited by threads born later) and copies the kernel's samples
 * (user registers + stack copy, or the frame-pointer chain) from its
 * mmap rings: the target is never stopped.
 * The sampler never unwinds, symbolizes, or allocates per sample. */
#ifndef CTOP_SAMPLER_H
#define CTOP_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/ring.h"
#include "ctop/stack_need.h"

enum sampler_mode {
	SAMPLER_MODE_CPU,	/* only threads running (state R) */
	SAMPLER_MODE_WALL,	/* every thread, blocked ones included */
};

enum sampler_backend {
	SAMPLER_BACKEND_AUTO,
	SAMPLER_BACKEND_PTRACE,
	SAMPLER_BACKEND_PERF,
};

enum sampler_python {
	SAMPLER_PYTHON_AUTO,	/* Python frames when the target is CPython */
	SAMPLER_PYTHON_ON,	/* the same, and say so when it is not */
	SAMPLER_PYTHON_OFF,	/* no probe, no walk */
};

struct sampler_opts {
	pid_t pid;
	bool launched;		/* pid is our child (launch mode): the sampler
				 * reaps it and reports its wait status */
	unsigned hz;		/* samples per second per thread */
	enum sampler_mode mode;
	enum sampler_backend backend;
	size_t stack_size;	/* bytes of stack copied per sample (with
				 * stack_auto: the first size on perf) */
	bool stack_auto;	/* --stack-size auto (perf, one target):
				 * the copy follows what the walks needed,
				 * told through stack_need */
	struct stack_need *stack_need; /* the worker's word (stack_need.h):
				 * made by cli, outlives the sampler;
				 * NULL without stack_auto */
	bool unwind_fp;		/* perf: take the kernel's frame-pointer
				 * chain, copy no stack (--unwind fp) */
	unsigned perf_ring_pages; /* perf: data pages per CPU ring, a power
				 * of two; 0 = sized from stack_size */
	enum sampler_python python;
	bool all;		/* -a (perf): every process on every CPU,
				 * pid 0; ctop-prof's own samples skipped */
	bool children;		/* --children (both backends): every process the
				 * target forks is sampled too, and its
				 * descendants at attach */
	double max_overhead_pct; /* --max-overhead: the most the profiler
				 * may cost the target, in percent of its
				 * CPU time (0: no budget) */
	bool python_hint;	/* launch: the command looks like CPython
				 * (its name or its #! line); with --backend
				 * auto, ptrace is then chosen */
	bool unhurried;		/* a recording: no one reads the samples
				 * before the end, so perf's idle waits are
				 * long (the target's exit still ends them) */
};

/* Counters, read with sampler_get_stats() from any thread. */
/* A change of the rate under --max-overhead: the rate from at_ms (since
 * the start) on. */
#define SAMPLER_HZ_HIST 8
struct sampler_hz_step {
	uint32_t at_ms;
	double hz;
};

struct sampler_stats {
	uint64_t samples;	/* pushed into the ring */
	uint64_t dropped;	/* ring full */
	uint64_t skipped_idle;	/* cpu mode: thread was not running */
	uint64_t failed;	/* capture failed (thread vanished...) */
	uint64_t signals;	/* signals re-injected */
	uint32_t threads;	/* threads attached now */
	uint32_t threads_seen;	/* threads attached since the start */
	uint32_t procs_seen;	/* --children: processes followed besides
				 * the target; -a: processes born */
	uint64_t pause_ns_sum;	/* total time threads were held stopped */
	uint64_t pause_ns_max;
	uint64_t elapsed_ns;	/* since sampling started */
	uint64_t target_cpu_ns;	/* CPU time the target used since then,
				 * all threads (0 = unknown) */
	double rate_hz;		/* achieved: in cpu mode, samples per
				 * second of the target's CPU time (per
				 * busy thread: one that runs all the time
				 * is sampled at -F, an idle one does not
				 * count), the same on both backends; in
				 * wall mode, per second per thread */
	bool target_exited;
	int exit_status;	/* wait status when target_exited and known */
	const char *backend;	/* "ptrace" or "perf" (static string) */
	uint64_t lost;		/* perf: samples the kernel lost (its ring
				 * was full: PERF_RECORD_LOST) */
	const char *backend_note; /* why this backend, and what it cannot
				 * see (kernel time...), "" if nothing to
				 * say; valid until sampler_free() */
	uint64_t sample_bytes;	/* payload bytes of the samples pushed */
	/* perf: the kernel's sample records, what its ring reserves per
	 * sample (the whole stack size asked, however little was valid):
	 * bytes in all, and the median (0 without perf samples). */
	uint64_t record_bytes;
	uint32_t record_bytes_p50;
	uint32_t stack_size_now;	/* perf: the copy asked now */
	uint32_t stack_changes;		/* --stack-size auto: reopenings */
	/* --max-overhead: the rate asked now (-F without a budget), the
	 * lowest it was, how many times it moved, the budget (percent of
	 * the target's CPU time, 0: none) and the cost in the last window
	 * it judged (percent; 0 before the first). */
	double hz_now, hz_min;
	uint64_t hz_changes;
	double budget_pct, cost_pct;
	double cost_median_pct;	/* the median of the last 5 windows' */
	/* ... the rate over time: -F, then each change (the first
	 * SAMPLER_HZ_HIST - 1 of them, then the last one). */
	unsigned hz_want;
	struct sampler_hz_step hz_hist[SAMPLER_HZ_HIST];
	unsigned n_hz_hist;
	/* Python frames (python.h): what the probe found, e.g.
	 * "python 3.12", "python off: CPython 3.9 not supported", "" when
	 * not a CPython process under --python auto; and the walks. */
	char python[112];
	uint64_t py_walks;	/* chains read (any length) */
	uint64_t py_noent;	/* threads without a thread state (C only) */
	uint64_t py_fault;	/* reads that failed (target changed) */
	uint64_t py_nospace;	/* chains not sent: no room in the record */
};

struct sampler;

/* Validates opts; attaches nothing yet. NULL with *cause on bad opts. */
struct sampler *sampler_new(const struct sampler_opts *opts, struct ring *ring,
    char **cause);

/* Starts the sampler thread and waits until it has attached to every
 * thread of the target. Returns 0, or -errno with *cause: one line saying
 * what failed and how to fix it (no such process, kernel thread, zombie,
 * not permitted: which gate - Yama ptrace_scope, CAP_SYS_PTRACE, another
 * user, a container without SYS_PTRACE). Thread: main. */
int sampler_start(struct sampler *s, char **cause);

/* Asks the sampler to stop, waits for it to detach from every thread and
 * for its thread to end. Safe to call twice. Thread: main. */
void sampler_stop(struct sampler *s);

/* Job control, before ctop-prof stops itself (Ctrl-Z, SIGTTIN, SIGTTOU):
 * a stopped tracer would leave the target's threads in ptrace-stop, its
 * group-stops unserved and its exited threads unreaped. ptrace: every
 * thread is detached (one in group-stop stays stopped); perf: the events
 * are disabled, so the kernel takes no samples nobody reads. Returns true
 * once the sampler holds nothing (also when it has ended), false after
 * timeout_ms. Samples of the pause are absent, and its time is not
 * counted in elapsed_ns. Async-signal-safe (atomics, pthread_kill,
 * nanosleep): main may call it from a signal handler. Thread: main. */
bool sampler_suspend(struct sampler *s, unsigned timeout_ms);

/* After SIGCONT: seizes every thread again (threads born meanwhile
 * included; a target that ended meanwhile ends the sampling as usual), or
 * enables the events. Does not wait. Async-signal-safe. Thread: main. */
void sampler_resume(struct sampler *s);

/* True once the target process has exited (then sampling has stopped and
 * *wait_status holds its status, -1 if unknown). Thread: any. */
bool sampler_target_exited(struct sampler *s, int *wait_status);

void sampler_get_stats(struct sampler *s, struct sampler_stats *out);

/* Pause percentiles (ns) over the last samples, for benchmarks. */
void sampler_pause_percentiles(struct sampler *s, uint64_t *p50,
    uint64_t *p90, uint64_t *p99);

/* perf: the delay (ns) between a sample's capture and the read of its
 * Python chain, median, mean and p99 over the last walks; 0 without any.
 * The mean tells how many samples share one late read (the test of
 * shares bounds its noise by it). */
void sampler_python_delays(struct sampler *s, uint64_t *p50, uint64_t *mean,
    uint64_t *p99);

void sampler_free(struct sampler *s);

/* ---- access (--check) ------------------------------------------------- */

/* What the kernel lets us do to process pid (0: a command we would
 * launch), for the permission doctor: its gates, read from /proc, and its
 * answers to two harmless asks (a disabled perf event opened on pid and
 * closed at once, with kernel samples and without; a PTRACE_SEIZE of no
 * process, which only a seccomp filter refuses). Nothing is attached. */
struct sampler_access {
	pid_t pid;
	int yama;		/* ptrace_scope, -1 without Yama */
	int paranoid;		/* perf_event_paranoid, -100 unknown */
	int kptr_restrict;	/* -1 unknown */
	int seccomp;		/* 0 off, 1 strict, 2 filter */
	bool seccomp_ptrace, seccomp_perf;	/* a filter refuses the call */
	bool cap_sys_ptrace, cap_perfmon, cap_sys_admin, cap_syslog;
	uid_t euid;
	long target_uid;	/* -1 unknown or no pid */
	pid_t tracer;		/* the target's TracerPid */
	char state;		/* the target's state letter, 0: none */
	bool kernel_thread;
	bool container;		/* another pid namespace than init's, or a
				 * container marker (/.dockerenv, ...) */
	char container_why[96];
	int target_ns;		/* pid > 0: 1 the target has namespaces
				 * of its own (target_ns_names), 0 it
				 * shares ours, -1 not readable */
	char target_ns_names[32];	/* "mnt, pid" */
	int perf_err;		/* perf_event_open, user only: 0 or -errno */
	int perf_kernel_err;	/* ... with kernel samples */
	bool kallsyms_addrs;	/* /proc/kallsyms shows real addresses */
	bool ptrace_ok;		/* PTRACE_SEIZE would be allowed (the gates
				 * foretell it: nothing is attached) */
	char ptrace_why[512];	/* the refusal's one line when not */
	char perf_why[512];
};

/* Gathers the facts and asks. Thread: any (main). */
void sampler_access_check(pid_t pid, struct sampler_access *out);

/* Judges the facts and answers in a (pure, for tests of every gate):
 * fills ptrace_ok, ptrace_why and perf_why (perf_err set to -EPERM for a
 * kernel thread or a zombie, which no backend samples). */
void sampler_access_judge(struct sampler_access *a);

#endif
