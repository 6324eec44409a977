/* SPDX-License-Identifier: MIT */
/* A live source without a target, for the TUI tests: a real profile that
 * grows by a fixed pattern as time passes (two named threads, 100 samples
 * per second each), driven through ui_run or batch_run exactly as the
 * program drives the worker. Lets the tests check pause, reset, threads,
 * windows, live stability and the bytes sent per second.
 * --burst A:B adds, from A to B seconds after the start, a "burst" stack
 * of worker-a as heavy as the other three (the rate doubles): a spike and
 * its cause for the header's sparkline.
 * --close makes two rows of the top table close, for their order: the
 * pattern at 1500 samples a tick, and worker-a's "alpha" and "beta", 1000
 * each, alpha ahead by 20 a tick after beta was for the first second
 * (0.18 points apart, below the half point of a young profile's margin,
 * over the noise margin of a settled one from about 3 s), and ahead or
 * behind by 500 more at alternate ticks, so that a fresh sort swaps the
 * two at every refresh around the second second.
 * Usage: fake-live [--batch N] [--ascii] [--no-color] [--delay S]
 *        [--duration S] [--burst A:B] [--close] */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctop/export.h"
#include "ctop/profile.h"
#include "ctop/source.h"
#include "ctop/ui.h"

struct fake {
	struct profile *p;
	struct pview *last;
	struct pview_params last_params;
	uint64_t start_ns, added_ns, samples, changes, last_changes;
	uint32_t st[2][5];	/* stacks of thread a and b */
	uint32_t burst;		/* its frame */
	double burst_from, burst_to;	/* seconds after the start */
	bool close;		/* --close: alpha and beta */
	uint32_t alpha, beta;	/* their frames */
	uint64_t ticks;
};

static volatile sig_atomic_t quit_flag;

static void
on_quit(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t
fn(struct fake *f, const char *name, const char *module)
{
	struct frame fr = { name, module, NULL, 0, FRAME_FUNC, 0, NULL };

	return profile_intern(f->p, &fr);
}

static bool
fake_bursting(const struct fake *f)
{
	double at = (double)(f->added_ns - f->start_ns) / 1e9;

	return at >= f->burst_from && at < f->burst_to;
}

/* --close: alpha and beta's samples of one tick (see the top). */
static void
fake_close(struct fake *f)
{
	uint32_t alpha[] = { f->st[0][0], f->st[0][1], f->st[0][2], f->alpha };
	uint32_t beta[] = { f->st[0][0], f->st[0][1], f->st[0][2], f->beta };
	bool first = f->ticks < 100, odd = f->ticks & 1;
	uint64_t a = 1000 + (first ? 0 : 20) + (odd ? 500 : 0);
	uint64_t b = 1000 + (first ? 20 : 0) + (odd ? 0 : 500);

	profile_add(f->p, 101, f->added_ns, alpha, 4, a);
	profile_add(f->p, 101, f->added_ns, beta, 4, b);
	f->samples += a + b;
	f->ticks++;
}

/* Every 10 ms: worker-a runs hot (3) and warm (1); worker-b waits (2). */
static void
fake_advance(struct fake *f)
{
	uint64_t now = mono_ns();
	uint32_t a_hot[] = { f->st[0][0], f->st[0][1], f->st[0][2], f->st[0][3] };
	uint32_t a_warm[] = { f->st[0][0], f->st[0][1], f->st[0][2],
	    f->st[0][4] };
	uint32_t b_wait[] = { f->st[1][0], f->st[1][1], f->st[1][2],
	    f->st[1][3] };

	uint64_t k = f->close ? 1500 : 1;

	while (f->added_ns + 10000000u <= now) {
		f->added_ns += 10000000u;
		profile_add(f->p, 101, f->added_ns, a_hot, 4, 3 * k);
		profile_add(f->p, 101, f->added_ns, a_warm, 4, k);
		profile_add(f->p, 102, f->added_ns, b_wait, 4, 2 * k);
		f->samples += 6 * k;
		if (f->close)
			fake_close(f);
		if (fake_bursting(f)) {
			uint32_t burst[] = { f->st[0][0], f->st[0][1],
			    f->st[0][2], f->burst };

			profile_add(f->p, 101, f->added_ns, burst, 4, 6);
			f->samples += 6;
		}
		f->changes++;
	}
}

static struct pview *
fake_view(void *ctx, const struct pview_params *params)
{
	struct fake *f = ctx;

	fake_advance(f);
	if (f->last && f->last_changes == f->changes &&
	    f->last_params.tid == params->tid &&
	    f->last_params.window_s == params->window_s)
		return pview_ref(f->last);
	pview_unref(f->last);
	f->last = profile_view(f->p, params, f->added_ns);
	f->last_params = *params;
	f->last_changes = f->changes;
	return pview_ref(f->last);
}

static void
fake_status(void *ctx, struct source_status *out)
{
	struct fake *f = ctx;

	fake_advance(f);
	memset(out, 0, sizeof *out);
	out->live = true;
	out->pid = 4242;
	snprintf(out->comm, sizeof out->comm, "fake-target");
	out->backend = "ptrace";
	out->mode = "cpu";
	out->hz_requested = 100;
	out->hz_achieved = 100.0;
	out->samples = f->samples;
	out->threads = 2;
	out->elapsed_s = (double)(mono_ns() - f->start_ns) / 1e9;
	out->exit_status = -1;
	snprintf(out->output_note, sizeof out->output_note,
	    "target output: ctop-prof-4242.out");
}

static void
fake_reset(void *ctx)
{
	struct fake *f = ctx;

	profile_reset(f->p);
	f->samples = 0;
	f->changes++;
}

static int
fake_save(void *ctx, const struct pview *v, uint32_t node, char **path,
    char **cause)
{
	(void)ctx;
	return export_write_new(".", "ctop-prof-4242-test", EXPORT_FOLDED, v,
	    node, path, cause);
}

static const struct source_ops fake_ops = {
	.view = fake_view, .status = fake_status, .reset = fake_reset,
	.save = fake_save,
};

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	f->p = profile_new(&(struct profile_limits){ .window_s = 60 });
	f->st[0][0] = f->st[1][0] = fn(f, "fake-target", NULL);
	f->st[0][1] = f->st[1][1] = fn(f, "main", "fake-target");
	f->st[0][2] = fn(f, "run", "fake-target");
	f->st[0][3] = fn(f, "hot", "libhot.so");
	f->st[0][4] = fn(f, "warm", "libhot.so");
	f->st[1][2] = fn(f, "io", "fake-target");
	f->st[1][3] = fn(f, "wait", "libc.so.6");
	f->burst = fn(f, "burst", "libhot.so");
	f->alpha = fn(f, "alpha", "libhot.so");
	f->beta = fn(f, "beta", "libhot.so");
	profile_set_thread_name(f->p, 101, "worker-a");
	profile_set_thread_name(f->p, 102, "worker-b");
	f->start_ns = f->added_ns = mono_ns();
}

int
main(int argc, char **argv)
{
	struct ui_opts uo = { .delay_s = 1.0 };
	struct batch_opts bo = { 1.0, 0, 0, 10, NULL, NULL, -1, NULL };
	struct ui_signals sig = { .quit = &quit_flag };
	struct fake f;
	struct source src = { &fake_ops, &f };
	char *cause = NULL;
	long batch = -1;
	const char *burst = NULL;
	bool close_rows = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = atol(argv[++i]);
		else if (!strcmp(argv[i], "--ascii"))
			uo.ascii = true;
		else if (!strcmp(argv[i], "--no-color"))
			uo.no_color = true;
		else if (!strcmp(argv[i], "--delay") && i + 1 < argc)
			uo.delay_s = bo.delay_s = atof(argv[++i]);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			uo.duration_s = bo.duration_s = atof(argv[++i]);
		else if (!strcmp(argv[i], "--burst") && i + 1 < argc)
			burst = argv[++i];
		else if (!strcmp(argv[i], "--close"))
			close_rows = true;
	}
	signal(SIGINT, on_quit);
	signal(SIGTERM, on_quit);
	signal(SIGHUP, on_quit);
	fake_init(&f);
	f.close = close_rows;
	if (burst && sscanf(burst, "%lf:%lf", &f.burst_from, &f.burst_to) != 2)
		return 2;
	if (batch >= 0) {
		bo.iterations = batch;
		rc = batch_run(&src, &bo, &sig, stdout);
	} else {
		rc = ui_run(&src, &uo, &sig, &cause);
		if (rc < 0)
			fprintf(stderr, "fake-live: %s\n", cause);
	}
	free(cause);
	pview_unref(f.last);
	profile_free(f.p);
	return rc < 0 ? 1 : 0;
}
