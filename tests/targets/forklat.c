/* SPDX-License-Identifier: MIT */
/* Target: the pause a fork costs the child. Forks N children, one at a
 * time; each writes the time it first runs into shared memory and exits;
 * the parent takes the time just before fork() and prints the median,
 * 90th and 99th percentiles of the difference, in microseconds:
 *   forklat [N]   (200)      ->  "fork_to_child_us p50=.. p90=.. p99=.." */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, i, k = 0;
	volatile double *first = mmap(NULL, sizeof *first,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double *d = calloc(n > 0 ? (size_t)n : 1, sizeof *d), t0;

	if (first == MAP_FAILED || !d || n <= 0)
		return 2;
	for (i = 0; i < n; i++) {
		pid_t c;

		*first = 0;
		t0 = now_us();
		c = fork();
		if (c == 0) {
			*first = now_us();
			_exit(0);
		}
		if (c < 0)
			return 1;
		waitpid(c, NULL, 0);
		if (*first > 0)
			d[k++] = *first - t0;
		usleep(2000);
	}
	qsort(d, (size_t)k, sizeof *d, cmp);
	printf("fork_to_child_us p50=%.0f p90=%.0f p99=%.0f n=%d\n",
	    d[k / 2], d[k * 9 / 10], d[k * 99 / 100], k);
	return 0;
}
