/* SPDX-License-Identifier: MIT */
/* sampler: the ptrace backend's thread body. Samples one thread at a time
 * (PTRACE_INTERRUPT -> registers -> one stack read -> PTRACE_CONT) on a
 * jittered schedule and, between samples, services every stop the target
 * reports so that no signal is lost and no job-control stop is undone. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define IRQ_WAIT_NS 2000000ull		/* then capture asynchronously */
#define SLICE_NS 1000000ull		/* wait slice when SIGCHLD is lost */

enum stop_kind {
	STOP_HANDLED,		/* serviced and resumed */
	STOP_OURS,		/* the interrupt stop we wait for: still held */
	STOP_GONE,		/* the thread exited or left us */
	STOP_GROUP,		/* entered group-stop: listening */
	STOP_LOST,		/* another trap consumed our interrupt */
};

enum irq_result { IRQ_HELD, IRQ_LATE, IRQ_GROUP, IRQ_GONE };

static void capture(struct sampler *s, struct sthread *t, uint64_t t0,
    uint32_t flags, uint64_t weight);

static void
resume(pid_t tid, int sig)
{
	/* ESRCH: killed meanwhile (SIGKILL needs no resume). */
	ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
}

/* PTRACE_EVENT_EXEC: every other thread of t's process is gone (the
 * execing one took the leader's tid, t's); the leader's /proc fd and
 * stack cache are stale. */
static void
on_exec(struct sampler *s, struct sthread *t)
{
	size_t i;

	for (i = 0; i < s->nth; i++)
		if (s->th[i] != t && s->th[i]->pid == t->pid)
			sampler__mark_dead(s, s->th[i]);
	sampler__open_fds(s, t);
	sampler__cpu_rebase(s, t);
	t->stk_lo = t->stk_hi = 0;
	t->state = STH_RUNNING;
	t->exit_pushed = false;
	if (sampler__of_target(s, t)) {
		sampler__push_thread(s, REC_EXEC, t->tid);
		sampler__maps_watch_exec(s);
	} else {
		sampler__child_exec(s, t->pid, t->tid);
	}
}

static int
on_exited(struct sampler *s, struct sthread *t, pid_t tid, int st)
{
	if (t)
		sampler__mark_dead(s, t);
	else if (tid != s->opts.pid)
		sampler__child_gone(s, tid);	/* a child's leader, if one */
	if (tid == s->opts.pid)
		sampler__push_exit(s, st);
	return STOP_GONE;
}

/* PTRACE_EVENT_STOP: our interrupt, the first stop of a new clone, a
 * group-stop (the stop signal is reported) or its end after SIGCONT. */
static int
on_event_stop(struct sampler *s, struct sthread *t, int sig, pid_t want)
{
	if (t->foreign) {
		ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
		sampler__mark_dead(s, t);
		return STOP_GONE;
	}
	if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	    sig == SIGTTOU) {
		/* LISTEN, not CONT: CONT would silently undo the user's stop.
		 * The thread re-traps with SIGTRAP once SIGCONT arrives. */
		ptrace(PTRACE_LISTEN, t->tid, NULL, NULL);
		t->state = STH_GROUP_STOP;
		t->irq_pending = false;	/* this trap consumed it */
		return STOP_GROUP;
	}
	t->state = STH_RUNNING;
	if (t->tid == want) {
		t->irq_pending = false;
		return STOP_OURS;
	}
	if (t->irq_pending) {
		/* The late stop of an interrupt we stopped waiting for. */
		t->irq_pending = false;
		capture(s, t, t->irq_t0, t->irq_flags, t->irq_weight);
		return STOP_HANDLED;
	}
	resume(t->tid, 0);
	return STOP_HANDLED;
}

/* Services one wait status. want: the tid whose interrupt stop the caller
 * waits for (it is then left stopped), or 0. */
static int
handle_status(struct sampler *s, pid_t tid, int st, pid_t want)
{
	struct sthread *t = sampler__find(s, tid);
	unsigned long msg = 0;
	bool lost = false;
	int sig, ev;

	if (WIFEXITED(st) || WIFSIGNALED(st))
		return on_exited(s, t, tid, st);
	if (!WIFSTOPPED(st))
		return STOP_HANDLED;
	/* A stop from a tid we do not know: a clone (or, with --children,
	 * a fork) whose parent's event we have not collected yet. */
	if (!t)
		t = sampler__born(s, NULL, 0, tid);
	if (!t) {
		resume(tid, 0);
		return STOP_HANDLED;
	}
	sig = WSTOPSIG(st);
	ev = st >> 16;
	/* An event trap (exec, clone, exit) taken before our interrupt's
	 * trap consumes it: the kernel's ptrace_stop() clears a pending
	 * STOP trap on any trap, so no interrupt stop follows. Give up that
	 * sample, or the thread would wait for it forever, never sampled
	 * again (seen in launch mode: the interrupt lost to the exec). */
	if (ev != 0 && ev != PTRACE_EVENT_STOP &&
	    (t->irq_pending || tid == want)) {
		t->irq_pending = false;
		lost = true;
	}
	switch (ev) {
	case 0:
		/* signal-delivery-stop: hand the signal back, never swallow */
		if (t->foreign) {
			ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
			sampler__mark_dead(s, t);
			return STOP_GONE;
		}
		atomic_fetch_add_explicit(&s->signals, 1, memory_order_relaxed);
		resume(tid, sig);
		return STOP_HANDLED;
	case PTRACE_EVENT_STOP:
		return on_event_stop(s, t, sig, want);
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		/* The new task waits in its first stop until we see it
		 * (often that stop came first); the parent goes on now. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0)
			sampler__born(s, t, ev, (pid_t)msg);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(s, t);
		break;
	case PTRACE_EVENT_EXIT:
		if (!t->foreign && !t->exit_pushed &&
		    sampler__of_target(s, t)) {
			sampler__push_thread(s, REC_THREAD_EXIT, tid);
			t->exit_pushed = true;
		}
		t->state = STH_EXITING;
		resume(tid, 0);
		return tid == want ? STOP_GONE : STOP_HANDLED;
	default:
		break;
	}
	resume(tid, 0);
	return lost && tid == want ? STOP_LOST : STOP_HANDLED;
}

/* Collects every pending report without blocking. True if any. */
static bool
drain(struct sampler *s)
{
	bool any = false;
	int st;
	pid_t r;

	while ((r = waitpid(-1, &st, __WALL | __WNOTHREAD | WNOHANG)) > 0) {
		handle_status(s, r, st, 0);
		any = true;
	}
	return any;
}

/* Sleeps until SIGCHLD (a tracee reported) or the deadline. Returns true
 * when woken by the signal. */
static bool
wait_chld(struct sampler *s, uint64_t deadline)
{
	uint64_t now = util_now_ns(), d;
	struct timespec ts;

	if (deadline <= now)
		return false;
	d = deadline - now;
	if (s->chld_unreliable && d > SLICE_NS)
		d = SLICE_NS;
	ts.tv_sec = (time_t)(d / 1000000000ull);
	ts.tv_nsec = (long)(d % 1000000000ull);
	return sigtimedwait(&s->chld, NULL, &ts) == SIGCHLD;
}

/* Waits for our interrupt stop of t, servicing its other stops (a signal
 * arriving meanwhile is re-injected and the wait goes on). Returns
 * IRQ_HELD when t is held in our stop; IRQ_LATE when it did not stop in
 * time (runnable but not on a CPU, or in an unwakeable sleep such as
 * vfork): drain() captures it when its stop comes, and the sampler does
 * not block meanwhile; IRQ_GROUP when it entered group-stop; IRQ_GONE. */
static int
wait_interrupt(struct sampler *s, struct sthread *t)
{
	uint64_t deadline = util_now_ns() + IRQ_WAIT_NS;
	struct timespec slice = { 0, 20000 };
	pid_t tid = t->tid;
	int st, k;
	pid_t r;

	for (;;) {
		/* Any tracee's report, not only t's: a child in its first
		 * stop (--children), or a signal to hand back, waits for
		 * no sample to end. */
		r = waitpid(-1, &st, __WALL | __WNOTHREAD | WNOHANG);
		if (r > 0 && r != tid) {
			handle_status(s, r, st, 0);
			continue;
		}
		if (r == tid) {
			k = handle_status(s, tid, st, tid);
			if (k == STOP_OURS)
				return IRQ_HELD;
			if (k == STOP_GROUP)
				return IRQ_GROUP;
			if (k == STOP_GONE || k == STOP_LOST)
				return IRQ_GONE;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* ECHILD: the thread is gone (an exec by another
			 * thread removes it without a report). */
			sampler__mark_dead(s, t);
			return IRQ_GONE;
		}
		if (util_now_ns() > deadline) {
			t->irq_pending = true;
			return IRQ_LATE;
		}
		if (s->chld_unreliable)
			nanosleep(&slice, NULL);
		else
			wait_chld(s, deadline);
	}
}

static void
regs_to_dwarf(const struct user_regs_struct *u, uint64_t *r)
{
	r[CTOP_REG_RAX] = u->rax;
	r[CTOP_REG_RDX] = u->rdx;
	r[CTOP_REG_RCX] = u->rcx;
	r[CTOP_REG_RBX] = u->rbx;
	r[CTOP_REG_RSI] = u->rsi;
	r[CTOP_REG_RDI] = u->rdi;
	r[CTOP_REG_RBP] = u->rbp;
	r[CTOP_REG_RSP] = u->rsp;
	r[CTOP_REG_R8] = u->r8;
	r[CTOP_REG_R9] = u->r9;
	r[CTOP_REG_R10] = u->r10;
	r[CTOP_REG_R11] = u->r11;
	r[CTOP_REG_R12] = u->r12;
	r[CTOP_REG_R13] = u->r13;
	r[CTOP_REG_R14] = u->r14;
	r[CTOP_REG_R15] = u->r15;
	r[CTOP_REG_RIP] = u->rip;
}

/* Bytes to copy from sp: stack_size, or less when the cached stack
 * mapping ends sooner. */
static size_t
copy_len(struct sampler *s, struct sthread *t, uint64_t sp)
{
	if (sp >= t->stk_lo && sp < t->stk_hi &&
	    t->stk_hi - sp < s->opts.stack_size)
		return (size_t)(t->stk_hi - sp);
	return s->opts.stack_size;
}

/* After the thread runs again: did the copy stop at the end of the stack
 * mapping? Reads /proc/PID/maps only on a cache miss. */
static bool
stack_short(struct sampler *s, struct sthread *t, uint64_t sp, size_t got)
{
	if (got >= s->opts.stack_size)
		return false;
	if (sp < t->stk_lo || sp >= t->stk_hi) {
		t->stk_lo = t->stk_hi = 0;
		/* The thread's own entry: the leader's maps are empty once
		 * it is a zombie (pthread_exit in main). */
		if (sampler__proc_stack_range(t->tid, sp, s->mapsbuf,
		    SAMPLER_MAPS_BUF, &t->stk_lo, &t->stk_hi) < 0)
			return false;
	}
	return sp + got == t->stk_hi;
}

static void
tell_lost(struct sampler *s)
{
	struct rec_lost l;

	l.time_ns = util_now_ns();
	l.lost = s->lost_pending;
	if (ring_push(s->ring, REC_LOST, &l, sizeof l))
		s->lost_pending = 0;
}

static void
count(struct sampler *s, _Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Resumes t, held since ts (its stop seen) for a sample begun at t0 (the
 * interrupt sent): the budget counts its pause (sampler__budget_held),
 * the ptrace bench the whole round trip. */
static void
release(struct sampler *s, struct sthread *t, uint64_t ts, uint64_t t0)
{
	uint64_t asked = util_now_ns(), done;

	resume(t->tid, 0);
	done = util_now_ns();
	s->held_ns_sum += sampler__budget_held(t0, ts, asked, done,
	    IRQ_WAIT_NS);
	sampler__note_pause(s, done - t0);
}

/* Captures a thread held in our interrupt stop and resumes it: registers
 * and one process_vm_readv straight into the ring reservation, then CONT
 * at once; the record is finished while the thread runs. t0: when the
 * interrupt was sent. */
static void
capture(struct sampler *s, struct sthread *t, uint64_t t0, uint32_t flags,
    uint64_t weight)
{
	struct user_regs_struct u;
	struct iovec iov = { &u, sizeof u }, lio, rio;
	struct rec_sample *rec;
	uint64_t ts = util_now_ns();
	size_t len, got, cap;
	ssize_t n;
	int py;

	if (ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_PRSTATUS, &iov) < 0) {
		resume(t->tid, 0);
		count(s, &s->failed);
		return;
	}
	/* Before the sample: the worker must read new maps first. A
	 * child's are watched by size only (sampler__child_watch). */
	if (sampler__of_target(s, t))
		sampler__maps_watch_pc(s, t->tid, u.rip, ts);
	/* The Python chain while the thread is held: it fits the native
	 * stack read below exactly. */
	py = sampler__py_walk(s, t->pid, t->tid, 0);
	cap = sizeof *rec + s->opts.stack_size;
	cap += sampler__py_room(s, cap);
	rec = sampler__py_codes(s) ? ring_reserve(s->ring, REC_SAMPLE, cap) :
	    NULL;
	if (!rec) {
		release(s, t, ts, t0);
		count(s, &s->dropped);
		s->lost_pending++;
		return;
	}
	len = copy_len(s, t, u.rsp);
	lio.iov_base = rec + 1;
	lio.iov_len = len;
	rio.iov_base = (void *)(uintptr_t)u.rsp;
	rio.iov_len = len;
	n = process_vm_readv(t->tid, &lio, 1, &rio, 1, 0);
	release(s, t, ts, t0);

	got = n > 0 ? (size_t)n : 0;
	if (stack_short(s, t, u.rsp, got))
		flags |= SAMPLE_STACK_SHORT;
	/* orig_rax >= 0: stopped on a system call's path. */
	if ((int64_t)u.orig_rax >= 0)
		flags |= SAMPLE_IN_KERNEL;
	rec->time_ns = ts;
	rec->tid = t->tid;
	rec->pid = t->pid;
	rec->reserved = 0;
	rec->flags = flags;
	regs_to_dwarf(&u, rec->regs);
	rec->stack_addr = u.rsp;
	rec->stack_len = (uint32_t)got;
	rec->kernel_len = 0;
	rec->user_len = 0;
	rec->py_len = 0;
	rec->weight = weight;
	len = sampler__py_append(s, rec, sizeof *rec + got, cap, py);
	ring_commit(s->ring, len);
	count(s, &s->samples);
	atomic_fetch_add_explicit(&s->sample_bytes, len,
	    memory_order_relaxed);
}

/* cpu mode: the weight a sample of t would carry now, in sampling
 * periods: the on-CPU time it used since its last sample, rounded to the
 * nearest period, the difference carried in cpu_acc so that its weights
 * add up to its CPU time. Rounding, not truncating: a thread's last
 * partial period is not lost on average when it exits (short-lived
 * threads would lose up to a period each). A thread that waits for a CPU
 * (state R but not running) accrues only what it ran. *known is false
 * when the time could not be read. */
static uint64_t
cpu_weight(struct sampler *s, struct sthread *t, bool *known)
{
	uint64_t ns = sampler__proc_cpu_ns(s->schedstat_ok ? t->sched_fd :
	    t->stat_fd, t->pid, t->tid, s->schedstat_ok);
	int64_t period = (int64_t)s->unit_ns;

	*known = ns != 0;
	if (ns == 0)
		return 1;
	/* Never backwards (a counter read from a stale fd after an exec). */
	if (ns > t->cpu_last)
		t->cpu_acc += (int64_t)(ns - t->cpu_last);
	t->cpu_last = ns;
	if (t->cpu_acc < period / 2)
		return 0;
	return (uint64_t)((t->cpu_acc + period / 2) / period);
}

/* One sample of one thread: check its state, interrupt it, capture it
 * when it stops. Threads are sampled one at a time, never all at once.
 * In cpu mode, a thread that did not use a sampling period's worth of
 * CPU since its last sample is not interrupted at all. */
static void
sample_thread(struct sampler *s, struct sthread *t)
{
	uint64_t weight = 1;
	uint32_t flags = 0;
	bool known = false;
	char state;

	if (s->opts.mode == SAMPLER_MODE_CPU) {
		weight = cpu_weight(s, t, &known);
		if (known && weight == 0) {
			s->seen_threads++;	/* it barely ran: not runnable */
			count(s, &s->skipped_idle);
			return;
		}
	}

	/* No kept fd (the fd limit was hit): open the file each time. */
	state = t->stat_fd >= 0 ? sampler__proc_state_fd(t->stat_fd) :
	    sampler__proc_state_tid(t->pid, t->tid);
	/* Gone without a report to us: a thread that exited (and was
	 * reaped) before its parent's PTRACE_EVENT_CLONE was collected is
	 * added back by that event. Drop it, or its entry and its kept fd
	 * would stay for the rest of the run (seen under thread churn). */
	if (state == 0) {
		sampler__mark_dead(s, t);
		return;
	}
	s->seen_threads++;
	s->seen_runnable += state == 'R';
	if (state != 'R') {
		if (s->opts.mode == SAMPLER_MODE_CPU) {
			count(s, &s->skipped_idle);
			return;
		}
		flags |= SAMPLE_OFF_CPU;
	}
	/* The time is spent whether or not the capture succeeds. */
	if (known)
		t->cpu_acc -= (int64_t)(weight * s->unit_ns);
	if (s->lost_pending)
		tell_lost(s);
	if (sampler__of_target(s, t))
		sampler__maps_watch(s, t->tid);
	else
		sampler__child_watch(s, t->pid);
	sampler__comm_watch(s, t);
	t->irq_t0 = util_now_ns();
	t->irq_flags = flags;
	t->irq_weight = weight;
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0) {
		count(s, &s->failed);	/* ESRCH: it just vanished */
		return;
	}
	switch (wait_interrupt(s, t)) {
	case IRQ_HELD:
		capture(s, t, t->irq_t0, flags, weight);
		break;
	case IRQ_GONE:
		count(s, &s->failed);
		break;
	default:	/* late: captured by drain(); group-stop: no sample */
		break;
	}
}

static bool
stopping(struct sampler *s)
{
	return atomic_load_explicit(&s->stop, memory_order_acquire) ||
	    atomic_load_explicit(&s->exited, memory_order_relaxed);
}

static bool
hold_requested(struct sampler *s)
{
	/* Acquire: pairs with sampler_suspend()'s release of the request. */
	return atomic_load_explicit(&s->hold_req, memory_order_acquire);
}

/* While released: a thread that could not be stopped in time for its
 * detach (still traced, its interrupt pending) is detached from the stop
 * it reports now; the exit of one is collected. */
static void
release_stragglers(struct sampler *s)
{
	struct sthread *t;
	int st;
	pid_t r;

	while ((r = waitpid(-1, &st, __WALL | __WNOTHREAD | WNOHANG)) > 0) {
		if (!WIFSTOPPED(st)) {
			handle_status(s, r, st, 0);
			continue;
		}
		ptrace(PTRACE_DETACH, r, NULL, (void *)(long)
		    (st >> 16 == 0 ? WSTOPSIG(st) : 0));
		t = sampler__find(s, r);
		if (t && t->state != STH_EXITING)
			t->state = STH_RELEASED;
	}
}

/* Job control: main stops ctop-prof (Ctrl-Z). A stopped tracer would keep
 * the target's threads in ptrace-stop, so every thread is detached first;
 * main is told (released_seq) and stops the process; after SIGCONT main
 * clears the request and the threads are seized again. */
static void
hold(struct sampler *s)
{
	uint64_t t0 = util_now_ns();

	s->auxv_id = sampler__proc_auxv_id(s->opts.pid);
	sampler__detach_all(s, true);
	while (hold_requested(s) && !stopping(s)) {
		release_stragglers(s);
		/* Release: main may stop the process once it reads this; a
		 * later request is answered here as well. */
		atomic_store_explicit(&s->released_seq,
		    atomic_load_explicit(&s->hold_seq, memory_order_relaxed),
		    memory_order_release);
		wait_chld(s, util_now_ns() + SAMPLER_POLL_NS);
	}
	atomic_fetch_add_explicit(&s->held_ns, util_now_ns() - t0,
	    memory_order_relaxed);
	if (!stopping(s))
		sampler__reattach(s);
}

/* Samples every due thread; returns the earliest next due time. */
static uint64_t
sample_due(struct sampler *s)
{
	uint64_t now = util_now_ns(), next = UINT64_MAX;
	struct sthread *t;
	size_t i;

	/* Index loop: a sample may append threads born meanwhile. */
	for (i = 0; i < s->nth && !stopping(s) && !hold_requested(s); i++) {
		t = s->th[i];
		if (t->state != STH_RUNNING || t->foreign || t->irq_pending)
			continue;
		if (t->next_ns <= now) {
			sample_thread(s, t);
			now = util_now_ns();
			sampler__schedule(s, t, now);
		}
		if (t->next_ns < next)
			next = t->next_ns;
	}
	return next;
}

static void
sampler_loop(struct sampler *s)
{
	uint64_t next, now, next_poll = util_now_ns() + SAMPLER_POLL_NS;
	unsigned k;
	bool woken;

	sampler__py_tick(s);
	while (!stopping(s)) {
		if (hold_requested(s))
			hold(s);
		next = sample_due(s);
		/* Reports that came while sampling: their SIGCHLD may have
		 * been taken by a thread that does not block it. */
		drain(s);
		/* A probe, when due, runs with no thread held. */
		sampler__py_tick(s);
		sampler__sweep(s);
		now = util_now_ns();
		if (now >= next_poll) {
			sampler__scan(s);
			sampler__note_cpu(s);
			/* The budget's cost: the time threads were held
			 * stopped (from the stop seen to the CONT; the wait
			 * for a thread to reach its stop is not: another of
			 * its threads, or nothing of it, ran meanwhile),
			 * which budget.c counts when no sibling took the
			 * CPU. */
			if ((k = sampler__budget_tick(s, 0, s->held_ns_sum))) {
				s->mean_gap_ns = s->unit_ns * k;
				sampler__budget_commit(s, k);
			}
			next_poll = now + SAMPLER_POLL_NS;
			/* No leader to report the exit: the last thread's is. */
			if (s->leader_zombie && s->nth == 0)
				sampler__push_exit(s, -1);
		}
		if (next > next_poll)
			next = next_poll;
		woken = wait_chld(s, next);
		/* Reports found after a quiet wait mean SIGCHLD went to a
		 * thread that does not block it: fall back to short waits. */
		if (drain(s) && !woken && !s->chld_unreliable &&
		    ++s->missed_wakeups >= 3)
			s->chld_unreliable = true;
	}
}

void
sampler__ptrace_run(struct sampler *s)
{
	char *cause = NULL;
	int err;

	sigemptyset(&s->chld);
	sigaddset(&s->chld, SIGCHLD);
	s->rng = util_now_ns() ^ ((uint64_t)gettid() << 32) ^
	    0x9e3779b97f4a7c15ull;
	s->unit_ns = 1000000000ull / s->opts.hz;
	s->mean_gap_ns = s->unit_ns;
	/* schedstat reads 0 0 0 where the kernel keeps no such counts: then
	 * CPU time comes from stat's utime + stime, at tick resolution. */
	s->schedstat_ok = sampler__proc_cpu_ns(-1, s->opts.pid, s->opts.pid,
	    true) != 0;
	s->watch_fd = -1;
	s->watch_kb = -1;
	s->mapsbuf = malloc(SAMPLER_MAPS_BUF);
	err = s->mapsbuf ? sampler__attach(s, &cause) : -ENOMEM;
	if (err) {
		if (err == -ENOMEM && !cause)
			sampler__set_cause(&cause, "sampler: out of memory");
		sampler__detach_all(s, false);
		sampler__free_table(s);
		sampler__children_free(s);
		sampler__attach_result(s, err, cause);
		return;
	}
	sampler__start_clocks(s);
	sampler__attach_result(s, 0, NULL);
	sampler_loop(s);
	sampler__maps_watch_close(s);
	sampler__detach_all(s, false);
	sampler__stop_clocks(s);
	sampler__free_table(s);
	sampler__children_free(s);
}
