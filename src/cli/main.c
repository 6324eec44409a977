/* SPDX-License-Identifier: MIT */
/* ctop-prof: parse the command line, then run one of three things: a
 * recording (--output), batch tables, or the TUI, over either a live target
 * (attached or launched) or a loaded snapshot. Owns exit codes, signals
 * and the order of shutdown: sampler (detach) -> worker (drain) -> output. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/diag.h"
#include "ctop/doctor.h"
#include "ctop/proclist.h"
#include "ctop/export.h"
#include "ctop/options.h"
#include "ctop/push.h"
#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "ctop/source.h"
#include "ctop/symbols.h"
#include "ctop/termsafe.h"
#include "ctop/ui.h"
#include "ctop/util.h"
#include "launch.h"

#define RING_BYTES (32u << 20)
/* What the ring uses, and keeps resident, while the worker keeps up: one
 * thread at 999 Hz sends about 4 MB/s (6.5 with the demo's deeper
 * stacks), and the worker naps 50 ms at most: 325 KB unread, under the
 * quarter of the window past which a lap grows it. More threads or a
 * worker held up grow it (ring.h), up to RING_BYTES. */
#define RING_WINDOW (2u << 20)
/* For the sampler to release the target before ctop-prof stops: a
 * loaded machine took more than 3 s to detach a few hundred threads. */
#define SUSPEND_WAIT_MS 30000

/* RUN_AGENT: --push headless, a recording without a file. */
enum run_kind { RUN_RECORD, RUN_BATCH, RUN_TUI, RUN_AGENT };

#define TUI_EXIT_DRAIN_S 1.0	/* see source_live_opts.exit_drain_s */

static volatile sig_atomic_t quit_signal;
/* Job control: the sampler to release before stopping (NULL: none yet),
 * whether the TUI owns the terminal, and the flags it polls. */
static struct sampler *volatile job_sampler;
static volatile sig_atomic_t tui_active, stop_request, redraw_request;

static void
on_quit_signal(int sig)
{
	quit_signal = sig;
}

/* Stops ctop-prof, never the target: a stopped tracer would leave every
 * thread it holds in ptrace-stop, so the sampler first releases the
 * target (detach, or perf events disabled), and only then does ctop-prof
 * stop itself with SIGSTOP (which cannot be refused, also in a process
 * group the kernel calls orphaned); SIGCONT comes back here and the
 * sampler takes the target again. When the sampler has not released the
 * target in SUSPEND_WAIT_MS, the stop is not made: stopping then would
 * stop the target too. Async-signal-safe: it runs in the handler. */
static void
job_stop(void)
{
	static const char refused[] = "ctop-prof: not stopped: the target "
	    "was not released in 30 s, and stopping now would stop it too\n";
	struct sampler *s = job_sampler;

	if (s != NULL && !sampler_suspend(s, SUSPEND_WAIT_MS)) {
		ssize_t said;

		sampler_resume(s);
		said = write(STDERR_FILENO, refused, sizeof refused - 1);
		(void)said;	/* nothing more to do in a handler */
		return;
	}
	kill(getpid(), SIGSTOP);
	if (s != NULL)
		sampler_resume(s);
}

/* SIGTSTP (Ctrl-Z), SIGTTIN, SIGTTOU. Under the TUI, Ctrl-Z is left to
 * its loop, which gives the terminal back first; a background read or
 * write (TTIN, TTOU) stops here at once, or its restarted system call
 * would raise the signal again and again. */
static void
on_stop_signal(int sig)
{
	int saved = errno;

	if (sig == SIGTSTP && tui_active) {
		stop_request = 1;
	} else {
		job_stop();
		if (tui_active)
			redraw_request = 1;
	}
	errno = saved;
}

/* Prints "ctop-prof: MESSAGE" on stderr and returns code. The message is
 * escaped: its causes may quote a path, a name or a line of a file. */
static int
fail(int code, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	fputs("ctop-prof: ", stderr);
	termsafe_fputs(line ? line : "out of memory", stderr);
	fputc('\n', stderr);
	free(line);
	return code;
}

/* Signals: only main takes SIGINT, SIGTERM, SIGHUP (and ncurses SIGWINCH);
 * the threads created after this inherit a mask that blocks them all.
 * SIGCHLD stays blocked everywhere: the sampler waits for its tracees. */
static void
signals_block_for_threads(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGTTIN);
	sigaddset(&set, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void
signals_main_unblock(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a quit signal must wake the main loop's sleeps. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Job control, installed before curses so that it keeps ours. A
	 * read or write of the terminal it interrupts is restarted once we
	 * are continued. */
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTSTP, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
	sigaction(SIGTTOU, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGTTIN);
	sigaddset(&set, SIGTTOU);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static enum run_kind
choose_run_kind(const struct options *o)
{
	if (o->output != NULL)
		return RUN_RECORD;
	if (o->push != NULL && (o->no_tables ||
	    (!o->batch && !isatty(STDOUT_FILENO))))
		return RUN_AGENT;
	if (o->batch || !isatty(STDOUT_FILENO))
		return RUN_BATCH;
	return RUN_TUI;
}

/* Set when the user pressed p in a live view opened from the picker. */
static bool back_to_picker;

/* --baseline, --diff: the snapshot diffed against, read before anything
 * is attached or launched, so that a bad file changes nothing. */
static struct {
	struct source src;
	struct pview *view;
	char name[256];
} baseline;

static int
baseline_open(const struct options *o, int fail_code)
{
	const char *slash;
	char *cause = NULL;
	int rc;

	if (o->baseline == NULL)
		return 0;
	if (source_open_file(&baseline.src, o->baseline, o->snapshot_dir,
	    EXPORT_FOLDED, &cause) < 0) {
		rc = fail(fail_code, "cannot load the baseline: %s", cause ?
		    cause : o->baseline);
		free(cause);
		return rc;
	}
	baseline.view = source_final_view(&baseline.src);
	if (baseline.view == NULL) {
		source_close(&baseline.src);
		return fail(fail_code, "cannot load the baseline %s: out of "
		    "memory", o->baseline);
	}
	slash = strrchr(o->baseline, '/');
	snprintf(baseline.name, sizeof baseline.name, "%s",
	    slash ? slash + 1 : o->baseline);
	return 0;
}

static void
baseline_close(void)
{
	pview_unref(baseline.view);
	baseline.view = NULL;
	source_close(&baseline.src);
}

/* --fail-above: exit 3 when the last table found a regression. */
static int
batch_verdict(const struct options *o, const struct batch_verdict *vd)
{
	if (o->fail_above < 0 || !vd->regressions)
		return 0;
	return fail(3, "regression: %s", vd->line);
}

static int
run_view(struct source *src, enum run_kind kind, const struct options *o,
    int fail_code)
{
	struct ui_signals sig = { &quit_signal, &stop_request,
	    &redraw_request, job_stop };
	char *cause = NULL;
	int err;

	if (kind == RUN_BATCH) {
		struct batch_verdict vd;
		struct batch_opts bo = { o->delay_s, o->duration_s,
		    o->iterations, 0, baseline.view, baseline.name,
		    o->fail_above, &vd };

		memset(&vd, 0, sizeof vd);
		err = batch_run(src, &bo, &sig, stdout);
		if (err < 0 && err != -EPIPE)
			return fail(fail_code, "batch output failed: %s",
			    strerror(-err));
		return batch_verdict(o, &vd);
	} else {
		struct ui_opts uo = { o->delay_s, o->duration_s, o->ascii,
		    o->no_color || getenv("NO_COLOR") != NULL, o->pick,
		    baseline.view, baseline.name, o->snapshot_dir,
		    o->source_paths, o->n_source_paths };

		tui_active = 1;
		err = ui_run(src, &uo, &sig, &cause);
		tui_active = 0;
		back_to_picker = err == 1;
		if (err < 0) {
			fail(fail_code, "%s", cause ? cause : strerror(-err));
			free(cause);
			return fail_code;
		}
	}
	return 0;
}

/* What the s key writes (options checked the name). */
static enum export_format
snapshot_format(const struct options *o)
{
	enum export_format f = EXPORT_FOLDED;

	if (export_format_parse(o->snapshot_format ? o->snapshot_format :
	    "folded", NULL, &f, NULL) < 0)
		f = EXPORT_FOLDED;
	return f;
}

struct output_spec;
static int write_output(struct source *src, const struct output_spec *out,
    const struct options *o, int fail_code);

/* Where the TUI takes its keys: standard input, or with --load - the
 * controlling terminal, as less and git log do when the text comes on
 * standard input. The terminal is opened now, before anything is read, so
 * that a run without one is refused at once; it becomes standard input
 * once the profile is read (keys_from_tty). *tty is -1 when standard input
 * is the terminal. Returns 0, or the exit status of the refusal. */
static int
open_keys(const struct options *o, int fail_code, int *tty)
{
	*tty = -1;
	if (isatty(STDIN_FILENO))
		return 0;
	if (o->load == NULL || strcmp(o->load, "-") != 0)
		return fail(fail_code, "cannot start the live view: standard "
		    "input is not a terminal (use --batch or --output FILE)");
	*tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*tty < 0)
		return fail(1, "cannot show the profile read from standard "
		    "input: no terminal to take keys from, /dev/tty: %s "
		    "(use --batch or --output FILE)", strerror(errno));
	return 0;
}

/* The profile is read: the terminal open_keys opened becomes standard
 * input, where ncurses and job control expect it. The pipe's end of file
 * must not stick to stdin. Returns 0 or -errno. */
static int
keys_from_tty(int tty)
{
	int err = dup2(tty, STDIN_FILENO) < 0 ? -errno : 0;

	close(tty);
	clearerr(stdin);
	return err;
}

/* keys_tty: see open_keys (-1: none). */
static int
run_load(const struct options *o, enum run_kind kind,
    const struct output_spec *out, int keys_tty)
{
	struct source src;
	char *cause = NULL;
	int err, rc;

	if (source_open_file(&src, o->load, o->snapshot_dir,
	    snapshot_format(o), &cause) < 0) {
		rc = fail(1, "cannot load %s", cause ? cause : o->load);
		free(cause);
		return rc;
	}
	if (keys_tty >= 0 && (err = keys_from_tty(keys_tty)) < 0) {
		source_close(&src);
		return fail(1, "cannot take keys from the terminal: %s "
		    "(use --batch or --output FILE)", strerror(-err));
	}
	signal(SIGPIPE, SIG_IGN);
	signals_main_unblock();
	/* --load IN --output OUT converts: no view, no sampling. */
	rc = out ? write_output(&src, out, o, 1) : run_view(&src, kind, o, 1);
	source_close(&src);
	return rc;
}

/* The launched command line in cmd (cmd_size bytes), or NULL when none. */
static const char *
command_line(const struct options *o, char *cmd, size_t cmd_size)
{
	size_t at = 0;
	int i;

	for (i = 0; o->command && o->command[i] && at + 1 < cmd_size; i++)
		at += (size_t)snprintf(cmd + at, cmd_size - at, "%s%s",
		    i ? " " : "", o->command[i]);
	return at ? cmd : NULL;
}

/* What the richer formats say about the run besides the stacks (pprof's
 * period, times and comments): from the source's status and the options.
 * cmd (cmd_size bytes) holds the command line m->command points to. */
static void
run_meta(struct source *src, const struct options *o, struct export_meta *m,
    char *cmd, size_t cmd_size)
{
	static const char *const unwind[] = { "auto", "dwarf", "fp" };
	struct source_status st;

	memset(m, 0, sizeof(*m));
	memset(&st, 0, sizeof(st));
	m->svg_icicle = o->svg_icicle;
	src->ops->status(src->ctx, &st);
	if (!st.live)
		return;
	source_status_meta(&st, m);
	if ((unsigned)o->unwind < sizeof(unwind) / sizeof(unwind[0]))
		m->unwind = unwind[o->unwind];
	m->command = command_line(o, cmd, cmd_size);
}

/* Checkpoints of a long recording: every checkpoint_s a partial profile
 * replaces the output file, so a kill -9 loses at most that much. */
struct checkpoint {
	const struct export_place *place;
	enum export_format fmt;
	double every_s;			/* 0: none */
	struct source *src;		/* the live source's views */
	const struct options *o;	/* for run_meta */
	struct pview *last;		/* the newest view written */
	bool warned;
};

/* Asks the worker for a view of everything so far, waits for it (the
 * worker builds it between drains), and writes it. A failure is said
 * once; the recording goes on and the final write tries again. */
static void
checkpoint_write(struct checkpoint *cp)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	struct pview_params all = { 0, 0, 0 };
	struct pview *v = NULL;
	char *cause = NULL;
	int i, err;

	cp->src->ops->refresh(cp->src->ctx);
	/* A new view is a new pointer: cp->last holds a reference, so the
	 * old one cannot be freed and its address reused. 10 s at most. */
	for (i = 0; i < 1000 && !quit_signal; i++) {
		v = cp->src->ops->view(cp->src->ctx, &all);
		if (v != NULL && v != cp->last)
			break;
		pview_unref(v);
		v = NULL;
		nanosleep(&nap, NULL);
	}
	if (v == NULL)
		return;
	pview_unref(cp->last);
	cp->last = v;
	{
		struct export_place pl = *cp->place;
		struct export_meta meta;
		char cmd[512];

		run_meta(cp->src, cp->o, &meta, cmd, sizeof(cmd));
		pl.meta = &meta;
		err = export_place_write(&pl, cp->fmt, v, true, &cause);
	}
	if (err < 0 && !cp->warned) {
		fprintf(stderr, "%sctop-prof: checkpoint failed: %s (recording "
		    "goes on)\n", isatty(STDERR_FILENO) ? "\r\033[K" : "",
		    cause ? cause : strerror(-err));
		cp->warned = true;
	}
	free(cause);
}

/* The recording loop's sleeps (struct record_nap): each wake-up costs
 * about 0.1 ms of CPU on a VM, and the 10 a second of a fixed 100 ms were
 * a quarter of a 60 s recording's CPU at 999 Hz (issue 17, goal 3). So it
 * sleeps to its next deadline (the end, a checkpoint, the progress line),
 * a second at most, cut short by a signal or by the target's exit (its
 * pidfd); then 10 ms naps until the sampler has seen the exit. Without a
 * pidfd (-a, an old kernel) or with --push (whose notices it prints),
 * 100 ms as before. */
struct record_nap {
	int exit_fd;		/* the target's pidfd, -1 once fired or none */
	bool exit_fired;
	bool fixed;		/* 100 ms naps */
};

static void
record_nap_init(struct record_nap *n, pid_t pid, const struct push *push)
{
	n->exit_fired = false;
	n->exit_fd = pid > 0 && push == NULL ?
	    (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	n->fixed = n->exit_fd < 0;
}

/* Sleeps until t_next (seconds from the loop's start, now t). */
static void
record_nap(struct record_nap *n, double t, double t_next)
{
	double s = n->fixed ? 0.1 : n->exit_fired ? 0.01 :
	    t_next - t < 1.0 ? t_next - t : 1.0;
	struct pollfd pfd = { .fd = n->exit_fd, .events = POLLIN };
	int ms = s < 0.001 ? 1 : (int)(s * 1000 + 0.5);

	if (n->exit_fd < 0) {
		poll(NULL, 0, ms);
		return;
	}
	if (poll(&pfd, 1, ms) == 1) {
		close(n->exit_fd);
		n->exit_fd = -1;
		n->exit_fired = true;
	}
}

static void
record_nap_end(struct record_nap *n)
{
	if (n->exit_fd >= 0)
		close(n->exit_fd);
}

/* The recording loop: sleeps until the duration is over, the target has
 * exited or a quit signal came, drawing a progress line on a terminal
 * and writing checkpoints. */
static void
record_wait(struct sampler *s, const struct options *o, pid_t pid,
    struct checkpoint *cp, struct push *push)
{
	char notice[320];
	struct sampler_stats st;
	struct record_nap nap;
	bool progress = isatty(STDERR_FILENO);
	double start = util_now_s(), last = 0, next_cp = cp->every_s, t, next;
	int status;

	record_nap_init(&nap, pid, push);
	while (!quit_signal && !sampler_target_exited(s, &status)) {
		t = util_now_s() - start;
		if (o->duration_s > 0 && t >= o->duration_s)
			break;
		if (cp->every_s > 0 && t >= next_cp) {
			checkpoint_write(cp);
			next_cp = t + cp->every_s;
		}
		/* A push failure worth a line (401, a refused interval). */
		if (push != NULL && push_take_notice(push, notice,
		    sizeof notice))
			fail(0, "%s", notice);
		if (progress && t - last >= 1.0) {
			sampler_get_stats(s, &st);
			fprintf(stderr, "\rctop-prof: recording: %llu samples, "
			    "%.0f s ", (unsigned long long)st.samples, t);
			last = t;
		}
		next = progress ? last + 1.0 : t + 1.0;
		if (o->duration_s > 0 && o->duration_s < next)
			next = o->duration_s;
		if (cp->every_s > 0 && next_cp < next)
			next = next_cp;
		record_nap(&nap, t, next);
	}
	record_nap_end(&nap);
	if (progress && last > 0)
		fputs("\r\033[K", stderr);
	pview_unref(cp->last);
	cp->last = NULL;
}

/* "; python 3.12: 99.1% of samples with Python frames merged (...)", or
 * why Python frames are off; "" for a process that is not Python. */
static void
python_summary(struct sampler *s, const struct sampler_stats *st,
    const struct source_summary *ws, char *buf, size_t size)
{
	uint64_t p50, mean, p99;
	int n;

	buf[0] = '\0';
	if (st->python[0] == '\0')
		return;
	if (ws->py_samples == 0) {
		snprintf(buf, size, "; %s", st->python);
		return;
	}
	n = snprintf(buf, size, "; %s: Python frames merged in %.1f%% of "
	    "samples (%llu without a chain: %llu C-only threads, %llu read "
	    "failures; %llu did not fit the native stack, %llu unnamed)",
	    st->python,
	    100.0 * ws->py_merged / ws->py_samples,
	    (unsigned long long)(ws->py_samples - ws->py_chains),
	    (unsigned long long)st->py_noent,
	    (unsigned long long)st->py_fault,
	    (unsigned long long)ws->py_mismatch,
	    (unsigned long long)ws->py_unnamed);
	sampler_python_delays(s, &p50, &mean, &p99);
	if (n > 0 && (size_t)n < size && p50 > 0)
		snprintf(buf + n, size - (size_t)n, ", chain read %.2f ms "
		    "after the sample (p50; mean %.2f, p99 %.2f ms)", p50 / 1e6,
		    mean / 1e6, p99 / 1e6);
}

/* Where a sample's bytes go (--stack-size auto is about the first): the
 * kernel's perf records, which reserve the whole copy asked; the valid
 * part of the copies; how deep the walks read into them. */
static void
stack_summary(const struct sampler_stats *st, const struct source_summary *ws,
    char *buf, size_t size)
{
	int n = 0;

	buf[0] = '\0';
	if (st->record_bytes && st->samples)
		n = snprintf(buf, size, " (perf records %.0f, median %u; "
		    "stack copy %u now, %u changes)", (double)st->record_bytes /
		    st->samples, st->record_bytes_p50, st->stack_size_now,
		    st->stack_changes);
	if (ws->copies && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "; stack copies: "
		    "%.0f bytes valid (mean), walks read %u (median), %.0f%% "
		    "remembered", (double)ws->copy_bytes / ws->copies,
		    ws->reach_p50, 100.0 * (double)ws->remembered /
		    (double)ws->copies);
	if ((ws->ends[UNWIND_JOINED] || ws->join_checks) && n >= 0 &&
	    (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "; joined %.1f%%, "
		    "checked on %llu whole walks, %llu wrong",
		    ws->samples ? 100.0 * (double)ws->ends[UNWIND_JOINED] /
		    (double)ws->samples : 0.0,
		    (unsigned long long)ws->join_checks,
		    (unsigned long long)ws->join_fails);
}

/* "; budget 2%: asked 62.4 Hz at the end, ..., rate over time: 999 Hz,
 * 124.9 at 2.0 s, 62.4 at 4.1 s" (the first changes, "..." for those
 * not kept, then the last). */
static void
budget_summary(const struct sampler_stats *st, char *buf, size_t size)
{
	int n = snprintf(buf, size, "; budget %g%%: asked %.1f Hz at the end, "
	    "%.1f at the lowest, %llu changes, last cost %.2f%% (median of "
	    "the last windows %.2f%%); rate over time: %u Hz", st->budget_pct,
	    st->hz_now, st->hz_min, (unsigned long long)st->hz_changes,
	    st->cost_pct, st->cost_median_pct, st->hz_want);

	for (unsigned i = 0; i < st->n_hz_hist && n > 0 && (size_t)n < size;
	    i++) {
		if (i == SAMPLER_HZ_HIST - 1 && st->hz_changes > SAMPLER_HZ_HIST)
			n += snprintf(buf + n, size - (size_t)n, ", ...");
		if (n > 0 && (size_t)n < size)
			n += snprintf(buf + n, size - (size_t)n, ", %.1f at "
			    "%.1f s", st->hz_hist[i].hz,
			    st->hz_hist[i].at_ms / 1000.0);
	}
}

static void
print_summary(struct sampler *s, struct source *src, const char *output)
{
	struct sampler_stats st;
	struct source_summary ws;
	uint64_t walks = 0, trunc, failed, frames;
	char fp[sizeof ws.fp_note + 64] = "", line[4096], py[512];
	char taken[96] = "", budget[512] = "", procs[256] = "", stk[320];
	double secs;
	int i;

	sampler_get_stats(s, &st);
	/* The budget's rate over the run. */
	if (st.budget_pct > 0)
		budget_summary(&st, budget, sizeof budget);
	source_summary(src, &ws);
	frames = ws.fp_frames + ws.dwarf_frames;
	if (ws.fp_note[0] != '\0' && frames > 0)
		snprintf(fp, sizeof fp, "; %.0f%% of frames by frame pointer "
		    "(%s)", 100.0 * ws.fp_frames / frames, ws.fp_note);
	for (i = 0; i < UNWIND_END_COUNT; i++)
		walks += ws.ends[i];
	trunc = ws.ends[UNWIND_TRUNCATED] + ws.ends[UNWIND_MAX_DEPTH];
	failed = ws.ends[UNWIND_NO_INFO] + ws.ends[UNWIND_BAD_FRAME];
	secs = st.elapsed_ns / 1e9;
	python_summary(s, &st, &ws, py, sizeof py);
	stack_summary(&st, &ws, stk, sizeof stk);
	/* ptrace weighs a sample by the CPU time since the thread's last
	 * one (and a budget's lowered rate by k): fewer samples were taken
	 * than the count says, and the noise is theirs, more so where the
	 * weights vary. "worth": as many samples of one weight would be as
	 * precise (Kish's effective number, (sum w)^2 / sum w^2). */
	if (ws.states_max > 0)
		snprintf(procs, sizeof procs, ", %u processes sampled, %u born; "
		    "states: %u held of at most %u, %llu made, %llu evicted; "
		    "%llu debug files decompressed once (%.1f MiB), used "
		    "again %llu times",
		    ws.procs, st.procs_seen, ws.states, ws.states_max,
		    (unsigned long long)ws.states_made,
		    (unsigned long long)ws.evicted,
		    (unsigned long long)ws.debug_files,
		    ws.debug_bytes / 1048576.0,
		    (unsigned long long)ws.debug_reused);
	else if (st.procs_seen > 0)
		snprintf(procs, sizeof procs, ", %u more processes",
		    st.procs_seen);
	if (st.samples && st.samples != ws.samples)
		snprintf(taken, sizeof taken, ", %llu taken, weighed by CPU "
		    "time, worth %.0f", (unsigned long long)st.samples,
		    ws.weight_sq > 0 ? (double)ws.samples * ws.samples /
		    ws.weight_sq : 0.0);
	snprintf(line, sizeof line, "%s backend: %llu samples in %.1f s "
	    "(%.1f Hz per busy %s, %u threads%s%s), %llu dropped, %llu "
	    "lost, "
	    "unwind failed %llu (no info %llu, bad frame %llu), truncated "
	    "%.1f%%, %.0f bytes/sample%s%s%s%s%s%s%s%s",
	    st.backend ? st.backend : "ptrace",
	    (unsigned long long)ws.samples, secs,
	    st.rate_hz, ws.states_max > 0 ? "CPU" : "thread",
	    st.threads_seen, procs, taken, (unsigned long long)st.dropped,
	    (unsigned long long)st.lost, (unsigned long long)failed,
	    (unsigned long long)ws.ends[UNWIND_NO_INFO],
	    (unsigned long long)ws.ends[UNWIND_BAD_FRAME],
	    walks ? 100.0 * trunc / walks : 0.0,
	    st.samples ? (double)st.sample_bytes / st.samples : 0.0, stk,
	    budget, fp, py,
	    output ? "; wrote " : "", output ? output : "",
	    st.backend_note && *st.backend_note ? "; " : "",
	    st.backend_note ? st.backend_note : "");
	/* The output path and the notes name files and modules: escaped. */
	fputs("ctop-prof: ", stderr);
	termsafe_fputs(line, stderr);
	fputc('\n', stderr);
}

/* --output, checked before anything runs. */
struct output_spec {
	struct export_place place;
	enum export_format fmt;
};

static int
write_output(struct source *src, const struct output_spec *out,
    const struct options *o, int fail_code)
{
	struct export_place pl = out->place;
	struct export_meta meta;
	struct pview *v;
	char *cause = NULL, cmd[512];
	int err, rc = 0;

	run_meta(src, o, &meta, cmd, sizeof(cmd));
	pl.meta = &meta;
	if ((v = source_final_view(src)) == NULL)
		return fail(fail_code, "cannot write %s: out of memory",
		    out->place.path);
	err = export_place_write(&pl, out->fmt, v, false, &cause);
	/* The cause names the file and says what became of the old one. */
	if (err < 0)
		rc = fail(fail_code, "%s", cause ? cause : strerror(-err));
	free(cause);
	pview_unref(v);
	return rc;
}

struct live {
	const struct output_spec *out;	/* --output, or NULL */
	struct push *push;		/* --push, or NULL */
	struct ring ring;
	struct launch launch;
	struct sampler *sampler;
	struct source src;		/* the live source (worker thread) */
	/* --stack-size auto: what the worker's walks needed, for the
	 * sampler; outlives both (stopped before run_live returns). */
	struct stack_need stack_need;
	bool launched;
	pid_t pid;
};

/* Launches (if asked) and attaches. Returns 0 or an exit code. */
static int
live_attach(struct live *lv, const struct options *o, enum run_kind kind,
    int fail_code)
{
	struct sampler_opts so = {
		.hz = o->hz, .mode = o->mode, .backend = o->backend,
		.stack_size = o->stack_size, .stack_auto = o->stack_auto,
		.stack_need = o->stack_auto ? &lv->stack_need : NULL,
		.max_overhead_pct = o->max_overhead_pct,
		.children = o->children, .all = o->all,
		.unwind_fp = o->unwind == UNWIND_CHOICE_FP,
		.python = o->python,
		/* A recording's samples are read at its end (or at a
		 * checkpoint, which waits for the worker anyway). */
		.unhurried = kind == RUN_RECORD && !o->stack_auto,
	};
	char *cause = NULL;
	int err, rc;

	if (lv->launched) {
		struct launch_io io = { kind == RUN_TUI, o->command_output };

		err = launch_prepare(&lv->launch, o->command, &io, &cause);
		if (err < 0) {
			rc = cause ? fail(err == -EISDIR ? 2 : 125, "%s",
			    cause) : fail(125, "cannot start %s: %s",
			    o->command[0], strerror(-err));
			free(cause);
			return rc;
		}
		lv->pid = lv->launch.pid;
		if (lv->launch.out_note[0] != '\0')
			diag("%s", lv->launch.out_note);
	}
	so.pid = lv->pid;
	so.launched = lv->launched;
	so.python_hint = lv->launched && launch_looks_python(o->command);
	lv->sampler = sampler_new(&so, &lv->ring, &cause);
	if (lv->sampler == NULL || sampler_start(lv->sampler, &cause) < 0) {
		rc = fail(fail_code, "%s", cause ? cause : "cannot attach");
		free(cause);
		if (lv->launched)
			launch_abort(&lv->launch);
		return rc;
	}
	if (lv->launched && (err = launch_go(&lv->launch)) != 0) {
		sampler_stop(lv->sampler);
		launch_terminate(lv->pid, 0);
		return fail(err == ENOENT ? 127 : 126, "cannot run %s: %s%s",
		    o->command[0], strerror(err), err == ENOENT ?
		    " (check the name and PATH)" : " (check its permissions)");
	}
	return 0;
}

/* The end summary of --push: what was sent, retried and dropped. */
static void
push_summary(struct push *p)
{
	struct push_stats st;
	char notice[320];

	if (push_take_notice(p, notice, sizeof notice))
		fail(0, "%s", notice);
	push_get_stats(p, &st);
	fail(0, "push: %llu intervals sent (%llu bytes), %llu retries, "
	    "%llu dropped (%llu refused by the server)%s%s%s",
	    (unsigned long long)st.sent, (unsigned long long)st.bytes,
	    (unsigned long long)st.retries, (unsigned long long)st.dropped,
	    (unsigned long long)st.rejected, st.stopped ?
	    "; stopped by the server's refusal of the credentials" : "",
	    !st.stopped && st.last_err[0] ? "; last failure: " : "",
	    !st.stopped ? st.last_err : "");
}

static void
push_cut_hook(void *arg, struct pview *v, uint64_t wall_ns, bool reset_after)
{
	push_cut(arg, v, wall_ns, reset_after);
}

static void
push_status_hook(void *arg, char *buf, size_t size)
{
	push_status_line(arg, buf, size);
}

/* The app name: --app, else the target's name (a launched command's
 * file name: it has not run exec yet). */
static void
push_app_name(const struct live *lv, const struct options *o, char *buf,
    size_t size)
{
	char comm[64] = "", path[64];
	const char *base;
	FILE *f;

	if (o->app != NULL) {
		snprintf(buf, size, "%s", o->app);
		return;
	}
	if (lv->launched) {
		base = strrchr(o->command[0], '/');
		snprintf(comm, sizeof comm, "%s", base ? base + 1 :
		    o->command[0]);
	} else {
		snprintf(path, sizeof path, "/proc/%d/comm", (int)lv->pid);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(comm, sizeof comm, f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
	}
	push_app_from_comm(comm, buf, size);
}

/* Starts the pusher once the backend is known, and hooks it to the
 * worker's cuts and the status line. Returns 0 or an exit code. */
static int
push_open(struct live *lv, const struct options *o,
    struct source_live_opts *wo, int fail_code)
{
	struct push_opts po = {
		.url = o->push, .interval_s = o->push_interval_s,
		.queue_max = o->push_queue, .n_tags = o->n_tags,
		.pid = lv->pid, .hz = o->hz, .format = PUSH_FORMAT_PPROF,
		.mode = options_mode_name(o->mode),
		.token = getenv("CTOP_PUSH_TOKEN"),
		.user = getenv("CTOP_PUSH_USER"),
		.password = getenv("CTOP_PUSH_PASSWORD"),
		.tenant = getenv("CTOP_PUSH_TENANT"),
	};
	char app[128], host[256], hostname[256];
	struct sampler_stats st;
	char *cause = NULL;
	int rc;

	memcpy(po.tags, o->tags, sizeof po.tags);
	push_app_name(lv, o, app, sizeof app);
	po.app = app;
	if (gethostname(host, sizeof host) < 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	push_app_from_comm(host, hostname, sizeof hostname);
	po.hostname = hostname;
	sampler_get_stats(lv->sampler, &st);
	po.backend = st.backend ? st.backend : "ptrace";
	if ((lv->push = push_new(&po, &cause)) == NULL) {
		rc = fail(fail_code, "%s", cause ? cause : "cannot push");
		free(cause);
		return rc;
	}
	wo->cut_s = o->push_interval_s;
	wo->cut = push_cut_hook;
	wo->cut_arg = lv->push;
	wo->status_note = push_status_hook;
	wo->status_arg = lv->push;
	return 0;
}

/* After the TUI: the samples its quick exit left out, if any. */
static void
note_unprocessed(struct source *src)
{
	struct source_summary sum;

	source_summary(src, &sum);
	if (sum.unprocessed > 0)
		diag("quit with %" PRIu64 " samples not yet processed (the "
		    "worker was behind)", sum.unprocessed);
}

/* Stops everything in order and returns the exit code of the run. */
static int
live_finish(struct live *lv, const struct options *o, enum run_kind kind,
    int fail_code)
{
	int status = -1, rc = 0;
	bool exited;

	sampler_stop(lv->sampler);
	exited = sampler_target_exited(lv->sampler, &status);
	if (lv->launched && !exited)
		status = launch_terminate(lv->pid, 2.0);
	source_stop(&lv->src);
	if (kind == RUN_TUI)
		note_unprocessed(&lv->src);
	if (lv->out != NULL)
		rc = write_output(&lv->src, lv->out, o, fail_code);
	if (lv->push != NULL)
		push_finish(lv->push, source_final_view(&lv->src),
		    PUSH_FLUSH_DEADLINE_S);
	if (kind == RUN_RECORD || kind == RUN_AGENT)
		print_summary(lv->sampler, &lv->src, rc == 0 ? o->output :
		    NULL);
	if (lv->push != NULL)
		push_summary(lv->push);
	if (lv->launched && rc == 0)
		rc = launch_exit_code(status);
	return rc;
}

/* Where decompressed debug files are kept (--debug-cache): the
 * user's cache directory by the XDG rule, an absolute path; NULL for
 * none. */
static const char *
debug_cache_dir(const struct options *o)
{
	static char dir[PATH_MAX];
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char cwd[PATH_MAX];
	int n;

	if (o->debug_cache != NULL && strcmp(o->debug_cache, "off") == 0)
		return NULL;
	if (o->debug_cache != NULL && o->debug_cache[0] == '/')
		n = snprintf(dir, sizeof dir, "%s", o->debug_cache);
	else if (o->debug_cache != NULL)
		n = getcwd(cwd, sizeof cwd) == NULL ? -1 :
		    snprintf(dir, sizeof dir, "%s/%s", cwd, o->debug_cache);
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/ctop-prof/debug", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/.cache/ctop-prof/debug",
		    home);
	else
		return NULL;
	return n > 0 && (size_t)n < sizeof dir ? dir : NULL;
}

static int
run_live(const struct options *o, enum run_kind kind,
    const struct output_spec *out)
{
	struct source_live_opts wo = {
		.hz = o->hz, .mode_name = options_mode_name(o->mode),
		.debuginfod = o->debuginfod, .publish_s = o->delay_s,
		.debug_cache = debug_cache_dir(o),
		.children = o->children, .all = o->all,
		.snapshot_dir = o->snapshot_dir,
		.snapshot_format = snapshot_format(o),
		.unwind = o->unwind == UNWIND_CHOICE_FP ? UNWIND_METHOD_FP :
		    o->unwind == UNWIND_CHOICE_DWARF ? UNWIND_METHOD_DWARF :
		    UNWIND_METHOD_AUTO,
	};
	struct live lv = { .launched = o->command != NULL, .pid = o->pid,
	    .out = out };
	struct checkpoint cp = { 0 };
	int fail_code = lv.launched ? 125 : 1, rc;
	char *cause = NULL, cmd[512];
	sigset_t old;

	if (o->push != NULL && push_load(&cause) < 0) {
		rc = fail(fail_code, "%s", cause);
		free(cause);
		return rc;
	}
	if (ring_init(&lv.ring, RING_BYTES) < 0)
		return fail(fail_code, "out of memory for the sample ring");
	(void)ring_set_window(&lv.ring, RING_WINDOW);
	signal(SIGPIPE, SIG_IGN);
	signals_block_for_threads(&old);
	rc = live_attach(&lv, o, kind, fail_code);
	if (rc != 0)
		goto out;
	wo.pid = lv.pid;
	wo.stack_need = o->stack_auto ? &lv.stack_need : NULL;
	/* q quits within a second even when the worker is behind; with a
	 * file to write, every queued sample goes into it first. */
	if (kind == RUN_TUI && out == NULL)
		wo.exit_drain_s = TUI_EXIT_DRAIN_S;
	/* Checkpoints replace a file; a stream gets one profile, at the end.
	 * Views are then built only when a checkpoint asks for one. */
	if (kind == RUN_RECORD && o->checkpoint_s > 0 &&
	    out->place.kind == EXPORT_PLACE_FILE) {
		cp.place = &out->place;
		cp.fmt = out->fmt;
		cp.every_s = o->checkpoint_s;
		cp.src = &lv.src;
		cp.o = o;
		wo.publish_s = 1e9;
	}
	wo.views = (kind != RUN_RECORD && kind != RUN_AGENT) ||
	    cp.every_s > 0;
	wo.unhurried = kind == RUN_RECORD;
	if (o->push != NULL && (rc = push_open(&lv, o, &wo, fail_code)) != 0) {
		sampler_stop(lv.sampler);
		if (lv.launched)
			launch_terminate(lv.pid, 2.0);
		goto out;
	}
	/* Under the TUI: where the command's output goes, or why not. */
	if (kind == RUN_TUI && lv.launch.out_note[0] != '\0')
		wo.output_note = lv.launch.out_note;
	wo.command = command_line(o, cmd, sizeof(cmd));
	if (source_open_live(&lv.src, &lv.ring, lv.sampler, &wo, &cause) < 0) {
		rc = fail(fail_code, "cannot start the worker: %s",
		    cause ? cause : "out of resources");
		free(cause);
		sampler_stop(lv.sampler);
		if (lv.launched)
			launch_terminate(lv.pid, 2.0);
		goto out;
	}
	job_sampler = lv.sampler;
	signals_main_unblock();
	if (kind == RUN_RECORD || kind == RUN_AGENT)
		record_wait(lv.sampler, o, lv.pid, &cp, lv.push);
	else
		rc = run_view(&lv.src, kind, o, fail_code);
	if (rc == 0)
		rc = live_finish(&lv, o, kind, fail_code);
	else
		live_finish(&lv, o, kind, fail_code);
	job_sampler = NULL;
out:
	/* The pusher's views borrow the profile's frames: it goes first. */
	push_free(lv.push);
	source_close(&lv.src);
	sampler_free(lv.sampler);
	ring_fini(&lv.ring);
	return rc;
}

/* ctop-prof without a target: the process list; Enter opens the live
 * view of the chosen process, whose p key detaches and comes back here.
 * Returns the exit status. */
static int
run_picker(struct options *o)
{
	struct ui_signals sig = { &quit_signal, &stop_request,
	    &redraw_request, job_stop };
	struct ui_opts uo = { o->delay_s, 0, o->ascii,
	    o->no_color || getenv("NO_COLOR") != NULL, true, NULL, NULL, NULL,
	    NULL, 0 };
	struct proclist *pl = proclist_new();
	char *cause = NULL, filter[UI_PICK_FILTER_MAX] = "";
	pid_t pid;
	int rc = 0;

	if (!pl)
		return fail(1, "out of memory for the process list");
	for (;;) {
		/* Ctrl-Z is the picker's loop to serve, as the TUI's. */
		tui_active = 1;
		rc = ui_pick(pl, &uo, &sig, filter, &pid, &cause);
		tui_active = 0;
		if (rc < 0) {
			rc = fail(1, "%s", cause ? cause : strerror(-rc));
			free(cause);
			break;
		}
		if (rc == 0)
			break;
		o->pid = pid;
		back_to_picker = false;
		rc = run_live(o, RUN_TUI, NULL);
		if (!back_to_picker || quit_signal)
			break;
	}
	proclist_free(pl);
	return rc;
}

/* Opens the --log file for appending by the rules of --output for what
 * exists: a symlink is followed unless it is another user's in a sticky
 * world-writable directory; a device, FIFO or socket is written through
 * (a FIFO without a reader is refused, not waited for); a directory is a
 * usage error. A new log is private (0600). Returns the stream, or NULL
 * with *code and the error printed. */
static FILE *
log_open(const char *path, int fail_code, int *code)
{
	char *final = NULL, *cause = NULL;
	struct stat st;
	FILE *f = NULL;
	int fd;

	if ((fd = export_path_resolve(path, &final, &st, &cause)) < 0)
		goto out;
	if (S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		*code = fail(2, "cannot open the log %s: it is a %s (give a "
		    "file name)", path, S_ISDIR(st.st_mode) ? "directory" :
		    "block device");
		free(final);
		return NULL;
	}
	if (st.st_mode == 0 || S_ISREG(st.st_mode)) {
		/* O_NONBLOCK: a FIFO made since the lstat cannot hang us. */
		fd = open(final, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		    O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd < 0)
			fd = -errno;
		else
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	} else {
		fd = export_open_through(final, &st, 0, &cause);
	}
	if (fd >= 0 && !(f = fdopen(fd, "a")))
		close(fd);
out:
	/* A cause names the file already ("cannot write F: ..."). */
	if (!f && cause)
		*code = fail(fail_code, "%s (the --log file)", cause);
	else if (!f)
		*code = fail(fail_code, "cannot open the log %s: %s", path,
		    strerror(fd < 0 ? -fd : errno));
	free(cause);
	free(final);
	return f;
}

/* -v and --log: diagnostics to the log file when given, else with -v to
 * standard error unless the TUI owns the terminal. Before any thread. */
static int
open_diagnostics(const struct options *o, enum run_kind kind, FILE **log,
    int fail_code)
{
	int code = 0;

	*log = NULL;
	if (o->log != NULL) {
		*log = log_open(o->log, fail_code, &code);
		if (*log == NULL)
			return code;
		diag_set(*log);
	} else if (o->verbose > 0 && kind != RUN_TUI) {
		diag_set(stderr);
	}
	return 0;
}

/* The --output place and format, before anything is attached or launched:
 * nothing half-done. A directory is a usage error (2). */
static int
check_output(const struct options *o, struct output_spec *out, int fail_code)
{
	char *cause = NULL;
	int err, rc;

	if (export_format_parse(o->format, o->output, &out->fmt, &cause) < 0) {
		rc = fail(fail_code, "cannot write %s: %s", o->output,
		    cause ? cause : "unknown format");
		free(cause);
		return rc;
	}
	err = export_place_check(o->output, &out->place, &cause);
	if (err == 0)
		return 0;
	/* The cause names the file already ("cannot write F: ..."). */
	rc = fail(err == -EISDIR ? 2 : fail_code, "%s", cause ? cause :
	    strerror(-err));
	free(cause);
	return rc;
}

int
main(int argc, char **argv)
{
	struct output_spec out;
	FILE *log = NULL;
	struct options o;
	enum run_kind kind;
	char *cause = NULL;
	int fail_code, rc, keys_tty = -1;

	setlocale(LC_ALL, "");
	if (getuid() != geteuid() || getgid() != getegid())
		return fail(1, "refusing to run setuid or setgid: it would "
		    "let any user trace processes (run it as root or the "
		    "target's owner instead)");
	switch (options_parse(argc, argv, &o, &cause)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_USAGE:
		rc = fail(2, "%s", cause ? cause : "bad usage (see --help)");
		free(cause);
		return rc;
	case OPTIONS_RUN:
		break;
	}
	if (o.check) {
		/* The doctor asks no server: libdwfl's debug file lookup
		 * stays local unless --debuginfod. */
		if (!o.debuginfod)
			unsetenv("DEBUGINFOD_URLS");
		return doctor_run(o.pid, stdout);
	}
	fail_code = o.command != NULL ? 125 : 1;
	/* debuginfod is network access: only when asked for, and then it must
	 * be able to work (a missing client library asks nothing, silently). */
	if (!o.debuginfod) {
		unsetenv("DEBUGINFOD_URLS");
	} else if (symbols_debuginfod_check(&cause) < 0) {
		rc = fail(fail_code, "--debuginfod cannot work: %s",
		    cause ? cause : "unknown reason");
		free(cause);
		return rc;
	}
	kind = choose_run_kind(&o);
	if (o.pick && (kind != RUN_TUI || !isatty(STDIN_FILENO)))
		return fail(2, "nothing to profile: give -p PID, -- COMMAND, "
		    "or --load FILE (the process list needs a terminal; see "
		    "--help)");
	if (kind == RUN_TUI && (rc = open_keys(&o, fail_code, &keys_tty)))
		return rc;
	/* Before anything is attached or launched: nothing half-done. */
	if (kind == RUN_TUI && ui_check_terminal(keys_tty >= 0 ? keys_tty :
	    STDIN_FILENO, &cause) < 0) {
		rc = fail(fail_code, "%s", cause ? cause : "unusable terminal");
		free(cause);
		return rc;
	}
	if (o.output != NULL && (rc = check_output(&o, &out, fail_code)) != 0)
		return rc;
	if ((rc = open_diagnostics(&o, kind, &log, fail_code)) != 0)
		return rc;
	if ((rc = baseline_open(&o, fail_code)) != 0)
		return rc;
	if (o.pick)
		rc = run_picker(&o);
	else
		rc = o.load != NULL ? run_load(&o, kind, o.output != NULL ?
		    &out : NULL, keys_tty) : run_live(&o, kind,
		    o.output != NULL ? &out : NULL);
	baseline_close();
	diag_set(NULL);
	if (log != NULL)
		fclose(log);
	return rc;
}
