/* SPDX-License-Identifier: MIT */
/* Test target: spins in main until told on stdin "load PATH SYMBOL";
 * then dlcloses the previous library, dlopens PATH and spins in SYMBOL,
 * answering "loaded ADDRESS" (after "spent SYMBOL cpu_ms N" for the one
 * before). Exercises module reloads and cache flushes
 * (a new library at the address of a closed one).
 *   dlopener churn LIB1 SYM1 LIB2 SYM2 MS
 * loads LIB1 and LIB2 in turn, each for MS milliseconds spent in its SYM,
 * dlclosing the other first, until killed: every sample is in main, in a
 * library's SYM right under main, or in dlopen/dlclose under main. */
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

typedef unsigned long (*hot_fn)(unsigned long);

volatile unsigned long sink;

NOINLINE unsigned long
main_spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
	return sink;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "spent SYMBOL cpu_ms N": the CPU time the last library's SYMBOL had,
 * for tests whose truth is the CPU time each library got (a loaded
 * machine does not give it in proportion to the wall time). */
static void
report_spent(const char *sym)
{
	static char last[100];
	static double since;
	double now = cpu_ms();

	if (last[0])
		printf("spent %s cpu_ms %.1f\n", last, now - since);
	snprintf(last, sizeof last, "%s", sym);
	since = now;
}

/* Handles one command if one is waiting; never blocks. */
static void
poll_command(void **handle, hot_fn *fn)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char line[1024], path[900], sym[100];

	if (poll(&p, 1, 0) <= 0 || !fgets(line, sizeof line, stdin))
		return;
	if (sscanf(line, "load %899s %99s", path, sym) != 2)
		return;
	report_spent(sym);
	*fn = NULL;
	if (*handle)
		dlclose(*handle);
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*handle)
		*fn = (hot_fn)dlsym(*handle, sym);
	printf("loaded %p\n", (void *)*fn);
	fflush(stdout);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static NOINLINE int
churn(char **argv)
{
	double ms = atof(argv[6]), t0;
	void *handle = NULL;
	hot_fn fn;
	int which = 0;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		char *path = argv[2 + 2 * which], *sym = argv[3 + 2 * which];

		if (handle)
			dlclose(handle);
		handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		fn = handle ? (hot_fn)dlsym(handle, sym) : NULL;
		if (!fn) {
			fprintf(stderr, "dlopener: %s: %s\n", path, dlerror());
			return 1;
		}
		for (t0 = now_ms(); now_ms() - t0 < ms;)
			fn(1ul << 14);
		which = !which;
	}
}

int
main(int argc, char **argv)
{
	void *handle = NULL;
	hot_fn fn = NULL;

	/* Not a tail call: main stays on the stack under churn. */
	if (argc == 7 && strcmp(argv[1], "churn") == 0)
		exit(churn(argv));

	setvbuf(stdin, NULL, _IONBF, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (fn)
			fn(1ul << 20);
		else
			main_spin(1ul << 20);
		poll_command(&handle, &fn);
	}
}
