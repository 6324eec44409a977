/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fuzz targets (both builds): invariant failures and
 * in-memory files for parsers that take a path. */
#include "config.h"

#include "fuzz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: invariant broken at %s:%d: %s: ", file, line,
	    cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int
fuzz_known(const char *id)
{
	const char *list = getenv("CTOP_FUZZ_IGNORE"), *at;
	size_t len = strlen(id);

	for (at = list; at && (at = strstr(at, id)); at += len) {
		if ((at == list || strchr(", ", at[-1])) &&
		    (at[len] == '\0' || strchr(", ", at[len])))
			return 1;
	}
	return 0;
}

const char *
fuzz_file_set(struct fuzz_file *f, const void *data, size_t size)
{
	const char *p = data;
	size_t done = 0;
	ssize_t n;

	if (f->fd < 0) {
		f->fd = memfd_create("ctop-fuzz", MFD_CLOEXEC);
		if (f->fd < 0)
			return NULL;
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	if (ftruncate(f->fd, 0) < 0)
		return NULL;
	while (done < size) {
		n = pwrite(f->fd, p + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		done += (size_t)n;
	}
	return f->path;
}
