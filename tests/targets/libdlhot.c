/* SPDX-License-Identifier: MIT */
/* Test shared object for dlopener: one hot function, named DLHOT_FN
 * (dlhot_spin, or dlhot2_spin in the second build), so two builds of the
 * same size can take turns at one address. */
#ifndef DLHOT_FN
#define DLHOT_FN dlhot_spin
#endif

volatile unsigned long dlhot_sink;

__attribute__((noinline)) unsigned long
DLHOT_FN(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		dlhot_sink += i;
	return dlhot_sink;
}

#ifdef DLHOT_UNLOAD_MS
#include <stdlib.h>
#include <time.h>

/* The third build (libdlfini.so): DLHOT_UNLOAD_MS of CPU at dlclose, in a
 * function atexit registered. dlclose runs it from __cxa_finalize, which
 * the crt's __do_global_dtors_aux calls, and crt code has no CFI: its
 * samples are a stack through a frame only the frame pointer can step. */
__attribute__((noinline)) void
dlhot_unload_spin(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 1000000; i++)
			dlhot_sink += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
	    (t.tv_nsec - t0.tv_nsec) / 1000000 < DLHOT_UNLOAD_MS);
}

__attribute__((constructor)) static void
dlhot_at_load(void)
{
	atexit(dlhot_unload_spin);
}
#endif
