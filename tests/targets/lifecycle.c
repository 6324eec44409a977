/* SPDX-License-Identifier: MIT */
/* Target for the lifecycle and signal tests: one program, one shape per
 * option. Every busy thread spins in a noinline function named after the
 * shape, so a folded profile tells which phase was sampled.
 *   lifecycle --threads N [--seconds S]   N-1 threads blocked in
 *       idle_thread (nanosleep) plus the main thread in lc_spin_many
 *   lifecycle --exec-after MS PROG [ARG...]  spin in lc_before_exec for MS
 *       ms, then execvp(PROG, ARGS) (a new program, new symbols)
 *   lifecycle --exec-on-usr1 PROG [ARG...]  the same, but spin until a
 *       SIGUSR1 comes, and print "cpu_ms N" (this image's CPU time)
 *       before the exec: a test execs it once the old image was sampled
 *       for long enough, however loaded the machine
 *   lifecycle --leader-exit             start a thread spinning in
 *       lc_orphan_spin, then pthread_exit() the main thread: the leader is
 *       a zombie (Z) while the process runs on
 *   lifecycle --watch                   fork a child spinning in
 *       lc_watched_child; the parent waitpid()s it with WUNTRACED |
 *       WCONTINUED and prints "stopped SIG" / "continued" / "exited N" for
 *       every report, as a shell's job control would see it
 *   lifecycle --exit-after MS [CODE]    spin in lc_spin_exit, exit CODE
 * Prints "ready" (with --watch: "child PID") once the shape is in place. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu_report.h"

#define TARGET_FRAME __attribute__((noinline, noclone))

static volatile unsigned long sink;
static volatile sig_atomic_t exec_go;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

TARGET_FRAME static void
lc_spin_many(double until)
{
	while (until <= 0 || now_s() < until)
		for (unsigned i = 0; i < 100000; i++)
			sink += i;
}

/* Until the clock reads until, or with until 0 until exec_go is set. */
TARGET_FRAME static void
lc_before_exec(double until)
{
	while (until > 0 ? now_s() < until : !exec_go)
		for (unsigned i = 0; i < 100000; i++)
			sink += i * 3;
}

TARGET_FRAME static void
lc_orphan_spin(void)
{
	for (;;)
		for (unsigned i = 0; i < 100000; i++)
			sink += i * 5;
}

TARGET_FRAME static void
lc_watched_child(void)
{
	for (;;)
		for (unsigned i = 0; i < 100000; i++)
			sink += i * 7;
}

TARGET_FRAME static void
lc_spin_exit(double until)
{
	while (now_s() < until)
		for (unsigned i = 0; i < 100000; i++)
			sink += i * 11;
}

static void *
idle_thread(void *arg)
{
	struct timespec ts = { 3600, 0 };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static void *
orphan_thread(void *arg)
{
	(void)arg;
	lc_orphan_spin();
	return NULL;
}

static int
run_threads(int n, double secs)
{
	pthread_attr_t a;
	pthread_t t;
	int i;

	/* Small stacks: 1000 threads must fit any machine's memory. */
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (i = 1; i < n; i++)
		if (pthread_create(&t, &a, idle_thread, NULL) != 0) {
			fprintf(stderr, "pthread_create %d: failed\n", i);
			return 1;
		}
	ready();
	lc_spin_many(secs > 0 ? now_s() + secs : 0);
	return 0;
}

static void
on_usr1(int sig)
{
	(void)sig;
	exec_go = 1;
}

/* ms < 0: until SIGUSR1, and the CPU time so far said before the exec
 * (a target that reports its own counts it in too: rusage outlives
 * exec). */
static int
run_exec(long ms, char **argv)
{
	if (ms < 0)
		signal(SIGUSR1, on_usr1);
	ready();
	lc_before_exec(ms < 0 ? 0 : now_s() + ms / 1e3);
	if (ms < 0)
		report_cpu_time();
	execvp(argv[0], argv);
	perror("execvp");
	return 127;
}

static int
run_leader_exit(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, orphan_thread, NULL) != 0)
		return 1;
	ready();
	pthread_exit(NULL);
}

static int
run_watch(void)
{
	pid_t parent = getpid(), c, r;
	int st;

	c = fork();
	if (c < 0)
		return 1;
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		lc_watched_child();
	}
	printf("child %d\n", (int)c);
	fflush(stdout);
	for (;;) {
		r = waitpid(c, &st, WUNTRACED | WCONTINUED);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1;
		if (WIFSTOPPED(st))
			printf("stopped %d\n", WSTOPSIG(st));
		else if (WIFCONTINUED(st))
			printf("continued\n");
		else {
			printf("exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st));
			fflush(stdout);
			return 0;
		}
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--threads") == 0)
		return run_threads(atoi(argv[2]), argc >= 5 &&
		    strcmp(argv[3], "--seconds") == 0 ? atof(argv[4]) : 0);
	if (argc >= 4 && strcmp(argv[1], "--exec-after") == 0)
		return run_exec(atol(argv[2]), argv + 3);
	if (argc >= 3 && strcmp(argv[1], "--exec-on-usr1") == 0)
		return run_exec(-1, argv + 2);
	if (argc == 2 && strcmp(argv[1], "--leader-exit") == 0)
		return run_leader_exit();
	if (argc == 2 && strcmp(argv[1], "--watch") == 0)
		return run_watch();
	if (argc >= 3 && strcmp(argv[1], "--exit-after") == 0) {
		ready();
		lc_spin_exit(now_s() + atol(argv[2]) / 1e3);
		report_cpu_time();
		return argc >= 4 ? atoi(argv[3]) : 0;
	}
	fprintf(stderr, "usage: lifecycle --threads N [--seconds S] | "
	    "--exec-after MS PROG [ARG...] | --exec-on-usr1 PROG [ARG...] | "
	    "--leader-exit | --watch | "
	    "--exit-after MS [CODE]\n");
	return 2;
}
