/* SPDX-License-Identifier: MIT */
/* bench-engine: what one sample costs ctop-prof. Samples a target with the
 * real sampler for a few seconds (nothing consumes, so every raw sample is
 * kept), prints the pause per sample (p50/p90/p99), then replays the same
 * raw samples through the worker (unwind + symbols + profile) twice: cold
 * caches, then warm; prints CPU microseconds per sample and the samples
 * per second the worker sustains. With -b, first the bare round trip on
 * the same thread at the same rate (PTRACE_INTERRUPT, wait, PTRACE_CONT,
 * nothing read): the anchor of the pause (issue 17, goal 1).
 * Usage: bench-engine [-F HZ] [-s SECS] [-S STACK] [-P auto|off] [-b]
 *        -- TARGET [ARGS...] */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "../src/source/worker.h"

struct recs {
	unsigned char *buf;
	size_t len, cap;
	size_t count, samples;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
pctl(const uint64_t *v, size_t n, double p)
{
	return n ? v[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

/* The bare round trip: the thread seized, then at hz for secs seconds
 * interrupted, waited for, resumed, with nothing read between; what no
 * sampler can go under. Prints its p50/p90/p99. */
static int
bare_round_trips(pid_t tid, unsigned hz, double secs)
{
	size_t n = 0, max = (size_t)(hz * secs) + 1;
	uint64_t *v = calloc(max, sizeof *v), period = 1000000000ull / hz;
	uint64_t next = now_ns(), t0;
	int st;

	if (!v || ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
		perror("bench-engine: PTRACE_SEIZE");
		free(v);
		return -1;
	}
	while (n < max) {
		struct timespec nap;
		uint64_t now = now_ns();

		if (now < next) {
			nap.tv_sec = (time_t)((next - now) / 1000000000ull);
			nap.tv_nsec = (long)((next - now) % 1000000000ull);
			nanosleep(&nap, NULL);
		}
		next += period;
		t0 = now_ns();
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0 ||
		    waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			break;
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		v[n++] = now_ns() - t0;
	}
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	waitpid(tid, &st, __WALL);
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	qsort(v, n, sizeof *v, cmp_u64);
	printf("bare    %u Hz %.1f s: %zu round trips; pause p50 %.1f us, "
	    "p90 %.1f us, p99 %.1f us\n", hz, secs, n, pctl(v, n, 0.5) / 1e3,
	    pctl(v, n, 0.9) / 1e3, pctl(v, n, 0.99) / 1e3);
	free(v);
	return 0;
}

/* Moves every record out of the ring into r (type, len, payload). */
static void
recs_take(struct recs *r, struct ring *ring)
{
	const void *data;
	uint32_t type;
	size_t len, need;

	while ((data = ring_peek(ring, &type, &len)) != NULL) {
		need = r->len + 2 * sizeof(size_t) + len;
		if (need > r->cap) {
			r->cap = need * 2;
			r->buf = realloc(r->buf, r->cap);
			if (r->buf == NULL)
				exit(1);
		}
		memcpy(r->buf + r->len, &(size_t){ type }, sizeof(size_t));
		memcpy(r->buf + r->len + sizeof(size_t), &len, sizeof len);
		memcpy(r->buf + r->len + 2 * sizeof(size_t), data, len);
		r->len = need;
		r->count++;
		r->samples += type == 1;
		ring_release(ring);
	}
}

static void
recs_replay(const struct recs *r, struct ring *ring)
{
	size_t off = 0, type, len;

	while (off < r->len) {
		memcpy(&type, r->buf + off, sizeof type);
		memcpy(&len, r->buf + off + sizeof type, sizeof len);
		if (!ring_push(ring, (uint32_t)type, r->buf + off + 2 *
		    sizeof(size_t), len))
			fprintf(stderr, "bench-engine: replay ring full\n");
		off += 2 * sizeof(size_t) + len;
	}
}

/* One pass of the worker over the recorded samples. */
static void
worker_pass(struct worker *w, struct ring *ring, const struct recs *r,
    const char *label)
{
	struct source_summary before, after;
	double t0, wall, cpu;
	uint64_t n;

	worker_get_summary(w, &before);
	recs_replay(r, ring);
	t0 = now_s();
	worker_start(w);
	worker_stop(w);
	wall = now_s() - t0;
	worker_get_summary(w, &after);
	n = after.samples - before.samples;
	cpu = after.cpu_s;
	printf("worker %-5s %6llu samples  %8.1f us CPU/sample  %9.0f "
	    "samples/s sustained\n", label, (unsigned long long)n,
	    n ? 1e6 * cpu / n : 0.0, wall > 0 ? n / wall : 0.0);
}

int
main(int argc, char **argv)
{
	struct sampler_opts so = { .hz = 999, .mode = SAMPLER_MODE_CPU,
	    .backend = SAMPLER_BACKEND_PTRACE, .stack_size = 16384 };
	struct source_live_opts wo = { .hz = 999, .mode_name = "cpu",
	    .publish_s = 3600 };
	struct ring ring, replay;
	struct recs recs = { 0 };
	struct sampler *s;
	struct worker *w;
	uint64_t p50, p90, p99;
	double secs = 3;
	bool bare = false;
	char *cause = NULL;
	sigset_t set;
	pid_t pid;
	int c;

	while ((c = getopt(argc, argv, "+F:s:S:P:b")) != -1) {
		if (c == 'F')
			so.hz = wo.hz = (unsigned)atoi(optarg);
		else if (c == 'P')	/* Python frames: auto (default), off */
			so.python = strcmp(optarg, "off") == 0 ?
			    SAMPLER_PYTHON_OFF : SAMPLER_PYTHON_AUTO;
		else if (c == 's')
			secs = atof(optarg);
		else if (c == 'S')
			so.stack_size = (size_t)atoi(optarg);
		else if (c == 'b')
			bare = true;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench-engine [-F HZ] [-s SECS] "
		    "[-S STACK] [-P auto|off] [-b] -- "
		    "TARGET [ARGS...]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	usleep(300000);
	if (bare && bare_round_trips(pid, so.hz, secs) < 0) {
		kill(pid, SIGKILL);
		return 1;
	}
	if (ring_init(&ring, 1u << 30) < 0 || ring_init(&replay, 1u << 30) < 0)
		return 1;
	so.pid = wo.pid = pid;
	s = sampler_new(&so, &ring, &cause);
	if (s == NULL || sampler_start(s, &cause) < 0) {
		fprintf(stderr, "bench-engine: %s\n", cause);
		kill(pid, SIGKILL);
		return 1;
	}
	usleep((useconds_t)(secs * 1e6));
	sampler_stop(s);
	sampler_pause_percentiles(s, &p50, &p90, &p99);
	recs_take(&recs, &ring);
	printf("sampler %.0f Hz %.1f s: %zu samples; pause p50 %.1f us, p90 "
	    "%.1f us, p99 %.1f us\n", (double)so.hz, secs, recs.samples,
	    p50 / 1e3, p90 / 1e3, p99 / 1e3);
	w = worker_new(&replay, s, &wo, &cause);
	if (w == NULL)
		return 1;
	worker_pass(w, &replay, &recs, "cold");
	worker_pass(w, &replay, &recs, "warm");
	worker_free(w);
	sampler_free(s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ring_fini(&ring);
	ring_fini(&replay);
	free(recs.buf);
	return 0;
}
