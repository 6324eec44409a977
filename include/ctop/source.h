/* SPDX-License-Identifier: MIT */
/* source: what the UI and the batch printer draw from. A live source is the
 * worker (views of the profile it keeps current); a loaded source is a
 * folded file read once. The UI never touches a profile directly.
 * Thread: the functions are called from main; implementations synchronise
 * with their own threads. */
#ifndef CTOP_SOURCE_H
#define CTOP_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/profile.h"

struct source_status {
	bool live;		/* sampling (false: a loaded file) */
	pid_t pid;
	char comm[64];		/* process name, or the loaded file's name */
	const char *backend;	/* "ptrace", "perf", or "file" */
	const char *mode;	/* "cpu" or "wall" */
	unsigned hz_requested;
	double hz_achieved;	/* samples per second per busy thread */
	uint64_t samples;
	uint64_t dropped;	/* ring full + lost upstream */
	uint64_t unwind_failed;	/* stacks that did not reach their root */
	uint64_t truncated;	/* stacks cut short by the stack copy */
	uint32_t threads;
	double elapsed_s;
	bool target_exited;
	int exit_status;	/* wait status, -1 if unknown */
	char message[256];	/* latest notice or error, "" if none */
	char output_note[160];	/* e.g. where a launched command's output
				 * goes; "" if nothing to say */
	char python[48];	/* "python 3.12 99%" (share of samples with
				 * Python frames merged), "python off" (the
				 * message says why), "" when not Python */
};

struct source_ops {
	/* The newest view built for params (a new reference; the caller
	 * unrefs it), or NULL before the first one. A live source may return
	 * a view for older params while it builds the new one: compare
	 * view->params. */
	struct pview *(*view)(void *ctx, const struct pview_params *params);
	void (*status)(void *ctx, struct source_status *out);
	/* Zeroes the counts (live only; no-op for a file). */
	void (*reset)(void *ctx);
	/* Saves the stacks of view v through node as a new snapshot file.
	 * Returns 0 and sets *path, or -errno and sets *cause. */
	int (*save)(void *ctx, const struct pview *v, uint32_t node,
	    char **path, char **cause);
	/* Asks for a view built now rather than at the next period (live
	 * only; NULL for a file): view() returns it once it is built. */
	void (*refresh)(void *ctx);
};

struct source {
	const struct source_ops *ops;
	void *ctx;
};

#endif
