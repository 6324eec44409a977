/* SPDX-License-Identifier: MIT */
/* sampler: the table of traced threads (sampler thread only). It grows
 * only when a thread is born, never on the per-sample path, and holds
 * pointers so an entry stays valid while the table is resized. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct sthread *
sampler__find(struct sampler *s, pid_t tid)
{
	size_t i;

	for (i = 0; i < s->nth; i++)
		if (s->th[i]->tid == tid && s->th[i]->state != STH_DEAD)
			return s->th[i];
	return NULL;
}

/* Gaps drawn uniformly from half to one and a half times the mean (1/hz,
 * times the budget's k) on an absolute schedule: threads do not fall into
 * lock-step with periodic work in the target, and the long-run rate stays
 * hz. Not exponential gaps: a busy thread used at least half a period by
 * its next sample, so cpu mode's rule (a thread that used less is not
 * stopped) skips only threads that did not run, but for the kernel's
 * ticks. With exponential gaps two in five were under half, and a busy
 * thread was stopped in two periods of three (61 stops a second at -F 99,
 * 84 now): the rate asked was not the rate taken; and the weights varied
 * as the gaps, so a stop was worth 0.75 samples of one weight where it is
 * now worth 0.91 (the summary's "worth", bench/precision.sh). */
void
sampler__schedule(struct sampler *s, struct sthread *t, uint64_t now)
{
	double u, gap;

	/* xorshift64*: cheap and good enough for jitter. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	u = (double)((s->rng * 2685821657736338717ull) >> 11) * 0x1p-53;
	gap = (0.5 + u) * (double)s->mean_gap_ns;
	t->next_ns += (uint64_t)gap;
	/* Far behind (the sampler was busy or a thread was stopped): start
	 * afresh rather than firing a burst of catch-up samples. */
	if (t->next_ns + 100000000ull < now)
		t->next_ns = now + (uint64_t)gap;
}

/* (Re)opens the thread's kept /proc files: stat for its state on every
 * sample and, in cpu mode, schedstat for its CPU time (pread, no parsing
 * of the long stat line). -1 on failure (EMFILE): then each read opens
 * the file by name. */
void
sampler__open_fds(struct sampler *s, struct sthread *t)
{
	char path[64];

	if (t->stat_fd >= 0)
		close(t->stat_fd);
	if (t->sched_fd >= 0)
		close(t->sched_fd);
	t->sched_fd = -1;
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", t->pid,
	    t->tid);
	t->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->stat_fd < 0 || s->opts.mode != SAMPLER_MODE_CPU ||
	    !s->schedstat_ok)
		return;
	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat",
	    t->pid, t->tid);
	t->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
}

/* Starts counting the thread's CPU time from now: time used before it
 * was seized (or while ctop-prof was stopped) makes no sample. */
void
sampler__cpu_rebase(struct sampler *s, struct sthread *t)
{
	if (s->opts.mode != SAMPLER_MODE_CPU)
		return;
	t->cpu_last = sampler__proc_cpu_ns(s->schedstat_ok ? t->sched_fd :
	    t->stat_fd, t->pid, t->tid, s->schedstat_ok);
	t->cpu_acc = 0;
}

/* Adds a thread that is traced by us (seized or auto-attached). Without
 * --children, a clone that is not in /proc/PID/task is a new process,
 * not a thread: it is marked foreign and detached on its first stop. */
struct sthread *
sampler__add(struct sampler *s, pid_t pid, pid_t tid)
{
	struct sthread *t;
	uint64_t now = util_now_ns();

	t = sampler__find(s, tid);
	if (t)
		return t;
	if (util_grow(&s->th, &s->cap, s->nth + 1, sizeof *s->th, 64))
		return NULL;
	t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->tid = tid;
	t->pid = pid ? pid : s->opts.pid;
	t->state = STH_RUNNING;
	t->stat_fd = t->sched_fd = -1;
	sampler__open_fds(s, t);
	/* ENOENT: not a thread of the target. Other errors (EMFILE) only
	 * mean the state is read without a kept fd. */
	t->foreign = t->stat_fd < 0 && errno == ENOENT &&
	    sampler__of_target(s, t);
	sampler__cpu_rebase(s, t);
	t->next_ns = now;
	sampler__schedule(s, t, now);
	s->th[s->nth++] = t;
	/* A child's threads are not the target's: no thread records (as
	 * with perf); the worker knows the process by its samples. */
	if (!t->foreign && sampler__of_target(s, t)) {
		atomic_fetch_add_explicit(&s->threads, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->threads_seen, 1,
		    memory_order_relaxed);
		sampler__push_thread(s, REC_THREAD_NEW, tid);
	}
	return t;
}

/* The thread is gone (reaped, vanished or detached): tell the worker once
 * and drop it at the next sweep. A child's leader gone is its process
 * gone (its exit is reported last, when the group is empty). */
#define COMM_WATCH_NS (1000ull * 1000 * 1000)

/* perf tells every rename as a COMM record; ptrace has no event for it,
 * and a thread named just after it starts (a pool's workers) kept the
 * name it was cloned with. One read of a small file per thread and
 * second, taken before the thread is interrupted, never while held. */
void
sampler__comm_watch(struct sampler *s, struct sthread *t)
{
	uint64_t now = util_now_ns();
	struct rec_thread r;

	if (t->comm_read_ns && now - t->comm_read_ns < COMM_WATCH_NS)
		return;
	t->comm_read_ns = now;
	memset(&r, 0, sizeof r);
	sampler__proc_comm(t->pid, t->tid, r.comm);
	if (r.comm[0] == '\0' || memcmp(r.comm, t->comm, sizeof r.comm) == 0)
		return;
	memcpy(t->comm, r.comm, sizeof t->comm);
	r.time_ns = now;
	r.pid = t->pid;
	r.tid = t->tid;
	ring_push(s->ring, REC_THREAD_NAME, &r, sizeof r);
}

void
sampler__mark_dead(struct sampler *s, struct sthread *t)
{
	if (t->state == STH_DEAD)
		return;
	if (!sampler__of_target(s, t)) {
		if (t->tid == t->pid)
			sampler__child_gone(s, t->pid);
	} else if (!t->foreign) {
		if (!t->exit_pushed)
			sampler__push_thread(s, REC_THREAD_EXIT, t->tid);
		atomic_fetch_sub_explicit(&s->threads, 1, memory_order_relaxed);
	}
	t->exit_pushed = true;
	t->state = STH_DEAD;
}

/* Frees dead entries. Runs between samples, never while a sample holds a
 * thread pointer. */
void
sampler__sweep(struct sampler *s)
{
	size_t i = 0;
	struct sthread *t;

	while (i < s->nth) {
		t = s->th[i];
		if (t->state != STH_DEAD) {
			i++;
			continue;
		}
		if (t->stat_fd >= 0)
			close(t->stat_fd);
		if (t->sched_fd >= 0)
			close(t->sched_fd);
		free(t);
		s->th[i] = s->th[--s->nth];
	}
}

/* Releases the table when the thread ends. Entries still listed (a
 * tracee that could not be stopped for the detach) are released by the
 * kernel when our thread exits. */
void
sampler__free_table(struct sampler *s)
{
	size_t i;

	for (i = 0; i < s->nth; i++) {
		if (s->th[i]->stat_fd >= 0)
			close(s->th[i]->stat_fd);
		if (s->th[i]->sched_fd >= 0)
			close(s->th[i]->sched_fd);
		free(s->th[i]);
	}
	free(s->th);
	s->th = NULL;
	s->nth = s->cap = 0;
	free(s->mapsbuf);
	s->mapsbuf = NULL;
}
