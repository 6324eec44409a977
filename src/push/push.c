/* SPDX-License-Identifier: MIT */
/* push: the pusher's thread and queue. The worker cuts intervals and
 * queues their payloads (push_cut: encode + enqueue, no I/O); this thread
 * sends them oldest first with libcurl, retrying connect errors, timeouts,
 * 429 and 5xx with exponential backoff and jitter. */
#include "config.h"

#include "ctop/push.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctop/util.h"
#include "curl_dl.h"

#define PUSH_BACKOFF_BASE_MS 500	/* first retry after 0.25-0.5 s */
#define PUSH_BACKOFF_MAX_MS 30000
#define PUSH_CONNECT_TIMEOUT_MS 3000
#define PUSH_REQUEST_TIMEOUT_MS 10000
#define PUSH_REASON_MAX 160

struct item {
	char *body;
	size_t len;
	uint64_t from_s, until_s;
};

struct push {
	struct push_opts o;
	char *url_base;			/* URL/ingest?name=...&... */
	struct curl_slist *headers;
	CURL *curl;
	pthread_t thread;
	bool started;

	/* Worker side (push_cut), then main (push_finish). */
	struct pview *prev;		/* the last cut's cumulative view */
	uint64_t from_s;		/* the next interval's start */
	/* The interval's parts before each reset within it (the counts
	 * restart from zero), with the views whose frames they borrow. */
	struct pview **carry, **carry_refs;
	size_t n_carry;

	/* Shared, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	struct item *q;			/* ring of queue_max items */
	unsigned q_head, q_len;
	bool inflight;			/* the thread holds one item */
	bool finishing;
	uint64_t deadline_ns;		/* monotonic; 0: none */
	struct push_stats st;
	uint64_t last_ok_ns;
	char last_err[24];		/* as in struct push_stats */
	char notice[320];
	bool notice_new;

	/* Read by curl's progress callback: abort a request past it. */
	_Atomic uint64_t abort_at_ns;

	/* Push thread only. */
	uint64_t rng;
	char reason[PUSH_REASON_MAX];
	size_t reason_len;
};

/* ------------------------------------------------------------------------
 * Queue (under lock)
 * ------------------------------------------------------------------------ */

static void
item_free(struct item *it)
{
	free(it->body);
	it->body = NULL;
}

/* Appends it; a full queue drops its oldest interval, counted. */
static void
queue_push(struct push *p, struct item *it)
{
	unsigned tail;

	if (p->q_len == p->o.queue_max) {
		item_free(&p->q[p->q_head]);
		p->q_head = (p->q_head + 1) % p->o.queue_max;
		p->q_len--;
		p->st.dropped++;
	}
	tail = (p->q_head + p->q_len) % p->o.queue_max;
	p->q[tail] = *it;
	p->q_len++;
}

static bool
queue_pop(struct push *p, struct item *out)
{
	if (p->q_len == 0)
		return false;
	*out = p->q[p->q_head];
	p->q_head = (p->q_head + 1) % p->o.queue_max;
	p->q_len--;
	return true;
}

static void
queue_drop_all(struct push *p)
{
	struct item it;

	while (queue_pop(p, &it)) {
		item_free(&it);
		p->st.dropped++;
	}
}

/* ------------------------------------------------------------------------
 * Intervals (worker thread)
 * ------------------------------------------------------------------------ */

/* Keeps the interval's part before a reset; it is sent with the rest of
 * the interval at its end. Returns false when out of memory. */
static bool
push_carry(struct push *p, struct pview *iv, struct pview *cum)
{
	size_t n = p->n_carry + 1;
	struct pview **a = realloc(p->carry, n * sizeof *a), **r;

	if (a != NULL)
		p->carry = a;
	r = a ? realloc(p->carry_refs, n * sizeof *r) : NULL;
	if (r == NULL)
		return false;
	p->carry_refs = r;
	p->carry[p->n_carry] = iv;
	p->carry_refs[p->n_carry++] = cum;
	return true;
}

static void
push_carry_free(struct push *p)
{
	while (p->n_carry > 0) {
		p->n_carry--;
		push_interval_free(p->carry[p->n_carry]);
		pview_unref(p->carry_refs[p->n_carry]);
	}
}

/* The parts of an interval, in order: those before resets, then iv. */
static size_t
push_parts(struct push *p, const struct pview *iv,
    const struct pview **views)
{
	size_t i;

	for (i = 0; i < p->n_carry; i++)
		views[i] = p->carry[i];
	views[i] = iv;
	return i + 1;
}

/* Folded: the parts in one payload (their lines add up). Returns how
 * many payloads (0: no samples), or -errno. */
static int
encode_folded_parts(const struct pview **views, size_t n, struct item *items)
{
	uint64_t total = 0;
	const char *ct;
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		total += views[i]->total;
	if (total == 0)
		return 0;
	err = push_encode(PUSH_FORMAT_FOLDED, views, n, NULL, &items[0].body,
	    &items[0].len, &ct);
	return err < 0 ? err : 1;
}

/* pprof: a profile holds one view, so one payload per part with samples,
 * each with the interval's from and until (the server adds up what it
 * gets for one time range). Returns how many, or -errno. */
static int
encode_pprof_parts(const struct push *p, const struct pview **views,
    size_t n, struct item *items)
{
	struct export_meta meta = {
		.pid = p->o.pid, .backend = p->o.backend, .mode = p->o.mode,
		.hz = p->o.hz,
		.elapsed_s = (double)(items[0].until_s - items[0].from_s),
	};
	const char *ct;
	size_t i;
	int k = 0, err = 0;

	for (i = 0; i < n && err == 0; i++) {
		if (views[i]->total == 0)
			continue;
		items[k] = items[0];
		err = push_encode(PUSH_FORMAT_PPROF, views + i, 1, &meta,
		    &items[k].body, &items[k].len, &ct);
		if (err == 0)
			k++;
	}
	if (err < 0)
		while (k > 0)
			item_free(&items[--k]);
	return err < 0 ? err : k;
}

/* The interval's payloads into items[] (room for n_carry + 1; from_s and
 * until_s of items[0] set by the caller). Returns how many, or -errno. */
static int
push_encode_interval(struct push *p, struct pview *iv, struct item *items)
{
	const struct pview **views;
	size_t n;
	int k;

	views = malloc((p->n_carry + 1) * sizeof *views);
	if (views == NULL)
		return -ENOMEM;
	n = push_parts(p, iv, views);
	if (p->o.format == PUSH_FORMAT_PPROF)
		k = encode_pprof_parts(p, views, n, items);
	else
		k = encode_folded_parts(views, n, items);
	free(views);
	return k;
}

/* Ends the interval [from_s, until_s): the next starts where this one
 * ended, so the server sees neither gaps nor overlaps. An interval with
 * no samples is not sent but joins the next. A cut before a reset only
 * sets its part aside: the interval goes on. */
static void
push_cut_at(struct push *p, struct pview *cum, uint64_t until_s,
    bool reset_after)
{
	struct pview *iv = push_interval(p->prev, cum);
	struct item *items = NULL;
	int i, n = -ENOMEM;

	pview_unref(p->prev);
	p->prev = NULL;
	if (reset_after && iv != NULL && push_carry(p, iv, cum))
		return;
	if (until_s <= p->from_s)
		until_s = p->from_s + 1;
	if (iv != NULL && !reset_after &&
	    (items = calloc(p->n_carry + 1, sizeof *items)) != NULL) {
		items[0].from_s = p->from_s;
		items[0].until_s = until_s;
		n = push_encode_interval(p, iv, items);
	}
	push_interval_free(iv);
	push_carry_free(p);
	pthread_mutex_lock(&p->lock);
	if (n < 0)
		p->st.dropped++;
	for (i = 0; i < n; i++)
		queue_push(p, &items[i]);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	free(items);
	/* An interval without samples is not sent: the next one starts where
	 * the last one sent ended, so the server still sees no gap. */
	if (n != 0)
		p->from_s = until_s;
	if (reset_after)
		pview_unref(cum);
	else
		p->prev = cum;
}

void
push_cut(struct push *p, struct pview *cum, uint64_t wall_ns, bool reset_after)
{
	if (cum == NULL)
		return;
	/* Rounded: cuts fall on interval boundaries, a few ms late. */
	push_cut_at(p, cum, (wall_ns + 500000000u) / 1000000000u, reset_after);
}

/* ------------------------------------------------------------------------
 * HTTP (push thread)
 * ------------------------------------------------------------------------ */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct push *p = arg;
	size_t len = size * n, room = sizeof p->reason - 1 - p->reason_len;

	if (len < room)
		room = len;
	memcpy(p->reason + p->reason_len, data, room);
	p->reason_len += room;
	p->reason[p->reason_len] = '\0';
	return len;
}

/* Aborts a request that would outlive the exit deadline. */
static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct push *p = arg;
	/* Relaxed: a late view of the deadline costs one more tick. */
	uint64_t at = atomic_load_explicit(&p->abort_at_ns,
	    memory_order_relaxed);

	(void)a, (void)b, (void)c, (void)d;
	return at != 0 && util_now_ns() >= at;
}

static long
request_timeout_ms(struct push *p)
{
	uint64_t at = atomic_load_explicit(&p->abort_at_ns,
	    memory_order_relaxed), now = util_now_ns();

	if (at == 0)
		return PUSH_REQUEST_TIMEOUT_MS;
	if (at <= now)
		return 1;
	return (at - now) / 1000000 < PUSH_REQUEST_TIMEOUT_MS ?
	    (long)((at - now) / 1000000) + 1 : PUSH_REQUEST_TIMEOUT_MS;
}

/* pprof goes as the multipart/form-data field "profile", as Pyroscope's
 * ingest API takes it (curl writes the boundary and Content-Type; the
 * part holds a copy of the body, a few KiB). */
static curl_mime *
push_mime(struct push *p, const struct item *it)
{
	curl_mime *mime = curl_mime_init(p->curl);
	curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;

	if (part == NULL ||
	    curl_mime_name(part, "profile") != CURLE_OK ||
	    curl_mime_filename(part, "profile.pb.gz") != CURLE_OK ||
	    curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
	    curl_mime_data(part, it->body, it->len) != CURLE_OK) {
		curl_mime_free(mime);
		return NULL;
	}
	return mime;
}

/* One POST. Returns the HTTP status, or 0 when no answer came (*err). */
static long
push_post(struct push *p, const struct item *it, CURLcode *err)
{
	char url[4096];
	curl_mime *mime = NULL;
	long code = 0;

	snprintf(url, sizeof url, "%s&from=%llu&until=%llu", p->url_base,
	    (unsigned long long)it->from_s, (unsigned long long)it->until_s);
	p->reason_len = 0;
	p->reason[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	if (p->o.format == PUSH_FORMAT_PPROF) {
		if ((mime = push_mime(p, it)) == NULL) {
			*err = CURLE_OUT_OF_MEMORY;
			return 0;
		}
		curl_easy_setopt(p->curl, CURLOPT_MIMEPOST, mime);
	} else {
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, it->body);
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)it->len);
	}
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, request_timeout_ms(p));
	*err = curl_easy_perform(p->curl);
	if (*err == CURLE_OK)
		curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	if (mime != NULL) {
		curl_easy_setopt(p->curl, CURLOPT_MIMEPOST, NULL);
		curl_mime_free(mime);
	}
	return code;
}

static void
push_setup_curl(struct push *p)
{
	CURL *c = p->curl;

	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* One server, one request at a time: one connection kept open. */
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)PUSH_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_STRING);
	if (p->o.user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, p->o.user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    p->o.password ? p->o.password : "");
	}
}

/* ------------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------------ */

enum outcome { SENT, RETRY, REJECTED, STOP };

static enum outcome
classify(long code)
{
	if (code >= 200 && code < 300)
		return SENT;
	if (code == 401 || code == 403)
		return STOP;
	if (code == 0 || code == 429 || code >= 500)
		return RETRY;
	return REJECTED;
}

/* The server's reason: its first line, printable characters only. */
static void
reason_line(struct push *p, char *buf, size_t size)
{
	size_t i, n = 0;

	for (i = 0; p->reason[i] != '\0' && p->reason[i] != '\n' &&
	    n + 1 < size; i++)
		if (p->reason[i] >= ' ' && p->reason[i] < 127)
			buf[n++] = p->reason[i];
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, size, "no reason given");
}

static const char *
credential_hint(const struct push_opts *o)
{
	if (o->token != NULL)
		return "check CTOP_PUSH_TOKEN";
	if (o->user != NULL)
		return "check CTOP_PUSH_USER and CTOP_PUSH_PASSWORD";
	return "set CTOP_PUSH_TOKEN, or CTOP_PUSH_USER and "
	    "CTOP_PUSH_PASSWORD";
}

/* A word for a failure without an HTTP answer, for the status line and
 * the summary. */
static const char *
curl_failure(CURLcode err)
{
	switch (err) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_CONNECT:
		return "connect";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "dns";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "tls";
	case CURLE_ABORTED_BY_CALLBACK:
		return "exit deadline";
	default:
		return "network";
	}
}

/* Books one attempt's outcome; under lock. */
static void
push_account(struct push *p, enum outcome oc, long code, CURLcode err,
    const struct item *it)
{
	char reason[PUSH_REASON_MAX];

	p->st.last_code = (int)code;
	switch (oc) {
	case SENT:
		p->st.sent++;
		p->st.bytes += it->len;
		p->last_ok_ns = util_now_ns();
		p->last_err[0] = '\0';
		break;
	case RETRY:
		p->st.retries++;
		if (code != 0)
			snprintf(p->last_err, sizeof p->last_err, "%ld", code);
		else if (err != CURLE_ABORTED_BY_CALLBACK ||
		    p->last_err[0] == '\0')
			snprintf(p->last_err, sizeof p->last_err, "%s",
			    curl_failure(err));
		/* else our own exit deadline ended the attempt: the server's
		 * failure before it ("connect", "503") stays the reason. */
		break;
	case REJECTED:
		p->st.dropped++;
		p->st.rejected++;
		reason_line(p, reason, sizeof reason);
		snprintf(p->notice, sizeof p->notice, "push: %ld from %s: %s "
		    "(that interval is dropped)", code, p->o.url, reason);
		p->notice_new = true;
		break;
	case STOP:
		p->st.dropped++;
		p->st.stopped = true;
		snprintf(p->last_err, sizeof p->last_err, "%ld", code);
		snprintf(p->notice, sizeof p->notice, "push: %ld from %s: %s "
		    "(pushing stopped; sampling goes on)", code, p->o.url,
		    credential_hint(&p->o));
		p->notice_new = true;
		queue_drop_all(p);
		break;
	}
}

/* Equal jitter: half the step plus up to half again, so each wait is at
 * least as long as the one before and many hosts do not retry in step. */
static uint64_t
backoff_ns(struct push *p, unsigned attempt)
{
	uint64_t step = PUSH_BACKOFF_BASE_MS;

	while (attempt-- > 1 && step < PUSH_BACKOFF_MAX_MS)
		step *= 2;
	if (step > PUSH_BACKOFF_MAX_MS)
		step = PUSH_BACKOFF_MAX_MS;
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return (step / 2 + p->rng % (step / 2 + 1)) * 1000000u;
}

/* Waits until mono time `until`, or the deadline; a finish that comes
 * meanwhile ends the wait at once, so the last seconds are not spent
 * waiting out a long backoff. Under lock. */
static void
push_wait(struct push *p, uint64_t until)
{
	bool finishing = p->finishing;
	struct timespec ts;

	while (util_now_ns() < until) {
		if (p->finishing && (!finishing || p->deadline_ns == 0 ||
		    util_now_ns() >= p->deadline_ns))
			return;
		if (p->finishing && p->deadline_ns < until)
			until = p->deadline_ns;
		ts.tv_sec = (time_t)(until / 1000000000u);
		ts.tv_nsec = (long)(until % 1000000000u);
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
}

static bool
past_deadline(struct push *p)
{
	return p->finishing && (p->deadline_ns == 0 ||
	    util_now_ns() >= p->deadline_ns);
}

/* Sends one item until it is taken, refused or given up; under lock,
 * released around each request. */
static void
push_one(struct push *p, struct item *it)
{
	enum outcome oc;
	unsigned attempt = 0;
	CURLcode err;
	long code;

	for (;;) {
		pthread_mutex_unlock(&p->lock);
		code = push_post(p, it, &err);
		pthread_mutex_lock(&p->lock);
		oc = classify(code);
		push_account(p, oc, code, err, it);
		if (oc != RETRY)
			break;
		if (past_deadline(p)) {
			p->st.dropped++;
			break;
		}
		/* Flushing at exit: short waits, within the deadline. */
		attempt++;
		push_wait(p, util_now_ns() + backoff_ns(p, p->finishing ? 1 :
		    attempt));
		if (past_deadline(p)) {
			p->st.dropped++;
			break;
		}
	}
	item_free(it);
}

static void *
push_main(void *arg)
{
	struct push *p = arg;
	struct item it;

	pthread_setname_np(pthread_self(), "ctop-push");
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->q_len == 0 && !p->finishing)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->st.stopped || past_deadline(p))
			queue_drop_all(p);
		if (!queue_pop(p, &it)) {
			if (p->finishing)
				break;
			continue;
		}
		p->inflight = true;
		push_one(p, &it);
		p->inflight = false;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Setup
 * ------------------------------------------------------------------------ */

/* URL/ingest?name=APP.cpu{labels}&... without from and until. */
static int
push_build_url(struct push *p)
{
	char name[2048], *esc;
	size_t i, n;
	int len;

	n = (size_t)snprintf(name, sizeof name, "%s.cpu{hostname=%s,pid=%d,"
	    "backend=%s", p->o.app, p->o.hostname, (int)p->o.pid,
	    p->o.backend);
	for (i = 0; i < p->o.n_tags && n < sizeof name; i++)
		n += (size_t)snprintf(name + n, sizeof name - n, ",%s",
		    p->o.tags[i]);
	if (n + 2 > sizeof name)
		return -E2BIG;
	strcpy(name + n, "}");
	esc = curl_easy_escape(p->curl, name, 0);
	if (esc == NULL)
		return -ENOMEM;
	n = strlen(p->o.url);
	while (n > 0 && p->o.url[n - 1] == '/')
		n--;
	len = asprintf(&p->url_base, "%.*s/ingest?name=%s&sampleRate=%u&"
	    "spyName=ctop-prof&units=samples&aggregationType=sum&format=%s",
	    (int)n, p->o.url, esc, p->o.hz,
	    p->o.format == PUSH_FORMAT_PPROF ? "pprof" : "folded");
	curl_free(esc);
	return len < 0 ? -ENOMEM : 0;
}

static int
push_build_headers(struct push *p)
{
	char line[1024];

	/* No "Expect: 100-continue" round trip before each body. */
	p->headers = curl_slist_append(NULL, "Expect:");
	if (p->o.token != NULL) {
		snprintf(line, sizeof line, "Authorization: Bearer %s",
		    p->o.token);
		p->headers = curl_slist_append(p->headers, line);
	}
	if (p->o.tenant != NULL) {
		snprintf(line, sizeof line, "X-Scope-OrgID: %s", p->o.tenant);
		p->headers = curl_slist_append(p->headers, line);
	}
	/* pprof's multipart body brings its own Content-Type. */
	if (p->o.format == PUSH_FORMAT_FOLDED)
		p->headers = curl_slist_append(p->headers,
		    "Content-Type: text/plain");
	return p->headers != NULL ? 0 : -ENOMEM;
}

int
push_load(char **cause)
{
	*cause = NULL;
	return curl_dl_load(cause);
}

struct push *
push_new(const struct push_opts *opts, char **cause)
{
	struct push *p = calloc(1, sizeof *p);

	*cause = NULL;
	if (curl_dl_load(cause) < 0) {
		free(p);
		return NULL;
	}
	if (p == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	p->o = *opts;
	if (p->o.queue_max == 0)
		p->o.queue_max = 1;
	p->q = calloc(p->o.queue_max, sizeof *p->q);
	p->curl = curl_easy_init();
	if (p->q == NULL || p->curl == NULL || push_build_url(p) < 0 ||
	    push_build_headers(p) < 0)
		goto fail;
	push_setup_curl(p);
	p->rng = util_now_ns() ^ ((uint64_t)getpid() << 32) ^ 1;
	p->from_s = util_wall_ns() / 1000000000u;
	pthread_mutex_init(&p->lock, NULL);
	util_cond_init_monotonic(&p->cond);
	if (pthread_create(&p->thread, NULL, push_main, p) != 0) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		goto fail;
	}
	p->started = true;
	return p;
fail:
	*cause = strdup("cannot start pushing: out of memory or resources");
	if (p != NULL) {
		curl_slist_free_all(p->headers);
		if (p->curl != NULL)
			curl_easy_cleanup(p->curl);
		free(p->url_base);
		free(p->q);
		free(p);
	}
	return NULL;
}

void
push_finish(struct push *p, struct pview *final, double deadline_s)
{
	uint64_t now_ns = util_wall_ns(), deadline;

	if (p == NULL || !p->started)
		return;
	/* Rounded up: the last interval ends after its last sample. */
	if (final != NULL)
		push_cut_at(p, final, (now_ns + 999999999u) / 1000000000u,
		    false);
	deadline = util_now_ns() + (uint64_t)(deadline_s * 1e9);
	atomic_store_explicit(&p->abort_at_ns, deadline,
	    memory_order_relaxed);
	pthread_mutex_lock(&p->lock);
	p->finishing = true;
	p->deadline_ns = deadline;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->started = false;
	pview_unref(p->prev);
	p->prev = NULL;
	push_carry_free(p);
}

void
push_get_stats(struct push *p, struct push_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	out->queued = p->q_len + (p->inflight ? 1 : 0);
	memcpy(out->last_err, p->last_err, sizeof out->last_err);
	out->last_ok_age_s = p->last_ok_ns ?
	    (util_now_ns() - p->last_ok_ns) / 1e9 : -1;
	pthread_mutex_unlock(&p->lock);
}

void
push_status_line(struct push *p, char *buf, size_t size)
{
	struct push_stats st;
	const char *err = st.last_err;

	push_get_stats(p, &st);
	if (st.stopped)
		snprintf(buf, size, "push stopped (%s)", err);
	else if (err[0] != '\0')
		snprintf(buf, size, "push retrying (%s) queued %u", err,
		    st.queued);
	else if (st.last_ok_age_s >= 0 && st.queued > 1)
		snprintf(buf, size, "push ok %.0fs ago, queued %u",
		    st.last_ok_age_s, st.queued);
	else if (st.last_ok_age_s >= 0)
		snprintf(buf, size, "push ok %.0fs ago", st.last_ok_age_s);
	else
		/* No answer yet: the first send is under way (or hangs). */
		snprintf(buf, size, "push waiting, queued %u", st.queued);
}

bool
push_take_notice(struct push *p, char *buf, size_t size)
{
	bool any;

	pthread_mutex_lock(&p->lock);
	any = p->notice_new;
	if (any)
		snprintf(buf, size, "%s", p->notice);
	p->notice_new = false;
	pthread_mutex_unlock(&p->lock);
	return any;
}

void
push_free(struct push *p)
{
	struct item it;

	if (p == NULL)
		return;
	push_finish(p, NULL, 0);
	while (queue_pop(p, &it))
		item_free(&it);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->curl);
	free(p->url_base);
	free(p->q);
	free(p->carry);
	free(p->carry_refs);
	free(p);
}
