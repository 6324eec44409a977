/* SPDX-License-Identifier: MIT */
/* Command-line parsing: every option of the interface contract, checked
 * here so that a bad value is a usage error (exit 2) before anything runs. */
#include "config.h"

#include "ctop/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/push.h"

enum long_only {
	OPT_DURATION = 256,
	OPT_FORMAT,
	OPT_LOAD,
	OPT_MODE,
	OPT_BACKEND,
	OPT_UNWIND,
	OPT_STACK_SIZE,
	OPT_SNAPSHOT_DIR,
	OPT_DEBUGINFOD,
	OPT_DEBUG_CACHE,
	OPT_ASCII,
	OPT_NO_COLOR,
	OPT_LOG,
	OPT_CHILDREN,
	OPT_CHECKPOINT,
	OPT_COMMAND_OUTPUT,
	OPT_PYTHON,
	OPT_CHECK,
	OPT_SVG_ICICLE,
	OPT_SNAPSHOT_FORMAT,
	OPT_PUSH,
	OPT_PUSH_INTERVAL,
	OPT_PUSH_QUEUE,
	OPT_APP,
	OPT_TAG,
	OPT_MAX_OVERHEAD,
	OPT_BASELINE,
	OPT_DIFF,
	OPT_FAIL_ABOVE,
	OPT_SOURCE_PATH,
};

static const struct option long_options[] = {
	{ "all",		no_argument,	   NULL, 'a' },
	{ "pid",		required_argument, NULL, 'p' },
	{ "frequency",		required_argument, NULL, 'F' },
	{ "delay",		required_argument, NULL, 'd' },
	{ "duration",		required_argument, NULL, OPT_DURATION },
	{ "output",		required_argument, NULL, 'o' },
	{ "format",		required_argument, NULL, OPT_FORMAT },
	{ "load",		required_argument, NULL, OPT_LOAD },
	{ "batch",		no_argument,	   NULL, 'b' },
	{ "iterations",		required_argument, NULL, 'n' },
	{ "mode",		required_argument, NULL, OPT_MODE },
	{ "backend",		required_argument, NULL, OPT_BACKEND },
	{ "unwind",		required_argument, NULL, OPT_UNWIND },
	{ "stack-size",		required_argument, NULL, OPT_STACK_SIZE },
	{ "max-overhead",	required_argument, NULL, OPT_MAX_OVERHEAD },
	{ "snapshot-dir",	required_argument, NULL, OPT_SNAPSHOT_DIR },
	{ "debuginfod",		no_argument,	   NULL, OPT_DEBUGINFOD },
	{ "debug-cache",	required_argument, NULL, OPT_DEBUG_CACHE },
	{ "ascii",		no_argument,	   NULL, OPT_ASCII },
	{ "no-color",		no_argument,	   NULL, OPT_NO_COLOR },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "children",		no_argument,	   NULL, OPT_CHILDREN },
	{ "checkpoint",		required_argument, NULL, OPT_CHECKPOINT },
	{ "command-output",	required_argument, NULL, OPT_COMMAND_OUTPUT },
	{ "python",		required_argument, NULL, OPT_PYTHON },
	{ "check",		no_argument,	   NULL, OPT_CHECK },
	{ "svg-icicle",		no_argument,	   NULL, OPT_SVG_ICICLE },
	{ "snapshot-format",	required_argument, NULL, OPT_SNAPSHOT_FORMAT },
	{ "push",		required_argument, NULL, OPT_PUSH },
	{ "push-interval",	required_argument, NULL, OPT_PUSH_INTERVAL },
	{ "push-queue",		required_argument, NULL, OPT_PUSH_QUEUE },
	{ "app",		required_argument, NULL, OPT_APP },
	{ "tag",		required_argument, NULL, OPT_TAG },
	{ "baseline",		required_argument, NULL, OPT_BASELINE },
	{ "diff",		required_argument, NULL, OPT_DIFF },
	{ "fail-above",		required_argument, NULL, OPT_FAIL_ABOVE },
	{ "source-path",	required_argument, NULL, OPT_SOURCE_PATH },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* The snapshot formats (export's list). */
static bool
known_format(const char *s)
{
	return strcmp(s, "folded") == 0 || strcmp(s, "speedscope") == 0 ||
	    strcmp(s, "pprof") == 0 || strcmp(s, "svg") == 0;
}

void
options_usage(FILE *out)
{
	fputs(
"Usage: ctop-prof [OPTIONS]                     pick a process from a list\n"
"       ctop-prof [OPTIONS] -p PID              attach to a running process\n"
"       ctop-prof [OPTIONS] -- COMMAND [ARG...] launch COMMAND and profile it\n"
"       ctop-prof [OPTIONS] -a                  every process on every CPU\n"
"       ctop-prof [OPTIONS] --load FILE         open a saved snapshot\n"
"       ctop-prof [OPTIONS] --diff BEFORE AFTER compare two saved snapshots\n"
"       ctop-prof --check [PID]                 what may be profiled, and fixes\n"
"\n"
"A live, top-like sampling profiler. Without --output or --batch it shows a\n"
"live view in the terminal; press ? there for the keys.\n"
"\n"
"  -p, --pid PID            attach to PID (all its threads, also new ones)\n"
"  -a, --all                the whole machine: every process on every CPU,\n"
"                           each under its own \"PID comm\" frame (perf\n"
"                           backend; root, CAP_PERFMON or\n"
"                           perf_event_paranoid <= 0)\n"
"  -F, --frequency HZ       samples per second per thread, 1-10000 (99)\n"
"  -d, --delay SECS         refresh interval of the UI or batch tables (1.0)\n"
"      --duration SECS      stop after SECS (default: until quit or exit)\n"
"  -o, --output FILE        record without a UI; write a snapshot to FILE\n"
"                           (- = stdout; a device or FIFO is written through)\n"
"      --checkpoint SECS    while recording, replace FILE with the profile so\n"
"                           far every SECS (60; 0 = only at the end)\n"
"      --format FMT         snapshot format: folded, pprof, speedscope or svg\n"
"                           (default from FILE's extension: .pb.gz, .pprof =\n"
"                           pprof; .speedscope.json, .json = speedscope;\n"
"                           .svg = svg)\n"
"      --svg-icicle         an SVG flame graph with the root at the top\n"
"      --load FILE          read a snapshot instead of sampling: folded,\n"
"                           pprof, speedscope or perf script text, told by\n"
"                           its content (- = stdin; the TUI then takes\n"
"                           keys from /dev/tty); with --output FILE2:\n"
"                           convert it to FILE2 and exit\n"
"      --baseline FILE      diff against the snapshot FILE (any format\n"
"                           --load reads): the table gets the change of\n"
"                           each share in points, the trees red (grew),\n"
"                           blue (shrank), grey (same); b and B keys too\n"
"      --diff BEFORE AFTER  open snapshot AFTER diffed against BEFORE\n"
"                           (--load AFTER --baseline BEFORE)\n"
"      --fail-above PCT     with a baseline, batch: exit 3 when a function's\n"
"                           self share grew by more than PCT points, naming\n"
"                           it on stderr (a regression gate for CI)\n"
"  -b, --batch              no UI: print the top table every -d seconds\n"
"  -n, --iterations N       with --batch: stop after N tables\n"
"      --mode cpu|wall      cpu: running threads only; wall: every thread (cpu)\n"
"      --backend auto|perf|ptrace  capture mechanism (auto: perf, or ptrace\n"
"                           for --mode wall and CPython targets)\n"
"      --unwind auto|dwarf|fp      unwinding method (auto)\n"
"      --python auto|on|off  Python functions in the stacks of a CPython\n"
"                           3.11+ process, and of --children's (auto: when it\n"
"                           is one; off: never)\n"
"      --stack-size auto|BYTES  stack bytes copied per sample, 4096-65528,\n"
"                           or auto: perf copies what the walks need (from\n"
"                           32768, deep stacks split; ptrace: 16384)\n"
"      --max-overhead PCT|auto  keep the profiler's cost to the target under\n"
"                           PCT% of its CPU time (0.1-50; auto: 1) by\n"
"                           lowering the rate, never under 1 Hz (off)\n"
"      --snapshot-dir DIR   where the s key writes (working directory)\n"
"      --source-path OLD=NEW  read sources under OLD from NEW (L key;\n"
"                           repeatable)\n"
"      --snapshot-format FMT  what the s key writes: folded, pprof,\n"
"                           speedscope or svg (folded)\n"
"      --debuginfod         allow debuginfod downloads (network; off)\n"
"      --debug-cache DIR|off  keep decompressed copies of compressed debug\n"
"                           files, and the kernel's symbol table, in DIR\n"
"                           between runs, or none\n"
"                           ($XDG_CACHE_HOME/ctop-prof/debug, else\n"
"                           ~/.cache/ctop-prof/debug)\n"
"      --ascii              draw with ASCII only\n"
"      --no-color           no colours (also NO_COLOR)\n"
"  -v, --verbose            more diagnostics\n"
"      --log FILE           diagnostics to FILE (appended; a new one is 0600)\n"
"      --command-output FILE  a launched command's stdout and stderr go to\n"
"                           FILE (under the live view: a new private file\n"
"                           ctop-prof-PID-XXXXXX.out in $XDG_RUNTIME_DIR or\n"
"                           the working directory)\n"
"      --children           also sample every process the target forks, and\n"
"                           its descendants at attach (both backends; ptrace:\n"
"                           traced from their fork, run at once)\n"
"      --check [PID]        the permission doctor: the kernel's gates, which\n"
"                           backend would run on PID (or a launched command),\n"
"                           what each module gives for naming, and the\n"
"                           least-privilege fix; exit 0 when it would work\n"
"      --push URL           send each interval's profile to a Grafana\n"
"                           Pyroscope server (POST URL/ingest); without a\n"
"                           terminal (or with --batch -n 0) run headless as\n"
"                           an agent until the target exits or SIGTERM\n"
"      --push-interval S    seconds per pushed interval, 1-3600 (10)\n"
"      --push-queue N       intervals kept while the server is away, 1-100000\n"
"                           (60; the oldest is dropped, and counted)\n"
"      --app NAME           app name on the server (the target's name);\n"
"                           .cpu is appended\n"
"      --tag KEY=VALUE      a label of every push (repeatable); hostname,\n"
"                           pid and backend are added\n"
"  -h, --help               this help\n"
"  -V, --version            version\n"
"\n"
"Keys of the live view (press ? there for what each does):\n"
"  t i f Up Down Left Right h j k l PgUp PgDn Home End Enter Esc Backspace u\n"
"  / n N 1 2 3 4 5 < > T P space r c w b B s L p ? q\n"
"\n"
"Environment for --push (never on the command line, where ps shows it):\n"
"  CTOP_PUSH_TOKEN (Authorization: Bearer), CTOP_PUSH_USER and\n"
"  CTOP_PUSH_PASSWORD (basic auth), CTOP_PUSH_TENANT (X-Scope-OrgID).\n"
"\n"
"Exit status: attach and --load: 0 success, 1 runtime failure, 2 usage\n"
"error, 3 a function grew past --fail-above. Launch: the command's status\n"
"(128+N if killed by signal N), 2 usage error, 125 other failure, 126\n"
"command not executable, 127 not found.\n",
	    out);
}

const char *
options_mode_name(enum sampler_mode m)
{
	return m == SAMPLER_MODE_WALL ? "wall" : "cpu";
}

static enum options_result
usage_error(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return OPTIONS_USAGE;
}

/* Parses a whole decimal integer in [lo, hi]. */
static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Parses a positive number of seconds (fractions allowed) in (0, hi]. */
static int
parse_seconds(const char *s, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* --max-overhead: "auto" (1) or a percentage in [0.1, 50], with or
 * without its %. */
static int
parse_percent(const char *s, double *out)
{
	char *end;
	double v;

	if (strcmp(s, "auto") == 0) {
		*out = 1.0;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.1) || v > 50)
		return -1;
	*out = v;
	return 0;
}

static void
options_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->hz = 99;
	o->delay_s = 1.0;
	o->mode = SAMPLER_MODE_CPU;
	o->backend = SAMPLER_BACKEND_AUTO;
	o->python = SAMPLER_PYTHON_AUTO;
	o->unwind = UNWIND_CHOICE_AUTO;
	o->stack_size = 16384;
	o->checkpoint_s = 60;
	o->push_interval_s = 10;
	o->push_queue = 60;
	o->fail_above = -1;
}

/* Applies one option; returns OPTIONS_RUN or an error/exit result. */
static enum options_result
options_apply(int c, const char *arg, struct options *o, char **cause)
{
	long v;

	switch (c) {
	case 'a':
		o->all = true;
		break;
	case 'p':
		if (parse_long(arg, 1, INT_MAX, &v) < 0)
			return usage_error(cause, "bad pid '%s': need a "
			    "positive process id", arg);
		o->pid = (pid_t)v;
		break;
	case 'F':
		if (parse_long(arg, 1, 10000, &v) < 0)
			return usage_error(cause, "bad frequency '%s': need "
			    "1 to 10000 samples per second", arg);
		o->hz = (unsigned)v;
		break;
	case 'd':
		if (parse_seconds(arg, 3600, &o->delay_s) < 0 ||
		    o->delay_s < 0.05)
			return usage_error(cause, "bad delay '%s': need 0.05 "
			    "to 3600 seconds", arg);
		break;
	case OPT_DURATION:
		if (parse_seconds(arg, 1e7, &o->duration_s) < 0)
			return usage_error(cause, "bad duration '%s': need a "
			    "positive number of seconds", arg);
		break;
	case 'o':
		if (*arg == '\0')
			return usage_error(cause, "empty --output file name");
		o->output = arg;
		break;
	case OPT_FORMAT:
		if (!known_format(arg))
			return usage_error(cause, "bad format '%s': need "
			    "folded, speedscope, pprof or svg", arg);
		o->format = arg;
		break;
	case OPT_LOAD:
		o->load = arg;
		break;
	case 'b':
		o->batch = true;
		break;
	case 'n':
		/* -n 0: no tables at all (a headless --push agent). */
		if (strcmp(arg, "0") == 0) {
			o->no_tables = true;
			break;
		}
		if (parse_long(arg, 1, LONG_MAX, &v) < 0)
			return usage_error(cause, "bad iteration count '%s': "
			    "need a positive number", arg);
		o->iterations = v;
		break;
	case OPT_MODE:
		if (strcmp(arg, "cpu") == 0)
			o->mode = SAMPLER_MODE_CPU;
		else if (strcmp(arg, "wall") == 0)
			o->mode = SAMPLER_MODE_WALL;
		else
			return usage_error(cause, "bad mode '%s': need cpu "
			    "or wall", arg);
		break;
	case OPT_BACKEND:
		if (strcmp(arg, "auto") == 0)
			o->backend = SAMPLER_BACKEND_AUTO;
		else if (strcmp(arg, "perf") == 0)
			o->backend = SAMPLER_BACKEND_PERF;
		else if (strcmp(arg, "ptrace") == 0)
			o->backend = SAMPLER_BACKEND_PTRACE;
		else
			return usage_error(cause, "bad backend '%s': need "
			    "auto, perf or ptrace", arg);
		break;
	case OPT_UNWIND:
		if (strcmp(arg, "auto") == 0)
			o->unwind = UNWIND_CHOICE_AUTO;
		else if (strcmp(arg, "dwarf") == 0)
			o->unwind = UNWIND_CHOICE_DWARF;
		else if (strcmp(arg, "fp") == 0)
			o->unwind = UNWIND_CHOICE_FP;
		else
			return usage_error(cause, "bad unwind method '%s': "
			    "need auto, dwarf or fp", arg);
		break;
	case OPT_PYTHON:
		if (strcmp(arg, "auto") == 0)
			o->python = SAMPLER_PYTHON_AUTO;
		else if (strcmp(arg, "on") == 0)
			o->python = SAMPLER_PYTHON_ON;
		else if (strcmp(arg, "off") == 0)
			o->python = SAMPLER_PYTHON_OFF;
		else
			return usage_error(cause, "bad python choice '%s': "
			    "need auto, on or off", arg);
		break;
	case OPT_STACK_SIZE:
		if ((o->stack_auto = strcmp(arg, "auto") == 0)) {
			o->stack_size = 16384;
			break;
		}
		if (parse_long(arg, 4096, 65528, &v) < 0 || v % 8 != 0)
			return usage_error(cause, "bad stack size '%s': need "
			    "auto or a multiple of 8 from 4096 to 65528", arg);
		o->stack_size = (size_t)v;
		break;
	case OPT_MAX_OVERHEAD:
		if (parse_percent(arg, &o->max_overhead_pct) < 0)
			return usage_error(cause, "bad overhead budget '%s': "
			    "need a percentage from 0.1 to 50, or auto (1)",
			    arg);
		break;
	case OPT_SNAPSHOT_DIR:
		o->snapshot_dir = arg;
		break;
	case OPT_DEBUGINFOD:
		o->debuginfod = true;
		break;
	case OPT_DEBUG_CACHE:
		if (arg[0] == '\0')
			return usage_error(cause, "empty --debug-cache: need a "
			    "directory, or off");
		o->debug_cache = arg;
		break;
	case OPT_ASCII:
		o->ascii = true;
		break;
	case OPT_NO_COLOR:
		o->no_color = true;
		break;
	case 'v':
		o->verbose++;
		break;
	case OPT_LOG:
		o->log = arg;
		break;
	case OPT_CHILDREN:
		o->children = true;
		break;
	case OPT_CHECK:
		o->check = true;
		break;
	case OPT_COMMAND_OUTPUT:
		if (*arg == '\0' || strcmp(arg, "-") == 0)
			return usage_error(cause, "bad --command-output '%s': "
			    "give a file name", arg);
		o->command_output = arg;
		break;
	case OPT_SVG_ICICLE:
		o->svg_icicle = true;
		break;
	case OPT_SNAPSHOT_FORMAT:
		if (!known_format(arg))
			return usage_error(cause, "bad --snapshot-format '%s': "
			    "need folded, speedscope, pprof or svg", arg);
		o->snapshot_format = arg;
		break;
	case OPT_CHECKPOINT:
		/* 0 (any spelling) disables; else at least 0.1 s, as each
		 * checkpoint writes the whole profile. */
		if (parse_seconds(arg, 1e7, &o->checkpoint_s) < 0) {
			char *end;

			if (*arg == '\0' || strtod(arg, &end) != 0 || *end)
				return usage_error(cause, "bad checkpoint "
				    "interval '%s': need 0.1 to 10000000 "
				    "seconds, or 0 for none", arg);
			o->checkpoint_s = 0;
		} else if (o->checkpoint_s < 0.1) {
			return usage_error(cause, "bad checkpoint interval "
			    "'%s': need 0.1 to 10000000 seconds, or 0 for "
			    "none", arg);
		}
		break;
	case OPT_PUSH:
		o->push = arg;
		break;
	case OPT_PUSH_INTERVAL:
		if (parse_long(arg, 1, 3600, &v) < 0)
			return usage_error(cause, "bad push interval '%s': "
			    "need 1 to 3600 whole seconds", arg);
		o->push_interval_s = (unsigned)v;
		break;
	case OPT_PUSH_QUEUE:
		if (parse_long(arg, 1, 100000, &v) < 0)
			return usage_error(cause, "bad push queue '%s': need "
			    "1 to 100000 intervals", arg);
		o->push_queue = (unsigned)v;
		break;
	case OPT_APP:
		o->app = arg;
		break;
	case OPT_TAG:
		if (o->n_tags == sizeof o->tags / sizeof o->tags[0])
			return usage_error(cause, "too many --tag: at most %zu",
			    sizeof o->tags / sizeof o->tags[0]);
		o->tags[o->n_tags++] = arg;
		break;
	case OPT_BASELINE:
		if (o->baseline != NULL)
			return usage_error(cause, "give one baseline: "
			    "--baseline FILE or --diff BEFORE AFTER");
		o->baseline = arg;
		break;
	case OPT_FAIL_ABOVE: {
		char *end;

		errno = 0;
		o->fail_above = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' ||
		    !(o->fail_above >= 0) || o->fail_above > 100)
			return usage_error(cause, "bad --fail-above '%s': need "
			    "0 to 100 percentage points", arg);
		break;
	}
	case OPT_SOURCE_PATH:
		if (!strchr(arg, '=') || arg[0] == '=' || !strchr(arg, '=')[1])
			return usage_error(cause, "bad --source-path '%s': need "
			    "OLD=NEW (the build directory, then where the "
			    "sources are now)", arg);
		if (o->n_source_paths == sizeof o->source_paths /
		    sizeof o->source_paths[0])
			return usage_error(cause, "too many --source-path: at "
			    "most %zu", sizeof o->source_paths /
			    sizeof o->source_paths[0]);
		o->source_paths[o->n_source_paths++] = arg;
		break;
	case 'h':
		options_usage(stdout);
		return OPTIONS_EXIT_OK;
	case 'V':
		printf("%s\n", PACKAGE_STRING);
		return OPTIONS_EXIT_OK;
	default:
		return usage_error(cause, "unknown option (see --help)");
	}
	return OPTIONS_RUN;
}

/* The --push URL, --app and every --tag, in Pyroscope's syntax. */
static enum options_result
options_check_push(const struct options *o, char **cause)
{
	char app[128];
	size_t i;

	if (o->push == NULL)
		return OPTIONS_RUN;
	if (push_check_url(o->push, cause) < 0)
		return OPTIONS_USAGE;
	for (i = 0; i < o->n_tags; i++)
		if (push_check_tag(o->tags[i], cause) < 0)
			return OPTIONS_USAGE;
	if (o->app != NULL) {
		push_app_from_comm(o->app, app, sizeof app);
		if (strcmp(app, o->app) != 0)
			return usage_error(cause, "bad --app '%s': need 1 to "
			    "127 of letters, digits and _ . : / -", o->app);
	}
	return OPTIONS_RUN;
}

static enum options_result options_check_baseline(struct options *o,
    char **cause);

/* -a samples the machine with CPU-wide perf events: no target to attach
 * to or launch, nothing blocked to see (wall), no per-target budget, and
 * --children is what it does already. */
static enum options_result
options_check_all(const struct options *o, int sources, char **cause)
{
	if (sources > 0)
		return usage_error(cause, "-a samples every process: not with "
		    "-p PID, -- COMMAND or --load FILE");
	if (o->backend == SAMPLER_BACKEND_PTRACE)
		return usage_error(cause, "-a needs the perf backend "
		    "(CPU-wide events): not with --backend ptrace");
	if (o->mode == SAMPLER_MODE_WALL)
		return usage_error(cause, "-a samples what runs on each CPU: "
		    "not with --mode wall");
	if (o->children)
		return usage_error(cause, "-a follows every process already: "
		    "not with --children");
	if (o->max_overhead_pct > 0)
		return usage_error(cause, "--max-overhead budgets one target's "
		    "CPU time: not with -a");
	if (o->python == SAMPLER_PYTHON_ON)
		return usage_error(cause, "--python on reads one target's "
		    "Python frames: not with -a");
	if (o->push != NULL)
		return usage_error(cause, "--push labels one target's profile: "
		    "not with -a");
	return OPTIONS_RUN;
}

/* Checks combinations once every option is known. */
static enum options_result
options_check(struct options *o, char **cause)
{
	int sources = (o->pid != 0) + (o->command != NULL) + (o->load != NULL);
	enum options_result r;

	if (o->check && (o->command != NULL || o->load != NULL))
		return usage_error(cause, "--check takes a PID or nothing (a "
		    "launched command's needs), not a command or --load");
	if (o->check)
		return OPTIONS_RUN;
	if (o->all && (r = options_check_all(o, sources, cause)) != OPTIONS_RUN)
		return r;
	sources += o->all;
	/* No target: the process picker, on a terminal (main checks). */
	if (sources == 0 && !o->batch && o->output == NULL &&
	    o->iterations == 0) {
		o->pick = true;
		return OPTIONS_RUN;
	}
	if (sources == 0)
		return usage_error(cause, "nothing to profile: give -p PID, "
		    "-- COMMAND, or --load FILE (see --help)");
	if (sources > 1)
		return usage_error(cause, "give only one of -p PID, "
		    "-- COMMAND and --load FILE");
	if (o->backend == SAMPLER_BACKEND_PERF && o->mode == SAMPLER_MODE_WALL)
		return usage_error(cause, "--backend perf cannot sample "
		    "blocked threads: use --mode wall with --backend ptrace "
		    "or auto");
	if (o->max_overhead_pct > 0 && o->load != NULL)
		return usage_error(cause, "--max-overhead is for sampling; "
		    "it cannot be combined with --load");
	if (o->iterations != 0 && !o->batch && o->output == NULL)
		o->batch = true;	/* -n only means something in batch */
	if (o->children && o->load != NULL)
		return usage_error(cause, "--children is for sampling; it "
		    "cannot be combined with --load");
	if (o->no_tables && o->push == NULL)
		return usage_error(cause, "-n 0 (no tables) is for a headless "
		    "--push agent: give --push URL, or a positive -n");
	if (o->push != NULL && o->load != NULL)
		return usage_error(cause, "--push sends a live profile; it "
		    "cannot be combined with --load");
	if (o->push == NULL && (o->app != NULL || o->n_tags > 0))
		return usage_error(cause, "--app and --tag label pushed "
		    "profiles: give --push URL too");
	if (o->command_output != NULL && o->command == NULL)
		return usage_error(cause, "--command-output is for a command "
		    "started with -- COMMAND");
	if (options_check_baseline(o, cause) != OPTIONS_RUN)
		return OPTIONS_USAGE;
	return options_check_push(o, cause);
}

/* --diff BEFORE AFTER: AFTER is the next word, taken here (getopt stops
 * at the first non-option, and options may follow AFTER). */
static enum options_result
options_diff(int argc, char **argv, const char *before, struct options *o,
    char **cause)
{
	const char *after = optind < argc ? argv[optind] : NULL;

	if (after == NULL || (after[0] == '-' && after[1] != '\0'))
		return usage_error(cause, "--diff needs two snapshots: "
		    "--diff BEFORE AFTER");
	if (o->baseline != NULL || o->load != NULL)
		return usage_error(cause, "--diff BEFORE AFTER names both "
		    "snapshots: not with --baseline or --load");
	optind++;
	o->baseline = before;
	o->load = after;
	o->diff = true;
	return OPTIONS_RUN;
}

/* A baseline is compared in the live view or batch tables. */
static enum options_result
options_check_baseline(struct options *o, char **cause)
{
	if (o->fail_above >= 0 && o->baseline == NULL)
		return usage_error(cause, "--fail-above needs a baseline: "
		    "--diff BEFORE AFTER or --baseline FILE");
	if (o->baseline == NULL)
		return OPTIONS_RUN;
	if (o->output != NULL || o->push != NULL)
		return usage_error(cause, "--baseline and --diff compare in "
		    "the live view or batch tables: not with --output or "
		    "--push");
	if (o->load != NULL && strcmp(o->load, "-") == 0 &&
	    strcmp(o->baseline, "-") == 0)
		return usage_error(cause, "only one snapshot can come from "
		    "standard input");
	if (o->fail_above >= 0)
		o->batch = true;	/* a verdict, not a view */
	return OPTIONS_RUN;
}

enum options_result
options_parse(int argc, char **argv, struct options *o, char **cause)
{
	enum options_result r;
	int c;

	*cause = NULL;
	options_defaults(o);
	opterr = 0;
	optind = 1;
	/* "+" stops at the first non-option, so COMMAND's own options are
	 * never taken for ours. */
	while ((c = getopt_long(argc, argv, "+:ap:F:d:o:bn:vhV", long_options,
	    NULL)) != -1) {
		if (c == ':')
			return usage_error(cause, "missing value for %s (see "
			    "--help)", argv[optind - 1]);
		if (c == '?')
			return usage_error(cause, "unknown option '%s' (see "
			    "--help)", argv[optind - 1]);
		if (c == OPT_DIFF)
			r = options_diff(argc, argv, optarg, o, cause);
		else
			r = options_apply(c, optarg, o, cause);
		if (r != OPTIONS_RUN)
			return r;
	}
	/* --check PID: the PID may follow as an argument. */
	if (o->check && optind == argc - 1 && o->pid == 0 &&
	    strcmp(argv[optind - 1], "--") != 0) {
		r = options_apply('p', argv[optind], o, cause);
		if (r != OPTIONS_RUN)
			return r;
		optind++;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0 && o->pid == 0 &&
		    o->load == NULL)
			return usage_error(cause, "unexpected argument '%s': put "
			    "the command after -- (see --help)", argv[optind]);
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error(cause, "unexpected argument '%s' "
			    "(see --help)", argv[optind]);
		o->command = argv + optind;
	}
	return options_check(o, cause);
}
