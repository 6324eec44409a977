/* SPDX-License-Identifier: MIT */
/* JIT target: copies the machine code of a counting loop into an anonymous
 * page, makes it executable, and names it in /tmp/perf-PID.map as
 * "jit_hot_loop", the way a JIT does. Each round calls the JIT copy A times
 * and c_hot_loop, the same instructions compiled in, B times (default
 * 1:1), so the JIT code holds A/(A+B) of the CPU time by construction
 * (measured with the thread's CPU clock around each loop: 49.8-50.3% of 1 s).
 * Expected leaves: jit_hot_loop_[j] 50%, c_hot_loop 50%. x86-64 only.
 * Usage: fakejit [--seconds N | --cpu-seconds N] [--ratio A:B]. Runs until
 * killed unless --seconds (wall time) or --cpu-seconds (its own CPU time:
 * tests then know how many samples to expect on a loaded machine) is given;
 * removes its map at exit (also on SIGTERM and SIGINT). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TARGET_FRAME __attribute__((noinline, noclone))

/* Iterations per call: about 100 us at one iteration per cycle, short
 * against a 10 ms sampling period. Each call draws its count from
 * SPINS/2..3*SPINS/2: with a fixed count the rounds repeat with a period
 * that a sampling period can lock onto, always catching the same loop
 * (seen: 55/42 instead of 50/50 at 499 Hz on a loaded machine). */
#define SPINS 300000

static uint64_t
spins(void)
{
	static uint64_t x = 88172645463325252ull;	/* xorshift64 */

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return SPINS / 2 + x % SPINS;
}

/* uint64_t loop(uint64_t n): counts rax up to n (rdi) and returns it.
 *   0: 31 c0        xor  %eax,%eax
 *   2: 48 83 c0 01  add  $1,%rax
 *   6: 48 39 f8     cmp  %rdi,%rax
 *   9: 72 f7        jb   2
 *  11: c3           ret                                              */
static const unsigned char loop_code[] = {
	0x31, 0xc0, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x39, 0xf8, 0x72, 0xf7,
	0xc3,
};

typedef uint64_t (*loop_fn)(uint64_t);

static char map_path[64];
static volatile uint64_t sink;

/* The same instructions as loop_code, so that an iteration costs the same
 * in both. */
TARGET_FRAME uint64_t c_hot_loop(uint64_t n);

TARGET_FRAME uint64_t
c_hot_loop(uint64_t n)
{
	uint64_t r;

	__asm__ volatile("xor %%eax, %%eax\n"
	    "1: add $1, %%rax\n"
	    "cmp %1, %%rax\n"
	    "jb 1b\n" : "=&a"(r) : "D"(n) : "cc");
	return r;
}

/* A normal C caller of the JIT code. */
static TARGET_FRAME void
call_jit(loop_fn jit)
{
	sink += jit(spins());
}

static TARGET_FRAME void
fakejit_round(loop_fn jit, long a, long b)
{
	for (long i = 0; i < a; i++)
		call_jit(jit);
	for (long i = 0; i < b; i++)
		sink += c_hot_loop(spins());
}

/* An anonymous page with the loop in it: written, then read+exec only. */
static loop_fn
make_jit_code(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, loop_code, sizeof loop_code);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0)
		return NULL;
	return (loop_fn)(uintptr_t)p;
}

/* perf's format: "START SIZE name", hex without 0x, mode 0644 whatever
 * the umask (the profiler refuses a map anyone may write). */
static int
write_map(loop_fn jit)
{
	char line[128];
	int fd, n;

	snprintf(map_path, sizeof map_path, "/tmp/perf-%d.map", (int)getpid());
	fd = open(map_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (fd < 0) {
		/* Not ours (a link, another user's file): never removed. */
		map_path[0] = '\0';
		return -1;
	}
	n = snprintf(line, sizeof line, "%lx %zx jit_hot_loop\n",
	    (unsigned long)(uintptr_t)jit, sizeof loop_code);
	if (fchmod(fd, 0644) < 0 || write(fd, line, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
remove_map(void)
{
	if (map_path[0])
		unlink(map_path);
}

static void
on_signal(int sig)
{
	remove_map();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* What --seconds counts: wall time, or CPU time with --cpu-seconds. */
static clockid_t run_clock = CLOCK_MONOTONIC;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(run_clock, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
parse_args(int argc, char **argv, double *seconds, long *a, long *b)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "cpu-seconds", required_argument, NULL, 'c' },
		{ "ratio", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's' || c == 'c')
			*seconds = atof(optarg);
		if (c == 'c')
			run_clock = CLOCK_PROCESS_CPUTIME_ID;
		else if (c == 's')
			;
		else if (c != 'r' || sscanf(optarg, "%ld:%ld", a, b) != 2 ||
		    *a < 0 || *b < 0 || *a + *b == 0 || *a > 1000 || *b > 1000)
			return -1;
	}
	return optind == argc ? 0 : -1;
}

int
main(int argc, char **argv)
{
	double seconds = 0, end;
	long a = 1, b = 1;
	loop_fn jit;

	if (parse_args(argc, argv, &seconds, &a, &b) < 0) {
		fprintf(stderr, "usage: fakejit [--seconds N | --cpu-seconds N] "
		    "[--ratio A:B]\n");
		return 2;
	}
	jit = make_jit_code();
	if (!jit || write_map(jit) < 0) {
		fprintf(stderr, "fakejit: %s\n", strerror(errno));
		remove_map();
		return 1;
	}
	atexit(remove_map);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	end = now_s() + seconds;
	/* The CPU clock is a system call: read it every 256 rounds so that
	 * it stays out of the profile. */
	for (unsigned long n = 0;; n++) {
		if (seconds > 0 && n % 256 == 0 && now_s() >= end)
			break;
		fakejit_round(jit, a, b);
	}
	return 0;
}
