/* SPDX-License-Identifier: MIT */
/* push: sends what was sampled in each interval to a Grafana Pyroscope
 * server (POST URL/ingest), from its own thread, with libcurl. The worker
 * hands it a cumulative view at each interval's end (push_cut); the
 * interval's profile is the difference from the previous one, so the
 * intervals cover the run with neither gaps nor overlaps and add up to the
 * run's own profile. Sends are retried with exponential backoff and
 * jitter; a bounded queue drops its oldest interval when full.
 * Threads: push_cut on the worker; the others on main. The module's own
 * thread does all network I/O: nothing here blocks its caller. */
#ifndef CTOP_PUSH_H
#define CTOP_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/export.h"
#include "ctop/profile.h"

#define PUSH_MAX_TAGS 32
#define PUSH_FLUSH_DEADLINE_S 5.0	/* for the last interval at exit */

/* The payload's encoding: pprof (the multipart field "profile", threads
 * as sample labels), or folded "stack count" lines as the raw body. */
enum push_format {
	PUSH_FORMAT_PPROF,
	PUSH_FORMAT_FOLDED,
};

struct push_opts {
	const char *url;		/* server base, e.g. http://host:4040 */
	unsigned interval_s;		/* seconds per interval */
	unsigned queue_max;		/* intervals kept while unsent */
	const char *app;		/* app name, without ".cpu" */
	const char *tags[PUSH_MAX_TAGS];/* KEY=VALUE, checked */
	size_t n_tags;
	const char *hostname;		/* labels ctop-prof adds */
	pid_t pid;
	const char *backend;
	unsigned hz;			/* sampleRate */
	const char *mode;		/* "cpu" or "wall": pprof's sample type */
	enum push_format format;
	/* Credentials, from the environment (never the command line). */
	const char *token;		/* CTOP_PUSH_TOKEN: Bearer */
	const char *user;		/* CTOP_PUSH_USER, CTOP_PUSH_PASSWORD */
	const char *password;
	const char *tenant;		/* CTOP_PUSH_TENANT: X-Scope-OrgID */
};

struct push_stats {
	uint64_t sent;			/* intervals the server took */
	uint64_t bytes;			/* their payload bytes */
	uint64_t retries;		/* failed attempts retried */
	uint64_t dropped;		/* intervals given up: queue full,
					 * rejected, stopped, or unsent at
					 * the exit deadline */
	uint64_t rejected;		/* ... of which a 4xx refused */
	uint32_t queued;		/* waiting now */
	int last_code;			/* last HTTP status, 0 = none */
	bool stopped;			/* a 401/403 ended pushing */
	double last_ok_age_s;		/* since the last success, < 0: none */
	char last_err[24];		/* why the last attempt failed ("503",
					 * "timeout", "connect", "dns", "tls"),
					 * "" after a success */
};

/* Checks a --push URL: http or https, a host, and no password in it
 * (it would show in ps). Returns 0, or -EINVAL with *cause (one line,
 * caller frees). Thread: any. */
int push_check_url(const char *url, char **cause);

/* Checks one --tag KEY=VALUE against Pyroscope's label syntax: KEY is
 * [A-Za-z_][A-Za-z0-9_]* not starting with "__" and not one ctop-prof
 * adds (hostname, pid, backend); VALUE is 1-128 of [A-Za-z0-9_.:/-].
 * Returns 0, or -EINVAL with *cause. Thread: any. */
int push_check_tag(const char *tag, char **cause);

/* The app name Pyroscope sees for a process name: characters outside
 * [A-Za-z0-9_.:/-] become '_'. Writes at most size bytes. */
void push_app_from_comm(const char *comm, char *buf, size_t size);

/* Encodes one interval, made of n views (read only; several when the
 * counts were reset within the interval: their samples add up), into a
 * new buffer (*buf, caller frees). pprof takes one view at a time (n must
 * be 1); meta is what it says of the run (NULL for folded). Returns 0 or
 * -errno. *content_type is static. Thread: any. */
int push_encode(enum push_format fmt, const struct pview *const *views,
    size_t n, const struct export_meta *meta, char **buf, size_t *len,
    const char **content_type);

/* The interval between two cumulative views of one profile: every node of
 * cur with its self count minus prev's (prev NULL: all of cur). Frames are
 * borrowed from cur. Free with push_interval_free(). NULL when out of
 * memory. Thread: any. */
struct pview *push_interval(const struct pview *prev, const struct pview *cur);
void push_interval_free(struct pview *v);

/* Loads libcurl (once): 0, or -1 with *cause naming what is missing.
 * Called before the target is attached or a command started, so that a
 * missing library costs nothing but the message. Thread: main. */
int push_load(char **cause);

/* Makes the pusher and starts its thread. NULL with *cause on failure.
 * Thread: main. */
struct push *push_new(const struct push_opts *opts, char **cause);

/* The end of an interval: cum is a cumulative view of the whole profile
 * (the caller's reference is taken over), wall_ns its CLOCK_REALTIME
 * time. reset_after: not an end but a reset within the interval: the
 * profile's counts are zeroed next, so what cum adds is kept and sent
 * with the rest of the interval, and the next view counts from zero.
 * Never blocks on the network. Thread: the worker (or main once the
 * worker is stopped). */
void push_cut(struct push *p, struct pview *cum, uint64_t wall_ns,
    bool reset_after);

/* Ends pushing: cuts the last interval from final (a reference taken
 * over; NULL: none), sends what is queued within deadline_s, then stops
 * the thread. Thread: main, after the worker has stopped. */
void push_finish(struct push *p, struct pview *final, double deadline_s);

void push_get_stats(struct push *p, struct push_stats *out);

/* The TUI's words for push health: "push ok 3s ago", "push retrying (503)
 * queued 4", "push stopped (401)". Thread: any. */
void push_status_line(struct push *p, char *buf, size_t size);

/* A one-line notice to print once (e.g. "push: 401 from URL: check
 * CTOP_PUSH_TOKEN"); false when there is none new. Thread: main. */
bool push_take_notice(struct push *p, char *buf, size_t size);

void push_free(struct push *p);

#endif
