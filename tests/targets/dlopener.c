/* SPDX-License-Identifier: MIT */
/* Test target: spins in main until told on stdin "load PATH SYMBOL";
 * then dlcloses the previous library, dlopens PATH and spins in SYMBOL,
 * answering "loaded ADDRESS". Exercises module reloads and cache flushes
 * (a new library at the address of a closed one). */
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
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
	*fn = NULL;
	if (*handle)
		dlclose(*handle);
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*handle)
		*fn = (hot_fn)dlsym(*handle, sym);
	printf("loaded %p\n", (void *)*fn);
	fflush(stdout);
}

int
main(void)
{
	void *handle = NULL;
	hot_fn fn = NULL;

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
