/* SPDX-License-Identifier: MIT */
/* Command-line parsing: defaults, every option, and the usage errors that
 * must exit 2 before anything runs. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/options.h"
#include "../tap.h"

static enum options_result
parse(struct options *o, char **cause, const char *a0, ...)
{
	static char *argv[32];
	va_list ap;
	const char *a;
	int argc = 0;

	argv[argc++] = (char *)"ctop-prof";
	va_start(ap, a0);
	for (a = a0; a != NULL && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	free(*cause);
	*cause = NULL;
	return options_parse(argc, argv, o, cause);
}

#define USAGE(...) is_int(parse(&o, &cause, __VA_ARGS__, NULL), \
	OPTIONS_USAGE, "usage error: " #__VA_ARGS__)

int
main(void)
{
	struct options o;
	char *cause = NULL;

	is_int(parse(&o, &cause, "-p", "123", NULL), OPTIONS_RUN, "-p 123");
	is_int(o.pid, 123, "pid parsed");
	is_int(o.hz, 99, "default frequency 99");
	ok(o.delay_s == 1.0, "default delay 1.0");
	is_int(o.stack_size, 16384, "default stack size 16384");
	ok(!o.stack_auto, "default stack size fixed, not auto");
	is_int(o.mode, SAMPLER_MODE_CPU, "default mode cpu");
	is_int(o.backend, SAMPLER_BACKEND_AUTO, "default backend auto");

	is_int(parse(&o, &cause, "--pid=7", "-F", "999", "-d", "0.5",
	    "--duration", "2.5", "-o", "x.folded", "--mode", "wall",
	    "--backend", "ptrace", "--unwind", "dwarf", "--stack-size",
	    "65528", "--snapshot-dir", "/tmp", "--ascii", "--no-color",
	    "-v", NULL), OPTIONS_RUN, "every option together");
	is_int(o.hz, 999, "-F 999");
	ok(o.delay_s == 0.5 && o.duration_s == 2.5, "delay and duration");
	is_str(o.output, "x.folded", "--output");
	is_int(o.mode, SAMPLER_MODE_WALL, "--mode wall");
	is_int(o.backend, SAMPLER_BACKEND_PTRACE, "--backend ptrace");
	is_int(o.unwind, UNWIND_CHOICE_DWARF, "--unwind dwarf");
	is_int(o.stack_size, 65528, "--stack-size 65528");
	ok(!o.stack_auto, "--stack-size 65528: fixed");
	ok(o.ascii && o.no_color && o.verbose == 1, "flags");

	is_int(parse(&o, &cause, "-p", "1", "--stack-size", "auto", NULL),
	    OPTIONS_RUN, "--stack-size auto");
	ok(o.stack_auto && o.stack_size == 16384, "--stack-size auto: "
	    "learned, from 16384");

	is_int(parse(&o, &cause, "-F", "10", "--", "prog", "-p", "5", NULL),
	    OPTIONS_RUN, "launch: options after -- belong to the command");
	ok(o.command != NULL && strcmp(o.command[0], "prog") == 0 &&
	    strcmp(o.command[1], "-p") == 0 && o.pid == 0, "command argv");

	is_int(parse(&o, &cause, "--load", "f.folded", "-b", NULL),
	    OPTIONS_RUN, "--load with --batch");
	is_int(parse(&o, &cause, "-p", "1", "-n", "3", NULL), OPTIONS_RUN,
	    "-n alone");
	ok(o.batch, "-n implies --batch");

	USAGE("-p", "abc");
	USAGE("-p", "-5");
	USAGE("-p", "0");
	USAGE("-p", "12x");
	USAGE("-p", "1", "-F", "0");
	USAGE("-p", "1", "-F", "1000000");
	USAGE("-p", "1", "-F", "10001");
	USAGE("-p", "1", "-d", "0");
	USAGE("-p", "1", "-d", "abc");
	USAGE("-p", "1", "--duration", "-1");
	USAGE("-p", "1", "--stack-size", "100");
	USAGE("-p", "1", "--stack-size", "65536");
	USAGE("-p", "1", "--stack-size", "4100");
	USAGE("-p", "1", "--mode", "gpu");
	USAGE("-p", "1", "--backend", "dtrace");
	USAGE("-p", "1", "--unwind", "lbr");
	USAGE("-p", "1", "--format", "xml");
	USAGE("-p", "1", "--backend", "perf", "--mode", "wall");
	ok(cause != NULL && strstr(cause, "wall") != NULL,
	    "perf+wall says why: %s", cause ? cause : "");
	USAGE("-p", "1", "--no-such-option");
	USAGE("-p");
	/* No target: the process picker, unless no terminal UI is asked. */
	is_int(parse(&o, &cause, "-F", "99", NULL), OPTIONS_RUN,
	    "no target: runs (the picker)");
	ok(o.pick && o.pid == 0, "no target: the picker is asked for");
	USAGE("-F", "99", "--batch");
	USAGE("-F", "99", "-o", "x.folded");
	USAGE("-p", "1", "--load", "x");
	USAGE("-p", "1", "--", "prog");
	USAGE("prog");
	ok(cause != NULL && strchr(cause, '\n') == NULL,
	    "a usage error is one line");
	is_int(parse(&o, &cause, "--load", "x", "-o", "y.pb.gz", NULL),
	    OPTIONS_RUN, "--load IN --output OUT converts");
	/* Diffs (issue 14). */
	is_int(parse(&o, &cause, "--diff", "a.folded", "b.pb.gz", "-b", NULL),
	    OPTIONS_RUN, "--diff A B then more options");
	ok(o.diff && strcmp(o.baseline, "a.folded") == 0 &&
	    strcmp(o.load, "b.pb.gz") == 0 && o.batch && o.fail_above < 0,
	    "--diff A B: baseline A, load B, no gate");
	is_int(parse(&o, &cause, "--fail-above", "2.5", "--diff", "a", "b",
	    NULL), OPTIONS_RUN, "--fail-above 2.5 before --diff");
	ok(o.fail_above == 2.5 && o.batch, "--fail-above kept, batch implied");
	is_int(parse(&o, &cause, "--baseline", "a", "-p", "9", NULL),
	    OPTIONS_RUN, "--baseline with -p");
	ok(!o.diff && strcmp(o.baseline, "a") == 0 && o.pid == 9,
	    "--baseline is not --diff");
	is_int(parse(&o, &cause, "--diff", "-", "b", NULL), OPTIONS_RUN,
	    "--diff - B: the baseline from standard input");
	USAGE("--diff", "a");
	USAGE("--diff", "a", "-b");
	USAGE("--diff", "-", "-");
	USAGE("--diff", "a", "b", "--baseline", "c");
	USAGE("--baseline", "c", "--diff", "a", "b");
	USAGE("--baseline", "a", "--baseline", "b", "-p", "1");
	USAGE("--load", "b", "--diff", "a", "b");
	USAGE("--diff", "a", "b", "-o", "x.folded");
	USAGE("--baseline", "a", "-p", "1", "--push", "http://x");
	USAGE("--load", "b", "--fail-above", "1");
	USAGE("--diff", "a", "b", "--fail-above", "-1");
	USAGE("--diff", "a", "b", "--fail-above", "1x");
	USAGE("--diff", "a", "b", "extra");
	USAGE("-p", "1", "--snapshot-format", "png");
	is_int(parse(&o, &cause, "-p", "1", "--snapshot-format", "pprof",
	    "--svg-icicle", NULL), OPTIONS_RUN, "--snapshot-format pprof");
	ok(o.snapshot_format && strcmp(o.snapshot_format, "pprof") == 0 &&
	    o.svg_icicle, "--snapshot-format and --svg-icicle kept");
	/* --checkpoint: 60 by default, 0 (any spelling) for none. */
	is_int(parse(&o, &cause, "-p", "1", NULL), OPTIONS_RUN, "-p 1");
	ok(o.checkpoint_s == 60, "default checkpoint 60 s");
	is_int(parse(&o, &cause, "-p", "1", "--checkpoint", "0.5", NULL),
	    OPTIONS_RUN, "--checkpoint 0.5");
	ok(o.checkpoint_s == 0.5, "checkpoint 0.5 s");
	is_int(parse(&o, &cause, "-p", "1", "--checkpoint", "0.0", NULL),
	    OPTIONS_RUN, "--checkpoint 0.0");
	ok(o.checkpoint_s == 0, "checkpoint 0: none");
	USAGE("-p", "1", "--checkpoint", "0.01");
	USAGE("-p", "1", "--checkpoint", "-1");
	USAGE("-p", "1", "--checkpoint", "x");
	/* --command-output: a file name, only with a command. */
	is_int(parse(&o, &cause, "--command-output", "c.out", "--", "true",
	    NULL), OPTIONS_RUN, "--command-output with a command");
	is_str(o.command_output, "c.out", "--command-output parsed");
	USAGE("-p", "1", "--command-output", "c.out");
	USAGE("--command-output", "-", "--", "true");
	USAGE("--command-output", "", "--", "true");
	/* -a: the machine, alone: no target, perf in cpu mode. */
	is_int(parse(&o, &cause, "-a", "-o", "x.folded", NULL), OPTIONS_RUN,
	    "-a -o FILE");
	ok(o.all && o.pid == 0 && !o.pick, "-a parsed: no pid, no picker");
	is_int(parse(&o, &cause, "--all", NULL), OPTIONS_RUN, "--all alone: "
	    "the live view, not the picker");
	ok(o.all && !o.pick, "--all is no picker");
	USAGE("-a", "-p", "1");
	USAGE("-a", "--", "true");
	USAGE("-a", "--load", "x.folded");
	USAGE("-a", "--backend", "ptrace");
	USAGE("-a", "--mode", "wall");
	USAGE("-a", "--children");
	USAGE("-a", "--max-overhead", "1");
	USAGE("-a", "--python", "on");
	is_int(parse(&o, &cause, "-a", "--backend", "perf", "-b", "-n", "1",
	    NULL), OPTIONS_RUN, "-a --backend perf");
	free(cause);
	return done_testing();
}
