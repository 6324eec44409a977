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
	char clock[16], comm[6 * sizeof st->comm];
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
	fprintf(out, "ctop-prof %s  pid %d (%s)  samples %llu  rate %.1f Hz "
	    "(requested %u)  dropped %llu  unwind failed %llu  elapsed %.1f s%s\n",
	    clock, (int)st->pid, comm, (unsigned long long)st->samples,
	    st->hz_achieved, st->hz_requested,
	    (unsigned long long)st->dropped,
	    (unsigned long long)st->unwind_failed, st->elapsed_s,
	    st->target_exited ? "  (target exited)" : "");
}

/* A live source builds views on its own clock: ask for one built now and
 * wait for it (briefly), so that a table is never a period behind or, the
 * first time, empty while samples already came in. */
static struct pview *
fresh_view(struct source *src, const struct pview_params *params)
{
	struct pview *old = src->ops->view(src->ctx, params), *v;
	double limit = util_now_s() + 0.5;

	if (src->ops->refresh == NULL)
		return old;
	src->ops->refresh(src->ctx);
	for (;;) {
		v = src->ops->view(src->ctx, params);
		if (v != old || util_now_s() >= limit)
			break;
		pview_unref(v);
		nap_until(util_now_s() + 0.005, NULL);
	}
	pview_unref(old);
	return v;
}

/* Prints one table; returns 0 or -errno of the failed write (EPIPE when
 * the reader went away, as `| head` does). */
static int
batch_print(struct source *src, const struct pview_params *params,
    int rows, FILE *out)
{
	struct source_status st;
	struct pview *v;

	v = fresh_view(src, params);
	memset(&st, 0, sizeof st);
	st.exit_status = -1;
	src->ops->status(src->ctx, &st);
	batch_header(out, &st);
	batch_table(out, v, rows);
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
	struct pview_params params = { 0, 0 };
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
		return batch_print(src, &params, rows, out);
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
		err = batch_print(src, &params, rows, out);
		n++;
		if (err < 0)
			return err;
		if (last)
			break;
	}
	return 0;
}
