/* SPDX-License-Identifier: MIT */
/* Helpers for the python module's tests: find the real interpreters
 * installed here, start one on a script, read its lines, kill it. */
#ifndef CTOP_TESTS_PYTHON_UTIL_H
#define CTOP_TESTS_PYTHON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The first file matching pattern ("~/" stands for $HOME); 0 or -1. */
int pyt_find(const char *pattern, char *out, size_t len);

struct pyt_proc {
	pid_t pid;
	int out;		/* read end of its stdout */
	char buf[1024];
	size_t have;
};

/* Starts argv[0] with argv, stdout to a pipe, stdin and stderr as ours
 * (stderr shows a script's traceback in the test log). 0 or -1. */
int pyt_spawn(struct pyt_proc *p, char *const argv[]);
/* One line of its stdout within ms; 0 or -1 (timeout, EOF). */
int pyt_line(struct pyt_proc *p, char *line, size_t len, int ms);
/* SIGKILL (our own child only) and reap. */
void pyt_kill(struct pyt_proc *p);

/* A private temporary directory and a file in it; removal of both. */
int pyt_tmpdir(char *dir, size_t len);
int pyt_write(const char *dir, const char *name, const char *text,
    char *path, size_t len);
void pyt_rmdir(const char *dir, const char *name);

uint64_t pyt_now_ns(void);

#endif
