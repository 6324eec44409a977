/* SPDX-License-Identifier: MIT */
/* options: the command line of ctop-prof (interface.md), parsed with
 * getopt_long into one struct. Thread: main. */
#ifndef CTOP_OPTIONS_H
#define CTOP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctop/sampler.h"

enum unwind_choice {
	UNWIND_CHOICE_AUTO,
	UNWIND_CHOICE_DWARF,
	UNWIND_CHOICE_FP,
};

struct options {
	pid_t pid;			/* -p; 0 when launching or loading */
	bool all;			/* -a: every process on every CPU */
	char **command;			/* after --; NULL when attaching */
	const char *load;		/* --load FILE */
	unsigned hz;			/* -F, per thread */
	double delay_s;			/* -d */
	double duration_s;		/* --duration, 0 = unlimited */
	const char *output;		/* -o */
	const char *format;		/* --format, NULL = from extension */
	bool batch;			/* -b */
	long iterations;		/* -n, 0 = unlimited */
	enum sampler_mode mode;
	enum sampler_backend backend;
	enum unwind_choice unwind;
	size_t stack_size;		/* auto: the first size (perf), the
					 * size (ptrace) */
	bool stack_auto;		/* --stack-size auto */
	double max_overhead_pct;	/* --max-overhead; 0: no budget */
	const char *snapshot_dir;	/* NULL = working directory */
	bool debuginfod;
	const char *debug_cache;	/* --debug-cache DIR or "off"; NULL:
					 * the default place */
	bool ascii;
	bool no_color;
	int verbose;
	const char *log;
	bool children;
	double checkpoint_s;		/* --checkpoint, 0 = none */
	const char *command_output;	/* --command-output FILE */
	enum sampler_python python;	/* --python */
	bool check;			/* --check: the permission doctor */
	bool pick;			/* no target: the process picker */
	bool svg_icicle;		/* --svg-icicle */
	const char *snapshot_format;	/* --snapshot-format, NULL = folded */
	const char *push;		/* --push URL, NULL = none */
	unsigned push_interval_s;	/* --push-interval (10) */
	unsigned push_queue;		/* --push-queue (60) */
	const char *app;		/* --app, NULL = the target's comm */
	const char *tags[32];		/* --tag KEY=VALUE (checked) */
	size_t n_tags;
	bool no_tables;			/* -n 0 (with --push): headless */
	const char *baseline;		/* --baseline FILE, --diff's BEFORE */
	bool diff;			/* --diff BEFORE AFTER (load = AFTER) */
	double fail_above;		/* --fail-above PCT; < 0 = none */
	const char *source_paths[16];	/* --source-path OLD=NEW */
	size_t n_source_paths;
};

enum options_result {
	OPTIONS_RUN,		/* parsed: go on */
	OPTIONS_EXIT_OK,	/* --help or --version was printed */
	OPTIONS_USAGE,		/* bad usage: *cause says why; exit 2 */
};

/* Parses argv into o (defaults first). On OPTIONS_USAGE sets *cause to a
 * one-line message (caller frees). --help and --version print to stdout. */
enum options_result options_parse(int argc, char **argv, struct options *o,
    char **cause);

/* The --help text. */
void options_usage(FILE *out);

const char *options_mode_name(enum sampler_mode m);

#endif
