/* SPDX-License-Identifier: MIT */
/* unwind/sigmask.c: on a thread that called unwind_thread_init, the
 * calls libunwind makes around its lock (set the mask to all signals,
 * then back to what it was) keep every signal blocked and make no system
 * call; a call that unblocks goes through and ends the shortcut; on any
 * other thread sigprocmask is libc's. (That libunwind gets this
 * sigprocmask, and makes no such system call in ctop-prof, is
 * run-sigmask.sh's.) */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../tap.h"
#include "ctop/unwind.h"

/* Whether sig is blocked on this thread, asked of the kernel itself. */
static bool
blocked(int sig)
{
	sigset_t cur;

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8);
	return sigismember(&cur, sig) == 1;
}

static void *
unwinding_thread(void *arg)
{
	sigset_t all, old, one;

	(void)arg;
	unwind_thread_init();
	sigfillset(&all);
	ok(sigprocmask(SIG_SETMASK, &all, &old) == 0 &&
	    sigismember(&old, SIGUSR1) == 1 && blocked(SIGUSR1) &&
	    sigprocmask(SIG_SETMASK, &old, NULL) == 0 && blocked(SIGUSR1),
	    "initialised thread: all, then back: every signal stays blocked");
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	ok(sigprocmask(SIG_BLOCK, &one, NULL) == 0 && blocked(SIGUSR1),
	    "initialised thread: blocking more is a no-op");
	ok(sigprocmask(SIG_UNBLOCK, &one, NULL) == 0 && !blocked(SIGUSR1) &&
	    blocked(SIGUSR2), "initialised thread: unblocking goes through");
	ok(sigprocmask(SIG_SETMASK, &all, &old) == 0 &&
	    sigismember(&old, SIGUSR1) == 0 && blocked(SIGUSR1),
	    "after that, the shortcut is off: the old mask is the real one");
	return NULL;
}

int
main(void)
{
	sigset_t one, old;
	pthread_t t;

	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	ok(sigprocmask(SIG_BLOCK, &one, &old) == 0 && blocked(SIGUSR2) &&
	    sigismember(&old, SIGUSR2) == 0 &&
	    sigprocmask(SIG_UNBLOCK, &one, NULL) == 0 && !blocked(SIGUSR2),
	    "another thread: block and unblock as libc's");
	ok(sigprocmask(99, &one, NULL) == -1, "another thread: a bad how fails");
	/* The threads inherit SIGUSR2 blocked, so the unwinding one can
	 * show it stays so. */
	sigprocmask(SIG_BLOCK, &one, NULL);
	pthread_create(&t, NULL, unwinding_thread, NULL);
	pthread_join(t, NULL);
	return done_testing();
}
