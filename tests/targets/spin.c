/* SPDX-License-Identifier: MIT */
/* Target: busy threads spinning in spin_hot(), idle threads blocked in
 * nanosleep, optional late threads; expected hot path: spin_hot <- busy.
 *   spin [-b busy] [-i idle] [-l late -L delay_ms] [-p progress_file]
 *        [-s seconds -x exit_code] [-E exec_after_ms [-G]]
 * -E: a non-main thread execs "spin -b 1" after that many ms (the tid
 * change of a multi-threaded exec); with -G, that many ms after SIGUSR1
 * (a test sends it once its profiler runs, however slow a loaded machine
 * is to start it).
 * Prints "ready" once the first threads run; the progress file (8 bytes)
 * holds a counter that advances while busy thread 0 runs. With -s, prints
 * "cpu_ms N" (the CPU time it got) before it exits. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu_report.h"

static volatile uint64_t *progress;
static volatile uint64_t sink;
/* -G: the exec waits for SIGUSR1, blocked in every thread. */
static int exec_on_signal;

static void __attribute__((noinline, noclone))
spin_hot(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += i * 7;
}

static void *
busy(void *arg)
{
	int first = arg != NULL;

	for (;;) {
		spin_hot(100000);
		if (first && progress)
			(*progress)++;
	}
	return NULL;
}

static void *
idle(void *arg)
{
	struct timespec ts = { 3600, 0 };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static void sleep_ms(long ms);

static void *
exec_self(void *arg)
{
	char *argv[] = { "spin", "-b", "1", NULL };
	sigset_t usr1;
	int sig;

	if (exec_on_signal) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigwait(&usr1, &sig);
	}
	sleep_ms((long)(intptr_t)arg);
	/* What the old image used, for tests that split the CPU time at the
	 * exec (a loaded machine shifts it). */
	{
		struct timespec c;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
		printf("exec_cpu_ms %ld\n", (long)c.tv_sec * 1000 +
		    c.tv_nsec / 1000000);
		fflush(stdout);
	}
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(1);
}

static void
start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg) != 0) {
		perror("pthread_create");
		exit(1);
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int
main(int argc, char **argv)
{
	int nbusy = 1, nidle = 0, nlate = 0, late_ms = 300, code = 0, c, i, fd;
	long exec_ms = -1;
	double secs = 0;
	const char *pfile = NULL;

	while ((c = getopt(argc, argv, "b:i:l:L:p:s:x:E:G")) != -1) {
		switch (c) {
		case 'b': nbusy = atoi(optarg); break;
		case 'i': nidle = atoi(optarg); break;
		case 'l': nlate = atoi(optarg); break;
		case 'L': late_ms = atoi(optarg); break;
		case 'p': pfile = optarg; break;
		case 's': secs = atof(optarg); break;
		case 'x': code = atoi(optarg); break;
		case 'E': exec_ms = atol(optarg); break;
		case 'G': exec_on_signal = 1; break;
		default: return 2;
		}
	}
	if (pfile) {
		fd = open(pfile, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || ftruncate(fd, 8) < 0)
			return 1;
		progress = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		if (progress == MAP_FAILED)
			return 1;
	}
	if (exec_on_signal) {
		sigset_t usr1;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	}
	for (i = 0; i < nbusy; i++)
		start(busy, i == 0 ? (void *)1 : NULL);
	for (i = 0; i < nidle; i++)
		start(idle, NULL);
	if (exec_ms >= 0)
		start(exec_self, (void *)(intptr_t)exec_ms);
	printf("ready\n");
	fflush(stdout);
	if (nlate) {
		sleep_ms(late_ms);
		for (i = 0; i < nlate; i++)
			start(busy, NULL);
	}
	if (secs > 0) {
		sleep_ms((long)(secs * 1000) - (nlate ? late_ms : 0));
		report_cpu_time();
		exit(code);
	}
	/* No remaining-time argument: the kernel would rewrite it on our
	 * stack at every interruption, and the test compares stack bytes. */
	for (;;) {
		struct timespec ts = { 3600, 0 };

		nanosleep(&ts, NULL);
	}
}
