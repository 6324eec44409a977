/* SPDX-License-Identifier: MIT */
/* Target: prints "ready", waits 200 ms (the test attaches), then forks N
 * children, one every 50 ms, printing "child PID" for each; children spin
 * in child_work() most of the time, the parent in parent_work().
 *   forker [children]
 * Children die with the parent (PR_SET_PDEATHSIG). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void __attribute__((noinline, noclone))
child_work(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += i;
}

static void __attribute__((noinline, noclone))
parent_work(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += i * 3;
}

static void
child(pid_t parent)
{
	struct timespec ts = { 0, 2000000 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	for (;;) {
		child_work(2000000);
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, i;
	struct timespec ts = { 0, 50000000 };
	pid_t self = getpid(), c;

	printf("ready\n");
	fflush(stdout);
	parent_work(1000);
	nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	for (i = 0; i < n; i++) {
		parent_work(10000000);
		c = fork();
		if (c == 0)
			child(self);
		if (c < 0)
			return 1;
		printf("child %d\n", (int)c);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	for (;;)
		parent_work(1000000);
}
