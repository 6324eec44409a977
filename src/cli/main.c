/* SPDX-License-Identifier: MIT */
/* ctop-prof: parse the command line, then run one of three things: a
 * recording (--output), batch tables, or the TUI, over either a live target
 * (attached or launched) or a loaded snapshot. Owns exit codes, signals
 * and the order of shutdown: sampler (detach) -> worker (drain) -> output. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/diag.h"
#include "ctop/export.h"
#include "ctop/options.h"
#include "ctop/ring.h"
#include "ctop/sampler.h"
#include "ctop/ui.h"
#include "ctop/worker.h"
#include "launch.h"
#include "load_source.h"

#define RING_BYTES (32u << 20)
#define SUSPEND_WAIT_MS 3000	/* for the sampler to release the target */

enum run_kind { RUN_RECORD, RUN_BATCH, RUN_TUI };

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
 * target (detach, or perf events disabled). SIGSTOP cannot be refused, so
 * a stop asked for is always honoured (also in a process group the
 * kernel calls orphaned); SIGCONT comes back here and the sampler takes
 * the target again. Async-signal-safe: it runs in the handler. */
static void
job_stop(void)
{
	struct sampler *s = job_sampler;

	if (s != NULL)
		sampler_suspend(s, SUSPEND_WAIT_MS);
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

/* Prints "ctop-prof: MESSAGE" on stderr and returns code. */
static int
fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ctop-prof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	if (o->batch || !isatty(STDOUT_FILENO))
		return RUN_BATCH;
	return RUN_TUI;
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
		struct batch_opts bo = { o->delay_s, o->duration_s,
		    o->iterations, 0 };

		err = batch_run(src, &bo, &sig, stdout);
		if (err < 0 && err != -EPIPE)
			return fail(fail_code, "batch output failed: %s",
			    strerror(-err));
		return 0;
	} else {
		struct ui_opts uo = { o->delay_s, o->duration_s, o->ascii,
		    o->no_color || getenv("NO_COLOR") != NULL };

		tui_active = 1;
		err = ui_run(src, &uo, &sig, &cause);
		tui_active = 0;
		if (err < 0) {
			fail(fail_code, "%s", cause ? cause : strerror(-err));
			free(cause);
			return fail_code;
		}
	}
	return 0;
}

static int
run_load(const struct options *o, enum run_kind kind)
{
	struct load_source *ls;
	struct source src;
	char *cause = NULL;
	int rc;

	ls = load_source_new(o->load, o->snapshot_dir, &cause);
	if (ls == NULL) {
		rc = fail(1, "cannot load %s", cause ? cause : o->load);
		free(cause);
		return rc;
	}
	src = load_source_get(ls);
	signal(SIGPIPE, SIG_IGN);
	signals_main_unblock();
	rc = run_view(&src, kind, o, 1);
	load_source_free(ls);
	return rc;
}

/* The recording loop: sleeps until the duration is over, the target has
 * exited or a quit signal came, drawing a progress line on a terminal. */
static void
record_wait(struct sampler *s, const struct options *o)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	struct sampler_stats st;
	bool progress = isatty(STDERR_FILENO);
	double start = now_s(), last = 0, t;
	int status;

	while (!quit_signal && !sampler_target_exited(s, &status)) {
		t = now_s() - start;
		if (o->duration_s > 0 && t >= o->duration_s)
			break;
		if (progress && t - last >= 1.0) {
			sampler_get_stats(s, &st);
			fprintf(stderr, "\rctop-prof: recording: %llu samples, "
			    "%.0f s ", (unsigned long long)st.samples, t);
			last = t;
		}
		nanosleep(&nap, NULL);
	}
	if (progress && last > 0)
		fputs("\r\033[K", stderr);
}

static void
print_summary(struct sampler *s, struct worker *w, const char *output)
{
	struct sampler_stats st;
	struct worker_summary ws;
	uint64_t walks = 0, trunc, failed, frames;
	char fp[sizeof ws.fp_note + 64] = "";
	double secs;
	int i;

	sampler_get_stats(s, &st);
	worker_get_summary(w, &ws);
	frames = ws.fp_frames + ws.dwarf_frames;
	if (ws.fp_note[0] != '\0' && frames > 0)
		snprintf(fp, sizeof fp, "; %.0f%% of frames by frame pointer "
		    "(%s)", 100.0 * ws.fp_frames / frames, ws.fp_note);
	for (i = 0; i < UNWIND_END_COUNT; i++)
		walks += ws.ends[i];
	trunc = ws.ends[UNWIND_TRUNCATED] + ws.ends[UNWIND_MAX_DEPTH];
	failed = ws.ends[UNWIND_NO_INFO] + ws.ends[UNWIND_BAD_FRAME];
	secs = st.elapsed_ns / 1e9;
	fprintf(stderr, "ctop-prof: %s backend: %llu samples in %.1f s "
	    "(%.1f Hz per thread, %u threads), %llu dropped, %llu lost, "
	    "unwind failed %llu (no info %llu, bad frame %llu), truncated "
	    "%.1f%%, %.0f bytes/sample%s%s%s%s%s\n",
	    st.backend ? st.backend : "ptrace",
	    (unsigned long long)ws.samples, secs,
	    secs > 0 ? (st.samples + st.dropped + st.skipped_idle + st.lost) /
	    secs / (st.threads_seen ? st.threads_seen : 1) : 0.0,
	    st.threads_seen, (unsigned long long)st.dropped,
	    (unsigned long long)st.lost, (unsigned long long)failed,
	    (unsigned long long)ws.ends[UNWIND_NO_INFO],
	    (unsigned long long)ws.ends[UNWIND_BAD_FRAME],
	    walks ? 100.0 * trunc / walks : 0.0,
	    st.samples ? (double)st.sample_bytes / st.samples : 0.0, fp,
	    output ? "; wrote " : "", output ? output : "",
	    st.backend_note && *st.backend_note ? "; " : "",
	    st.backend_note ? st.backend_note : "");
}

static int
write_output(struct worker *w, const struct options *o, int fail_code)
{
	enum export_format fmt;
	struct pview *v;
	char *cause = NULL;
	int err, rc = 0;

	if (export_format_parse(o->format, o->output, &fmt, &cause) < 0 ||
	    (v = worker_final_view(w)) == NULL) {
		rc = fail(fail_code, "cannot write %s: %s", o->output,
		    cause ? cause : "out of memory");
		free(cause);
		return rc;
	}
	err = export_write_replace(o->output, fmt, v, 0, &cause);
	if (err < 0)
		rc = fail(fail_code, "cannot write %s: %s", o->output,
		    cause ? cause : strerror(-err));
	free(cause);
	pview_unref(v);
	return rc;
}

struct live {
	struct ring ring;
	struct launch launch;
	struct sampler *sampler;
	struct worker *worker;
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
		.stack_size = o->stack_size,
		.unwind_fp = o->unwind == UNWIND_CHOICE_FP,
	};
	char *cause = NULL;
	int err, rc;

	if (lv->launched) {
		err = launch_prepare(&lv->launch, o->command, kind == RUN_TUI);
		if (err < 0)
			return fail(125, "cannot start %s: %s", o->command[0],
			    strerror(-err));
		lv->pid = lv->launch.pid;
	}
	so.pid = lv->pid;
	so.launched = lv->launched;
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
	worker_stop(lv->worker);
	if (o->output != NULL)
		rc = write_output(lv->worker, o, fail_code);
	if (kind == RUN_RECORD)
		print_summary(lv->sampler, lv->worker, rc == 0 ? o->output :
		    NULL);
	if (lv->launched && rc == 0)
		rc = launch_exit_code(status);
	return rc;
}

static int
run_live(const struct options *o, enum run_kind kind)
{
	struct worker_opts wo = {
		.hz = o->hz, .mode_name = options_mode_name(o->mode),
		.debuginfod = o->debuginfod, .publish_s = o->delay_s,
		.snapshot_dir = o->snapshot_dir,
		.unwind = o->unwind == UNWIND_CHOICE_FP ? UNWIND_METHOD_FP :
		    o->unwind == UNWIND_CHOICE_DWARF ? UNWIND_METHOD_DWARF :
		    UNWIND_METHOD_AUTO,
	};
	struct live lv = { .launched = o->command != NULL, .pid = o->pid };
	int fail_code = lv.launched ? 125 : 1, rc, err;
	char *cause = NULL, note[160];
	sigset_t old;

	if (ring_init(&lv.ring, RING_BYTES) < 0)
		return fail(fail_code, "out of memory for the sample ring");
	signal(SIGPIPE, SIG_IGN);
	signals_block_for_threads(&old);
	rc = live_attach(&lv, o, kind, fail_code);
	if (rc != 0)
		goto out;
	wo.pid = lv.pid;
	if (lv.launch.out_path[0] != '\0') {
		snprintf(note, sizeof note, "output of the command: %s",
		    lv.launch.out_path);
		wo.output_note = note;
	}
	lv.worker = worker_new(&lv.ring, lv.sampler, &wo, &cause);
	if (lv.worker == NULL || (err = worker_start(lv.worker)) < 0) {
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
	if (kind == RUN_RECORD) {
		record_wait(lv.sampler, o);
	} else {
		struct source src = worker_source(lv.worker);

		rc = run_view(&src, kind, o, fail_code);
	}
	if (rc == 0)
		rc = live_finish(&lv, o, kind, fail_code);
	else
		live_finish(&lv, o, kind, fail_code);
	job_sampler = NULL;
out:
	worker_free(lv.worker);
	sampler_free(lv.sampler);
	ring_fini(&lv.ring);
	return rc;
}

/* -v and --log: diagnostics to the log file when given, else with -v to
 * standard error unless the TUI owns the terminal. Before any thread. */
static int
open_diagnostics(const struct options *o, enum run_kind kind, FILE **log)
{
	*log = NULL;
	if (o->log != NULL) {
		*log = fopen(o->log, "ae");
		if (*log == NULL)
			return -1;
		diag_set(*log);
	} else if (o->verbose > 0 && kind != RUN_TUI) {
		diag_set(stderr);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	FILE *log = NULL;
	struct options o;
	enum run_kind kind;
	char *cause = NULL;
	int fail_code, rc;

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
	/* debuginfod is network access: only when asked for. */
	if (!o.debuginfod)
		unsetenv("DEBUGINFOD_URLS");
	fail_code = o.command != NULL ? 125 : 1;
	kind = choose_run_kind(&o);
	if (kind == RUN_TUI && !isatty(STDIN_FILENO))
		return fail(fail_code, "cannot start the live view: standard "
		    "input is not a terminal (use --batch or --output FILE)");
	/* Before anything is attached or launched: nothing half-done. */
	if (kind == RUN_TUI && ui_check_terminal(&cause) < 0) {
		rc = fail(fail_code, "%s", cause ? cause : "unusable terminal");
		free(cause);
		return rc;
	}
	if (o.output != NULL) {
		enum export_format fmt;

		if (export_format_parse(o.format, o.output, &fmt, &cause) < 0) {
			rc = fail(fail_code, "cannot write %s: %s", o.output,
			    cause ? cause : "unknown format");
			free(cause);
			return rc;
		}
		/* Its cause names the file already ("cannot write F: ..."). */
		if (export_check_output(o.output, &cause) < 0) {
			rc = fail(fail_code, "%s", cause ? cause :
			    "cannot write the output file");
			free(cause);
			return rc;
		}
	}
	if (open_diagnostics(&o, kind, &log) < 0)
		return fail(fail_code, "cannot open the log %s: %s", o.log,
		    strerror(errno));
	rc = o.load != NULL ? run_load(&o, kind) : run_live(&o, kind);
	diag_set(NULL);
	if (log != NULL)
		fclose(log);
	return rc;
}
