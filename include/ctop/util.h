/* SPDX-License-Identifier: MIT */
/* util: the small helpers every module would otherwise write again: the
 * monotonic clock, a growable array, opening a regular file, joining a
 * path. Any module may use them; util depends on none.
 * Thread: any (nothing here keeps state). */
#ifndef CTOP_UTIL_H
#define CTOP_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Now on CLOCK_MONOTONIC in nanoseconds: the clock of sample times, of
 * perf's records (their clockid) and of every interval ctop-prof keeps.
 * Inline: the sampler reads it per sample, and ctop-demo (which does not
 * link libctop) uses it too. */
static inline uint64_t
util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same clock in seconds, for intervals the UI and the CLI compare
 * with a user's -d or a duration (a double holds the nanoseconds exactly
 * for the first 104 days of uptime, to a few ns after). */
static inline double
util_now_s(void)
{
	return (double)util_now_ns() / 1e9;
}

/* Now on CLOCK_REALTIME in nanoseconds: only for times another machine
 * reads (the Unix seconds of a pushed interval), never for intervals. */
static inline uint64_t
util_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Initialises c to time its waits on CLOCK_MONOTONIC, util_now_ns's
 * clock: a deadline for pthread_cond_timedwait is then util_now_ns() and
 * an interval, split into seconds and nanoseconds. */
void util_cond_init_monotonic(pthread_cond_t *c);

/* Makes room for `need` elements of `size` bytes in an array, given the
 * address of its pointer (arrp: a T ** passed as void *) and of its
 * capacity in elements. Nothing happens while need <= *cap; otherwise the
 * capacity becomes `first` when it was 0 (or 1 when first is 0), then
 * doubles until it holds need, and the array is reallocated to it.
 * Returns 0, or -ENOMEM when the byte size would overflow size_t or
 * realloc fails: then *arrp and *cap are as they were (the old buffer
 * stays valid and owned by the caller). Allocates: not for the sampler's
 * per-sample path. */
int util_grow(void *arrp, size_t *cap, size_t need, size_t size,
    size_t first);

/* Opens path read-only (close-on-exec) when it is a regular file; -1
 * otherwise (errno, or a device, FIFO or directory: reading one could
 * hang a reader such as libelf). For files of the target, opened through
 * /proc/PID/map_files or /proc/PID/root. */
int util_open_regular(const char *path);

/* name under dir when name is relative and dir is neither NULL nor
 * empty (else name alone), with empty and "." segments dropped and
 * each ".." taking away the segment before it, lexically: the file
 * system is not asked, so a ".." after a symbolic link goes back to the
 * link's parent, not its target's. A ".." at the root stays at the root;
 * one at the start of a relative result is kept. An empty result is "/"
 * or ".". Returns a malloc'd string, or NULL without memory. */
char *util_path_join(const char *dir, const char *name);

#endif
