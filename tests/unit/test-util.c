/* SPDX-License-Identifier: MIT */
/* util: the monotonic clock moves forward and agrees with itself in ns and
 * s; util_grow doubles from its first capacity, keeps what the array
 * held, refuses a size that would overflow, and leaves the array and its
 * capacity as they were when realloc fails; util_path_join puts a relative
 * name under its directory and resolves "." and ".." lexically. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "ctop/util.h"

/* The failing-realloc check asks for more than any allocator gives; under
 * AddressSanitizer that must return NULL, as malloc does, not abort. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_clock(void)
{
	uint64_t a = util_now_ns(), b;
	double s = util_now_s(), t;
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	nanosleep(&nap, NULL);
	b = util_now_ns();
	t = util_now_s();
	ok(b - a >= 20u * 1000 * 1000, "20 ms asleep: ns advanced %llu",
	    (unsigned long long)(b - a));
	ok(t - s >= 0.020, "20 ms asleep: s advanced %.6f", t - s);
	/* The two read one clock: t was read after b, at most 1 s later
	 * even under load (1 us of slack for rounding). */
	ok(t - (double)b / 1e9 > -1e-6 && t - (double)b / 1e9 < 1.0,
	    "s and ns read one clock (%.6f s apart)", t - (double)b / 1e9);
}

static void
test_grow(void)
{
	int *v = NULL;
	size_t cap = 0;
	bool kept;

	is_int(util_grow(&v, &cap, 0, sizeof *v, 8), 0, "need 0: nothing");
	ok(v == NULL && cap == 0, "need 0 allocates nothing");
	is_int(util_grow(&v, &cap, 1, sizeof *v, 8), 0, "need 1");
	is_int(cap, 8, "an empty array starts at first");
	for (int i = 0; i < 8; i++)
		v[i] = i;
	is_int(util_grow(&v, &cap, 8, sizeof *v, 8), 0, "need == cap");
	is_int(cap, 8, "need == cap keeps the capacity");
	is_int(util_grow(&v, &cap, 9, sizeof *v, 8), 0, "need 9");
	is_int(cap, 16, "one past the capacity doubles it");
	is_int(util_grow(&v, &cap, 100, sizeof *v, 8), 0, "need 100");
	is_int(cap, 128, "doubles until it holds need (16 -> 128)");
	kept = true;
	for (int i = 0; i < 8; i++)
		kept = kept && v[i] == i;
	ok(kept, "the elements are kept across growth");
	v[127] = 127;	/* the whole capacity is writable (ASan checks) */
	free(v);

	v = NULL;
	cap = 0;
	is_int(util_grow(&v, &cap, 3, sizeof *v, 0), 0, "first 0");
	is_int(cap, 4, "first 0 starts at 1 and doubles to 4");
	free(v);
}

static void
test_refusals(void)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	is_int(util_grow(&v, &cap, 4, sizeof *v, 4), 0, "four elements");
	v[0] = 42;
	v[3] = 7;

	/* Elements x size past SIZE_MAX: refused before realloc. */
	is_int(util_grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 4),
	    -ENOMEM, "a byte size past SIZE_MAX is refused");
	is_int(cap, 4, "refused: the capacity is unchanged");
	/* A capacity that cannot double past need: refused too. */
	is_int(util_grow(&v, &cap, SIZE_MAX, 1, 4), -ENOMEM,
	    "need SIZE_MAX (the doubling would overflow) is refused");

	/* 2^57 bytes fit in size_t but no address space: realloc fails. */
	is_int(util_grow(&v, &cap, (size_t)1 << 54, sizeof *v, 4), -ENOMEM,
	    "a request realloc cannot meet fails with -ENOMEM");
	is_int(cap, 4, "failed: the capacity is unchanged");
	ok(v && v[0] == 42 && v[3] == 7,
	    "failed: the old buffer and its contents are kept");
	is_int(util_grow(&v, &cap, 5, sizeof *v, 4), 0,
	    "the kept buffer still grows");
	ok(cap == 8 && v[0] == 42 && v[3] == 7, "and keeps its contents");
	free(v);
}

/* util_open_regular: a regular file opens; a directory, a device and a
 * FIFO without a writer (which a plain open would wait on) do not. */
static void
test_open_regular(void)
{
	char dir[] = "/tmp/ctop-util.XXXXXX", file[64], fifo[64];
	FILE *f;
	int fd;

	if (mkdtemp(dir) == NULL) {
		ok(0, "open_regular: mkdtemp");
		return;
	}
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(fifo, sizeof fifo, "%s/p", dir);
	f = fopen(file, "w");
	if (f != NULL)
		fclose(f);
	fd = util_open_regular(file);
	ok(fd >= 0, "open_regular: a regular file opens");
	if (fd >= 0)
		close(fd);
	ok(util_open_regular(dir) < 0, "open_regular: a directory does not");
	ok(util_open_regular("/dev/zero") < 0, "open_regular: a device does not");
	ok(mkfifo(fifo, 0600) == 0 && util_open_regular(fifo) < 0,
	    "open_regular: a FIFO without a writer does not, at once");
	unlink(fifo);
	unlink(file);
	rmdir(dir);
}

/* util_path_join DIR NAME gives WANT. */
static void
join_is(const char *dir, const char *name, const char *want)
{
	char *got = util_path_join(dir, name);

	ok(got && strcmp(got, want) == 0, "path_join(%s, %s): %s (want %s)",
	    dir ? dir : "NULL", name, got ? got : "NULL", want);
	free(got);
}

/* util_path_join: the names debug info gives (a build out of tree names
 * ../src/x.c under its build directory) and the edges of "..". */
static void
test_path_join(void)
{
	join_is("/b/build", "../src/demo/demo.c", "/b/src/demo/demo.c");
	join_is("/b/build", "demo.c", "/b/build/demo.c");
	join_is("/b/build/", "./x//y/./z.c", "/b/build/x/y/z.c");
	join_is("/b/build", "/usr/include/stdio.h", "/usr/include/stdio.h");
	join_is("/b/build", "/usr/lib/gcc/../../include/x.h",
	    "/usr/include/x.h");
	join_is("/b", "../../../x.c", "/x.c");
	join_is("/", "..", "/");
	join_is("/b", "..", "/");
	join_is(NULL, "../src/x.c", "../src/x.c");
	join_is("", "src/x.c", "src/x.c");
	join_is(".", "../src/x.c", "../src/x.c");
	join_is("build", "../src/x.c", "src/x.c");
	join_is("a/b", "../../../../x.c", "../../x.c");
	join_is("a", "..", ".");
	join_is("/b/..x/...", "..y/x.c", "/b/..x/.../..y/x.c");
}

int
main(void)
{
	test_clock();
	test_grow();
	test_refusals();
	test_open_regular();
	test_path_join();
	return done_testing();
}
