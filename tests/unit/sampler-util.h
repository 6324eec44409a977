/* SPDX-License-Identifier: MIT */
/* Helpers for test-sampler: start and inspect target processes, and a
 * ring consumer that checks every record the sampler pushes. */
#ifndef CTOP_TESTS_SAMPLER_UTIL_H
#define CTOP_TESTS_SAMPLER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/record.h"
#include "ctop/ring.h"

struct target {
	pid_t pid;
	int out;		/* read end of the target's stdout */
	char buf[4096];		/* unread output */
	size_t have;
};

/* Starts tests/targets/NAME with argv (argv[0] is filled in) and waits
 * for its "ready" line. Returns 0 or -1. */
int target_start(struct target *t, const char *name, const char *const *args);
/* Reads one line of the target's stdout within ms. 0 or -1. */
int target_line(struct target *t, char *line, size_t size, int ms);
/* SIGKILLs the target (if still there) and reaps it. */
void target_kill(struct target *t);

/* Every thread of pid: no state t/T (unless allow_stopped), TracerPid 0.
 * Retries for up to 300 ms (a detached thread takes a moment to run).
 * On failure writes why. */
bool target_healthy(pid_t pid, bool allow_stopped, char *why, size_t size);
/* Thread ids of pid; returns how many (at most max). */
int task_list(pid_t pid, pid_t *tids, int max);
/* State letter of a thread (0 if gone); TracerPid of a thread. */
char task_state(pid_t pid, pid_t tid);
int task_tracer(pid_t pid, pid_t tid);
/* utime + stime of a process, in clock ticks. */
long proc_cputime(pid_t pid);
/* CPU time of all threads of a process in ns (schedstat: exact, where
 * proc_cputime is tick-grained); 0 if unreadable. */
uint64_t proc_cpu_ns(pid_t pid);
/* The same for one thread (tid 0: the process). */
long thread_cputime(pid_t pid, pid_t tid);

uint64_t now_ms(void);
void sleep_ms(long ms);

struct tid_stat {
	pid_t tid;
	uint64_t weight;		/* its samples, weighted */
	unsigned samples, offcpu, inkern, shortst;
	bool announced, exited;
};

struct range {
	uint64_t lo, hi;
};

/* A ring consumer that checks each record. */
struct collect {
	pid_t pid;
	size_t stack_size;
	bool check_mem;			/* compare OFF_CPU copies with
					 * /proc/PID/mem */
	struct range exec[512];		/* executable mappings */
	unsigned nexec;
	struct range stack;		/* [stack] of the main thread */
	int memfd;

	struct tid_stat *tids;
	unsigned ntids, cap;
	unsigned samples, bad_rip, bad_sp, bad_len, bad_short, empty;
	unsigned mem_checked, mem_mismatch;
	unsigned thread_new, thread_exit, execs, proc_exit, lost_recs,
	    maps_changed, mmaps;
	unsigned bad_records;
	unsigned thread_names;	/* REC_THREAD_NAME */
	unsigned after_exec;		/* samples taken after REC_EXEC */
	/* The same weighted: cpu mode weighs a sample by the CPU time the
	 * thread used since its last one (in sampling periods). */
	uint64_t weight, after_exec_weight;
	uint64_t exec_ns;
	int exit_status;
};

/* Loads the target's mappings; check_mem opens /proc/PID/mem. */
void collect_init(struct collect *c, pid_t pid, size_t stack_size,
    bool check_mem);
void collect_fini(struct collect *c);
/* Consumes every record in the ring now. */
void collect_drain(struct collect *c, struct ring *r);
/* Drains the ring for ms milliseconds. */
void collect_for(struct collect *c, struct ring *r, long ms);
struct tid_stat *collect_tid(struct collect *c, pid_t tid);

#endif
