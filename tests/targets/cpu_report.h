/* SPDX-License-Identifier: MIT */
/* Test targets report the CPU time they got, so a test's expected sample
 * count follows from it: a loaded machine gives a 1 s run far less than
 * 1 s of CPU, and a profiler that samples CPU time takes fewer samples. */
#ifndef TARGETS_CPU_REPORT_H
#define TARGETS_CPU_REPORT_H

#include <stdio.h>
#include <sys/resource.h>

/* Prints "cpu_ms N" (user + system time of the whole process) and flushes. */
static inline void
report_cpu_time(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	printf("cpu_ms %ld\n", (long)(ru.ru_utime.tv_sec * 1000 +
	    ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 +
	    ru.ru_stime.tv_usec / 1000));
	fflush(stdout);
}

#endif
