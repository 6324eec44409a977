/* SPDX-License-Identifier: MIT */
/* Test tool: holds one thread of another process stopped while the
 * process's other threads run on, as a machine too busy to schedule that
 * thread would (a worker behind its sampler). Usage: holdthread PID NAME.
 * Waits up to 10 s for a thread of PID whose comm is NAME, stops it
 * (PTRACE_SEIZE, PTRACE_INTERRUPT), prints "held TID", and holds it until
 * its own standard input ends; then lets it go (PTRACE_DETACH). Exits 1
 * when no such thread came or it could not be held. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The tid of pid's thread named name, or 0. */
static pid_t
find_thread(pid_t pid, const char *name)
{
	char path[64], comm[64];
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid,
		    atoi(e->d_name));
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(comm, sizeof comm, f)) {
			comm[strcspn(comm, "\n")] = '\0';
			if (strcmp(comm, name) == 0)
				found = (pid_t)atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

int
main(int argc, char **argv)
{
	struct timespec nap = { 0, 1000000 };
	pid_t pid, tid = 0;
	char buf[256];
	int status, i;

	if (argc != 3) {
		fprintf(stderr, "usage: holdthread PID NAME\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	for (i = 0; i < 10000 && (tid = find_thread(pid, argv[2])) == 0; i++)
		nanosleep(&nap, NULL);
	if (tid == 0) {
		fprintf(stderr, "holdthread: no thread %s in %d\n", argv[2],
		    (int)pid);
		return 1;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0 ||
	    waitpid(tid, &status, __WALL) != tid) {
		fprintf(stderr, "holdthread: %d: %s\n", (int)tid,
		    strerror(errno));
		return 1;
	}
	printf("held %d\n", (int)tid);
	fflush(stdout);
	while (fgets(buf, sizeof buf, stdin))
		;
	/* A signal that stopped it (not our interrupt) is delivered now. */
	ptrace(PTRACE_DETACH, tid, NULL,
	    (void *)(long)(WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP &&
	    status >> 16 == 0 ? WSTOPSIG(status) : 0));
	return 0;
}
