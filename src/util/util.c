/* SPDX-License-Identifier: MIT */
/* util: the growable array, opening a regular file and joining a path
 * (the clock is inline in the header). */
#include "config.h"

#include "ctop/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
util_grow(void *arrp, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t ncap = *cap ? *cap : first ? first : 1;
	void *old, *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		return -ENOMEM;
	/* The pointer is read and written as bytes: arrp points to a T *,
	 * not to a void *, and memcpy is the access C allows for both. */
	memcpy(&old, arrp, sizeof old);
	nv = realloc(old, ncap * size);
	if (!nv)
		return -ENOMEM;
	memcpy(arrp, &nv, sizeof nv);
	*cap = ncap;
	return 0;
}

int
util_open_regular(const char *path)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO (planted where a library was) must not
	 * wait for a writer; on a regular file it changes nothing. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	/* Never hand a device or a FIFO to libelf: reads could hang. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the n bytes at seg are "..". */
static bool
is_dotdot(const char *seg, size_t n)
{
	return n == 2 && seg[0] == '.' && seg[1] == '.';
}

/* Normalises p in place (util_path_join). The output never runs ahead of
 * the input, so one buffer does. kept counts the output's segments a
 * ".." may take away (those after any leading ".."). */
static void
path_normalise(char *p)
{
	bool abs = p[0] == '/';
	char *base = p + abs, *out = base, *in = base;
	size_t kept = 0, n;

	while (*in) {
		n = strcspn(in, "/");
		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* nothing: "//" and "/./" are "/" */
		} else if (is_dotdot(in, n) && kept) {
			while (out > base && *--out != '/')
				;
			kept--;
		} else if (!is_dotdot(in, n) || !abs) {
			if (out > base)
				*out++ = '/';
			memmove(out, in, n);
			out += n;
			kept += !is_dotdot(in, n);
		}
		in += n + (in[n] == '/');
	}
	if (out == p)
		*out++ = '.';
	*out = '\0';
}

char *
util_path_join(const char *dir, const char *name)
{
	char *p;

	if (name[0] == '/' || !dir || !*dir)
		p = strdup(name);
	else if (asprintf(&p, "%s/%s", dir, name) < 0)
		p = NULL;
	if (p)
		path_normalise(p);
	return p;
}

void
util_cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}
