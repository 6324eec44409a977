/* SPDX-License-Identifier: MIT */
/* sampler: ptrace attach and detach. Attach seizes every thread of the
 * target and explains a refusal by naming the gate; detach leaves every
 * thread running, or stopped if it was in group-stop, and untraced. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gates.h"
#include "internal.h"

#define PF_KTHREAD_FLAG 0x00200000ul	/* include/linux/sched.h */
#define DETACH_WAIT_NS 200000000ull

int
sampler__seize(struct sampler *s, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)sampler__seize_opts(s)) < 0)
		return -errno;
	return 0;
}

/* Threads of pid that the kernel still counts (Threads: in status). */
static long
live_threads(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0)
		return 0;
	p = strstr(buf, "\nThreads:");
	return p ? strtol(p + 9, NULL, 10) : 0;
}

/* PTRACE_SEIZE said EPERM, or would: find which gate. */
static void
explain_eperm(pid_t pid, char **cause)
{
	struct gate_facts f;
	char buf[512];

	gates_gather(&f, GATE_PTRACE, -EPERM, pid);
	gates_ptrace_cause(&f, buf, sizeof buf);
	sampler__set_cause(cause, "%s", buf);
}

/* Gates that need no ptrace call: existence, zombie, kernel thread,
 * another tracer, ourselves. A zombie leader (main called pthread_exit)
 * whose other threads run on is a live process: it passes. */
static int
attach_precheck(pid_t pid, char **cause)
{
	char path[64], buf[1024];
	unsigned long flags = 0;
	char state = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0 ||
	    sampler__proc_stat(buf, &state, &flags) < 0) {
		sampler__set_cause(cause, "attach to %d: no such process: "
		    "it does not exist or has already exited (check the PID)",
		    pid);
		return -ESRCH;
	}
	if (pid == getpid()) {
		sampler__set_cause(cause, "attach to %d: it is ctop-prof "
		    "itself: a process cannot trace itself (pick another PID)",
		    pid);
		return -EINVAL;
	}
	if (flags & PF_KTHREAD_FLAG) {
		sampler__set_cause(cause, "attach to %d: a kernel thread: it "
		    "has no user space to sample (pick a user process)", pid);
		return -EPERM;
	}
	if ((state == 'Z' || state == 'X') && live_threads(pid) <= 1) {
		sampler__set_cause(cause, "attach to %d: a zombie: it has "
		    "exited and waits for its parent to reap it (nothing to "
		    "profile)", pid);
		return -ESRCH;
	}
	if (sampler__proc_tracer(pid, 0) > 0) {
		explain_eperm(pid, cause);
		return -EPERM;
	}
	return 0;
}

/* Seizes every thread listed in /proc/PID/task that is not traced yet:
 * at attach, and every 100 ms as a safety net behind TRACECLONE. */
int
sampler__scan(struct sampler *s)
{
	return sampler__scan_proc(s, s->opts.pid);
}

int
sampler__scan_proc(struct sampler *s, pid_t pid)
{
	char path[64], buf[512], state;
	struct dirent *de;
	DIR *d;
	pid_t tid;
	int err, added = 0;

	snprintf(path, sizeof path, "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || sampler__find(s, tid))
			continue;
		/* A zombie thread (a leader that called pthread_exit, a
		 * thread not reaped yet) has nothing left to sample. */
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat",
		    pid, tid);
		if (sampler__proc_read(path, buf, sizeof buf) < 0 ||
		    sampler__proc_stat(buf, &state, NULL) < 0 ||
		    state == 'Z' || state == 'X')
			continue;
		err = sampler__seize(s, tid);
		/* EPERM here: TRACECLONE attached it already and its stop is
		 * not collected yet; ESRCH: it just exited. */
		if (err == -EPERM &&
		    sampler__proc_tracer(pid, tid) != gettid())
			continue;
		if (err == -ESRCH)
			continue;
		if (!sampler__add(s, pid, tid)) {
			closedir(d);
			return -ENOMEM;
		}
		added++;
	}
	closedir(d);
	return added;
}

int
sampler__attach(struct sampler *s, char **cause)
{
	pid_t pid = s->opts.pid;
	int err, n;

	err = attach_precheck(pid, cause);
	if (err)
		return err;
	err = sampler__seize(s, pid);
	/* A zombie leader cannot be seized: its live threads are, below,
	 * and the loop sees the end when none is left. */
	if (err == -EPERM && sampler__proc_state_tid(pid, pid) == 'Z') {
		s->leader_zombie = true;
		err = 0;
	}
	if (err == -EPERM) {
		explain_eperm(pid, cause);
		return err;
	}
	if (err == -ESRCH) {
		sampler__set_cause(cause, "attach to %d: no such process: it "
		    "exited while we attached (check the PID)", pid);
		return err;
	}
	if (err) {
		sampler__set_cause(cause, "attach to %d: PTRACE_SEIZE: %s "
		    "(check the PID)", pid, strerror(-err));
		return err;
	}
	if (!s->leader_zombie && !sampler__add(s, pid, pid)) {
		sampler__set_cause(cause, "attach to %d: out of memory", pid);
		return -ENOMEM;
	}
	/* Threads created by not-yet-seized threads during the scan are
	 * only visible to a new scan: repeat until one finds nothing. */
	do {
		n = sampler__scan(s);
	} while (n > 0);
	if (n < 0) {
		sampler__set_cause(cause, "attach to %d: listing its threads: "
		    "%s (check the PID)", pid, strerror(-n));
		return n;
	}
	if (s->nth == 0) {
		sampler__set_cause(cause, "attach to %d: a zombie: it has "
		    "exited and waits for its parent to reap it (nothing to "
		    "profile)", pid);
		return -ESRCH;
	}
	sampler__children_attach(s);
	return 0;
}

/* A stop that reports a new task (its tid in the event message). */
static bool
is_birth(int ev)
{
	return ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK ||
	    ev == PTRACE_EVENT_VFORK;
}

/* Waits for the next stop or exit of one tracee, up to deadline.
 * Returns the waitpid() result (0 on timeout). */
static pid_t
detach_wait(struct sampler *s, pid_t tid, int *st, uint64_t deadline)
{
	struct timespec slice = { 0, 200000 };
	pid_t r;

	for (;;) {
		r = waitpid(tid, st, __WALL | __WNOTHREAD | WNOHANG);
		if (r != 0 || util_now_ns() > deadline)
			return r;
		sigtimedwait(&s->chld, NULL, &slice);
	}
}

/* Stops one tracee and detaches it. A thread in group-stop is detached
 * from its re-trap and stays stopped, as its user wanted; a pending
 * signal is handed back with the detach. keep: a thread detached alive
 * stays listed, STH_RELEASED. */
static void
detach_one(struct sampler *s, struct sthread *t, bool keep)
{
	uint64_t deadline = util_now_ns() + DETACH_WAIT_NS;
	unsigned long msg;
	int st, sig, ev;
	pid_t r;

	if (t->state == STH_EXITING) {
		/* Past PTRACE_EVENT_EXIT it cannot stop again: reap it when
		 * its exit completes. A zombie leader waiting for its other
		 * threads is released by the kernel when our thread exits. */
		r = t->tid == s->opts.pid ? 0 :
		    detach_wait(s, t->tid, &st, util_now_ns() + 50000000ull);
		if (r > 0 && t->tid == s->opts.pid)
			sampler__push_exit(s, st);
		sampler__mark_dead(s, t);
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 &&
	    errno == ESRCH) {
		/* Not ours any more or dead: collect the exit if any. */
		waitpid(t->tid, &st, __WALL | __WNOTHREAD | WNOHANG);
		sampler__mark_dead(s, t);
		return;
	}
	for (;;) {
		r = detach_wait(s, t->tid, &st, deadline);
		if (r == 0)
			return;		/* our thread's exit detaches it */
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			if (r > 0 && t->tid == s->opts.pid)
				sampler__push_exit(s, st);
			sampler__mark_dead(s, t);
			return;
		}
		sig = WSTOPSIG(st);
		ev = st >> 16;
		/* A task born now is ours too: detached later in the loop
		 * of sampler__detach_all(). */
		if (is_birth(ev) &&
		    ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg) == 0)
			sampler__born(s, t, ev, (pid_t)msg);
		/* A signal-delivery-stop gives its signal back; every other
		 * stop (ours, group-stop, exit, exec, clone) detaches with 0.
		 * Our interrupt, if still pending, is cleared by the detach. */
		if (ptrace(PTRACE_DETACH, t->tid, NULL,
		    (void *)(long)(ev == 0 ? sig : 0)) == 0 || errno == ESRCH)
			break;
	}
	if (ev == PTRACE_EVENT_EXIT && !t->exit_pushed) {
		sampler__push_thread(s, REC_THREAD_EXIT, t->tid);
		t->exit_pushed = true;
	}
	if (keep && ev != PTRACE_EVENT_EXIT && !t->foreign) {
		t->state = STH_RELEASED;
		t->irq_pending = false;
		return;
	}
	sampler__mark_dead(s, t);
}

void
sampler__detach_all(struct sampler *s, bool keep)
{
	struct sthread *t;
	unsigned long msg;
	size_t i;
	int st;
	pid_t r;

	/* Index loop: detach_one() may append threads cloned meanwhile. */
	for (i = 0; i < s->nth; i++) {
		t = s->th[i];
		if (t->state == STH_RELEASED && !keep)
			sampler__mark_dead(s, t);	/* untraced already */
		else if (t->state != STH_DEAD && t->state != STH_RELEASED)
			detach_one(s, t, keep);
	}
	sampler__sweep(s);
	/* Anything still reporting to us (a clone born during the detach
	 * of its parent and seen only now) is detached from its stop. */
	while ((r = waitpid(-1, &st, __WALL | __WNOTHREAD | WNOHANG)) > 0) {
		if (!WIFSTOPPED(st)) {
			if (r == s->opts.pid)
				sampler__push_exit(s, st);
			continue;
		}
		if (is_birth(st >> 16) &&
		    ptrace(PTRACE_GETEVENTMSG, r, NULL, &msg) == 0) {
			t = sampler__born(s, sampler__find(s, r), st >> 16,
			    (pid_t)msg);
			if (t)
				detach_one(s, t, keep);
		}
		ptrace(PTRACE_DETACH, r, NULL, (void *)(long)
		    (st >> 16 == 0 ? WSTOPSIG(st) : 0));
	}
	sampler__sweep(s);
}

/* The process ended while it was not traced (job control): a launched
 * command is our child, reaped here for its status (any thread of ours
 * may wait for it); an attached one's status is not ours to know. */
static void
reattach_gone(struct sampler *s)
{
	int st = -1;

	if (s->opts.launched &&
	    waitpid(s->opts.pid, &st, WNOHANG | __WALL) != s->opts.pid)
		st = -1;
	sampler__push_exit(s, st);
}

/* After a job-control stop: seizes the released threads again (those
 * gone meanwhile are told as exited), then every thread born meanwhile.
 * CPU time used during the pause is not turned into samples. */
void
sampler__reattach(struct sampler *s)
{
	uint64_t now = util_now_ns();
	struct sthread *t;
	size_t i;
	int n;

	for (i = 0; i < s->nth; i++) {
		t = s->th[i];
		if (t->state != STH_RELEASED)
			continue;
		if (sampler__seize(s, t->tid) < 0) {
			if (t->tid == s->opts.pid &&
			    sampler__proc_state_tid(s->opts.pid, t->tid) == 'Z')
				s->leader_zombie = true;
			sampler__mark_dead(s, t);
			continue;
		}
		t->state = STH_RUNNING;
		t->next_ns = now;
		sampler__schedule(s, t, now);
		sampler__cpu_rebase(s, t);
	}
	sampler__sweep(s);
	do {
		n = sampler__scan(s);
	} while (n > 0);
	/* Children born while released were not attached by the kernel. */
	sampler__children_attach(s);
	if (s->nth == 0 && (!s->leader_zombie || s->opts.launched)) {
		reattach_gone(s);
		return;
	}
	/* An exec meanwhile: the leader's tid now names the thread that
	 * exec'd, and the worker must drop every mapping it knew. */
	t = sampler__find(s, s->opts.pid);
	if (s->auxv_id != 0 &&
	    sampler__proc_auxv_id(s->opts.pid) != s->auxv_id && t) {
		sampler__open_fds(s, t);
		sampler__cpu_rebase(s, t);
		t->stk_lo = t->stk_hi = 0;
		sampler__push_thread(s, REC_EXEC, t->tid);
		sampler__maps_watch_exec(s);
	}
}
