/* SPDX-License-Identifier: MIT */
/* Batch mode: the top table as plain text, a header line and `rows`
 * functions every delay, until the iterations, the duration, a quit signal
 * or the target's exit (then one final table); a loaded file prints once. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctop/termsafe.h"
#include "ctop/ui.h"
#include "ctop/util.h"
#include "ui_internal.h"

static bool
quitting(const struct ui_signals *sig)
{
	return sig && sig->quit && *sig->quit;
}

/* Sleeps until `until`, waking every 50 ms to notice a quit signal. */
static void
nap_until(double until, const struct ui_signals *sig)
{
	while (!quitting(sig)) {
		double left = until - util_now_s();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > 0.05)
			left = 0.05;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

static void
batch_header(FILE *out, const struct source_status *st)
{
	char clock[16], comm[6 * sizeof st->comm], who[sizeof comm + 64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	/* The target's name or the loaded file's: the target chose it. */
	termsafe_escape(comm, sizeof comm, st->comm,
	    strnlen(st->comm, sizeof st->comm), termsafe_locale_utf8());
	if (!st->live) {
		fprintf(out, "ctop-prof %s  file %s  samples %llu\n", clock,
		    comm, (unsigned long long)st->samples);
		return;
	}
	/* -a: the machine, and how many processes it had samples of. */
	if (st->all)
		snprintf(who, sizeof who, "all %u procs (states %u/%u, "
		    "evicted %llu)", st->procs, st->states, st->states_max,
		    (unsigned long long)st->evicted);
	else
		snprintf(who, sizeof who, "pid %d (%s)", (int)st->pid, comm);
	fprintf(out, "ctop-prof %s  %s  samples %llu  rate %.1f Hz "
	    "(requested %u)  dropped %llu  unwind failed %llu  elapsed %.1f s%s\n",
	    clock, who, (unsigned long long)st->samples,
	    st->hz_achieved, st->hz_requested,
	    (unsigned long long)st->dropped,
	    (unsigned long long)st->unwind_failed, st->elapsed_s,
	    st->target_exited ? "  (target exited)" : "");
}

/* Samples taken, none in v yet: the worker is still reading symbols and
 * debug information for the first ones (seconds under ASan). */
static bool
none_named_yet(struct source *src, const struct pview *v)
{
	struct source_status st;

	memset(&st, 0, sizeof st);
	src->ops->status(src->ctx, &st);
	return (st.taken > 0 || st.samples > 0) && (!v || v->total == 0);
}

/* A live source builds views on its own clock: ask for one built now and
 * wait for it (briefly), so that a table is never a period behind or, the
 * first time (first), empty while samples already came in: then up to 5 s
 * more (under ASan beside a CI run the first table once had 0 of 16
 * samples after 0.5 s, and once none when the worker had not yet named
 * any of the samples taken). */
static struct pview *
fresh_view(struct source *src, const struct pview_params *params, bool first)
{
	struct pview *old = src->ops->view(src->ctx, params), *v;
	double now = util_now_s(), limit = now + 0.5;
	double most = first ? now + 5.0 : limit;

	if (src->ops->refresh == NULL)
		return old;
	src->ops->refresh(src->ctx);
	for (;;) {
		v = src->ops->view(src->ctx, params);
		now = util_now_s();
		if ((v != old && !none_named_yet(src, v)) || now >= most ||
		    (now >= limit && !none_named_yet(src, v)))
			break;
		if (v != old) {
			pview_unref(old);
			old = v;
			src->ops->refresh(src->ctx);
		} else {
			pview_unref(v);
		}
		nap_until(now + 0.005, NULL);
	}
	pview_unref(old);	/* v holds its own reference, also when v == old */
	return v;
}

/* --fail-above: the functions (not the process frame) whose self share
 * grew by more than the limit, the largest named. */
static void
batch_judge(const struct pdiff *d, const struct batch_opts *o)
{
	struct batch_verdict *vd = o->verdict;
	double worst = 0, ds;
	uint32_t i, at = 0;
	const char *name;

	if (!vd || o->fail_above < 0)
		return;
	memset(vd, 0, sizeof *vd);
	for (i = 0; i < d->view->n_funcs; i++) {
		if (pview_func_is_process(d->view, i))
			continue;
		pdiff_func(d, i, false, &ds);
		if (ds <= o->fail_above)
			continue;
		if (!vd->regressions++ || ds > worst) {
			worst = ds;
			at = i;
		}
	}
	if (!vd->regressions)
		return;
	/* Raw: main's one-line error printer escapes it. */
	name = d->view->frames[d->view->funcs[at].frame].name;
	snprintf(vd->line, sizeof vd->line, "%s: self share grew by %.1f "
	    "points (%.1f%% -> %.1f%%), more than --fail-above %g%s", name ?
	    name : "?", worst, d->before_all ? 100.0 *
	    (double)d->base_self[at] / (double)d->before_all : 0.0,
	    d->after_all ? 100.0 * (double)d->view->funcs[at].self /
	    (double)d->after_all : 0.0, o->fail_above,
	    vd->regressions > 1 ? " (and more: see the table)" : "");
}

/* The diff of v against the baseline: a header line naming both sides,
 * then its table. */
static int
batch_diff(FILE *out, struct pview *v, const struct source_status *st,
    const struct batch_opts *o, int rows)
{
	struct pdiff *d = pview_diff(v, o->baseline, 0, 0);
	char *bname, *aname;

	if (!d)
		return -ENOMEM;
	bname = termsafe_dup(o->baseline_name ? o->baseline_name :
	    "baseline");
	aname = termsafe_dup(st->comm);
	fprintf(out, "diff: A = %s (%llu samples), B = %s (%llu samples); "
	    "shares in %% of each side's samples, d = B - A in points\n",
	    bname ? bname : "?", (unsigned long long)d->before_all,
	    aname ? aname : "?", (unsigned long long)d->after_all);
	free(bname);
	free(aname);
	batch_diff_table(out, d, rows);
	batch_judge(d, o);
	pdiff_free(d);
	return 0;
}

/* Prints one table; returns 0 or -errno of the failed write (EPIPE when
 * the reader went away, as `| head` does). */
static int
batch_print(struct source *src, const struct pview_params *params,
    const struct batch_opts *o, int rows, bool first, FILE *out)
{
	struct source_status st;
	struct pview *v;

	v = fresh_view(src, params, first);
	memset(&st, 0, sizeof st);
	st.exit_status = -1;
	src->ops->status(src->ctx, &st);
	batch_header(out, &st);
	if (o->baseline && v) {
		if (batch_diff(out, v, &st, o, rows) < 0) {
			pview_unref(v);
			return -ENOMEM;
		}
	} else {
		batch_table(out, v, rows);
	}
	pview_unref(v);
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

int
batch_run(struct source *src, const struct batch_opts *opts,
    const struct ui_signals *sig, FILE *out)
{
	struct pview_params params = { 0, 0, 0 };
	struct source_status st;
	double delay = opts->delay_s > 0.01 ? opts->delay_s : 1.0;
	double start = util_now_s(), next = start + delay;
	int rows = opts->rows > 0 ? opts->rows : 25;
	long n = 0;

	memset(&st, 0, sizeof st);
	src->ops->status(src->ctx, &st);
	if (!st.live) {
		/* A loaded file: wait (briefly) for its view, print once. */
		struct pview *v = NULL;
		double limit = start + 10.0;

		while (!quitting(sig) && util_now_s() < limit &&
		    !(v = src->ops->view(src->ctx, &params)))
			nap_until(util_now_s() + 0.02, sig);
		pview_unref(v);
		return batch_print(src, &params, opts, rows, true, out);
	}
	while (!quitting(sig)) {
		bool last;
		int err;

		nap_until(next, sig);
		next += delay;
		memset(&st, 0, sizeof st);
		src->ops->status(src->ctx, &st);
		last = st.target_exited || quitting(sig) ||
		    (opts->duration_s > 0 &&
		    util_now_s() - start >= opts->duration_s - 0.001) ||
		    (opts->iterations > 0 && n + 1 >= opts->iterations);
		err = batch_print(src, &params, opts, rows, n == 0, out);
		n++;
		if (err < 0)
			return err;
		if (last)
			break;
	}
	return 0;
}
