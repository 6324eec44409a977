/* SPDX-License-Identifier: MIT */
/* Helpers for the python module's tests (see python-util.h). */
#include "config.h"

#include "python-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
pyt_find(const char *pattern, char *out, size_t len)
{
	char full[4096];
	const char *home = getenv("HOME");
	glob_t g;
	int rc = -1;

	if (strncmp(pattern, "~/", 2) == 0)
		snprintf(full, sizeof full, "%s/%s", home ? home : "",
		    pattern + 2);
	else
		snprintf(full, sizeof full, "%s", pattern);
	if (glob(full, 0, NULL, &g) == 0 && g.gl_pathc > 0 &&
	    access(g.gl_pathv[0], X_OK) == 0) {
		snprintf(out, len, "%s", g.gl_pathv[0]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

int
pyt_spawn(struct pyt_proc *p, char *const argv[])
{
	int fds[2];

	memset(p, 0, sizeof *p);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
	return 0;
}

int
pyt_line(struct pyt_proc *p, char *line, size_t len, int ms)
{
	uint64_t end = pyt_now_ns() + (uint64_t)ms * 1000000;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->have);
		struct pollfd pfd = { p->out, POLLIN, 0 };
		int64_t left = (int64_t)(end - pyt_now_ns()) / 1000000;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - p->buf);

			snprintf(line, len, "%.*s", (int)l, p->buf);
			memmove(p->buf, nl + 1, p->have - l - 1);
			p->have -= l + 1;
			return 0;
		}
		if (left <= 0 || p->have == sizeof p->buf ||
		    poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = read(p->out, p->buf + p->have, sizeof p->buf - p->have);
		if (n <= 0)
			return -1;
		p->have += (size_t)n;
	}
}

void
pyt_kill(struct pyt_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->out > 0)
		close(p->out);
	p->out = -1;
}

int
pyt_tmpdir(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, len, "%s/ctop-python.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

int
pyt_write(const char *dir, const char *name, const char *text, char *path,
    size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if (!(f = fopen(path, "we")))
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

void
pyt_rmdir(const char *dir, const char *name)
{
	char path[4096];

	if (name) {
		snprintf(path, sizeof path, "%s/%s", dir, name);
		unlink(path);
	}
	rmdir(dir);
}

uint64_t
pyt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
