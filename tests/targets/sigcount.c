/* SPDX-License-Identifier: MIT */
/* Target: counts the signals it receives while spinning in spin_hot():
 * SIGRTMIN (queued by the test), SIGCHLD (it forks short-lived children)
 * and SIGPIPE (it writes to a pipe nobody reads). On SIGUSR1 it waits
 * until no SIGRTMIN is pending, prints
 *   rt=N chld=N forks=N pipe=N epipe=N
 * and exits 0. Prints "ready" when its handlers are installed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t rt, chld, pipes, done;
static volatile unsigned long sink;

static void
on_signal(int sig)
{
	if (sig == SIGRTMIN)
		rt++;
	else if (sig == SIGCHLD)
		chld++;
	else if (sig == SIGPIPE)
		pipes++;
	else if (sig == SIGUSR1)
		done = 1;
}

static void __attribute__((noinline, noclone))
spin_hot(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += i;
}

int
main(void)
{
	int sigs[] = { SIGRTMIN, SIGCHLD, SIGPIPE, SIGUSR1 };
	struct timespec ms = { 0, 1000000 };
	struct sigaction sa;
	long forks = 0, epipe = 0, loops = 0;
	sigset_t pend;
	int p[2];
	unsigned i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	if (pipe(p) < 0)
		return 1;
	close(p[0]);
	printf("ready\n");
	fflush(stdout);
	while (!done) {
		/* A child and an EPIPE first, then every 8 rounds; the test
		 * ends the run only after "forked" (a loaded machine may
		 * give the loop little time, and the signals much). */
		if (loops++ % 8 == 0) {
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			if (c > 0)
				forks++;
			if (write(p[1], "x", 1) < 0 && errno == EPIPE)
				epipe++;
			if (loops == 1) {
				printf("forked\n");
				fflush(stdout);
			}
		}
		spin_hot(200000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	for (;;) {
		sigpending(&pend);
		if (!sigismember(&pend, SIGRTMIN))
			break;
		nanosleep(&ms, NULL);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	printf("rt=%d chld=%d forks=%ld pipe=%d epipe=%ld\n", (int)rt,
	    (int)chld, forks, (int)pipes, epipe);
	return 0;
}
