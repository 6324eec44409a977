/* SPDX-License-Identifier: MIT */
/* push without a network: label and URL checks, the interval between two
 * cumulative views (stable node ids, counts that grow, per thread), the
 * folded payload it encodes to, line for line, and the pprof one's frame. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/push.h"
#include "../tap.h"

static uint32_t
fr(struct profile *p, const char *name, uint8_t kind)
{
	struct frame f = { .name = name, .kind = kind };

	return profile_intern(p, &f);
}

static char *
encode(const struct pview *v)
{
	const char *ct;
	char *buf;
	size_t len;

	if (push_encode(PUSH_FORMAT_FOLDED, &v, 1, NULL, &buf, &len, &ct) < 0)
		return NULL;
	return buf;
}

/* The interval's leaves keep the threads apart: what pprof labels. */
static void
check_leaves(const struct pview *iv)
{
	uint64_t hot1 = 0, cold2 = 0, other = 0;
	uint32_t i;

	for (i = 0; i < iv->n_leaves; i++) {
		const struct frame *f = pview_node_frame(iv,
		    iv->leaves[i].node);

		if (iv->leaves[i].tid == 1 && !strcmp(f->name, "hot"))
			hot1 += iv->leaves[i].count;
		else if (iv->leaves[i].tid == 2 && !strcmp(f->name, "cold"))
			cold2 += iv->leaves[i].count;
		else
			other += iv->leaves[i].count;
	}
	ok(hot1 == 3 && cold2 == 2 && other == 0, "interval leaves by thread: "
	    "hot on 1 %llu (3), cold on 2 %llu (2), others %llu (0)",
	    (unsigned long long)hot1, (unsigned long long)cold2,
	    (unsigned long long)other);
}

static void
check_pprof(const struct pview *iv)
{
	const struct pview *two[2] = { iv, iv };
	struct export_meta meta = { .pid = 7, .backend = "perf", .hz = 99 };
	const char *ct;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = push_encode(PUSH_FORMAT_PPROF, &iv, 1, &meta, &buf, &len, &ct);
	ok(rc == 0 && len > 20 && (unsigned char)buf[0] == 0x1f &&
	    (unsigned char)buf[1] == 0x8b, "pprof payload: gzip, %zu bytes",
	    len);
	free(buf);
	ok(push_encode(PUSH_FORMAT_PPROF, two, 2, &meta, &buf, &len, &ct) ==
	    -EINVAL && buf == NULL, "pprof takes one view per payload");
}

static void
test_interval(void)
{
	struct profile *p = profile_new(NULL);
	struct pview_params all = { 0, 0, 0 };
	struct pview *v1, *v2, *iv;
	uint32_t a[3], b[3];
	char *s;

	a[0] = b[0] = fr(p, "app", FRAME_PROCESS);
	a[1] = b[1] = fr(p, "main", FRAME_FUNC);
	a[2] = fr(p, "hot", FRAME_FUNC);
	b[2] = fr(p, "cold", FRAME_FUNC);
	profile_add(p, 1, 0, a, 3, 5);
	profile_add(p, 2, 0, b, 2, 1);
	v1 = profile_view(p, &all, 0);
	profile_add(p, 1, 0, a, 3, 3);
	profile_add(p, 2, 0, b, 3, 2);
	v2 = profile_view(p, &all, 0);

	iv = push_interval(NULL, v1);
	s = encode(iv);
	/* Preorder: a node's own samples before its callees'. */
	is_str(s, "app;main 1\napp;main;hot 5\n", "first interval: all of v1");
	is_int((long long)iv->total, 6LL, "its total");
	free(s);
	push_interval_free(iv);

	iv = push_interval(v1, v2);
	s = encode(iv);
	/* main alone got nothing new: no line for it. */
	is_str(s, "app;main;hot 3\napp;main;cold 2\n",
	    "second interval: only what was added since v1");
	is_int((long long)iv->total, 5LL, "its total");
	is_int((long long)iv->nodes[0].total, 5LL, "root total recomputed");
	free(s);
	check_leaves(iv);
	check_pprof(iv);
	push_interval_free(iv);

	iv = push_interval(v2, v2);
	is_int((long long)iv->total, 0LL, "nothing new: an empty interval");
	push_interval_free(iv);
	pview_unref(v1);
	pview_unref(v2);
	profile_free(p);
}

/* One stack ending at two addresses: a leaf each; the interval subtracts
 * each address's own count (run-push once pushed 76 samples for 67). */
static void
test_interval_locs(void)
{
	struct profile *p = profile_new(NULL);
	struct pview_params all = { 0, 0, 0 };
	struct pview *v1, *v2, *iv;
	struct profile_line at1, at2;
	uint32_t a[2], l1[2], l2[2], i;
	uint64_t c1 = 0, c2 = 0;

	a[0] = fr(p, "app", FRAME_PROCESS);
	a[1] = fr(p, "hot", FRAME_FUNC);
	at1 = (struct profile_line){ a[1], 10 };
	at2 = (struct profile_line){ a[1], 11 };
	l1[0] = l2[0] = PROFILE_NO_LOC;
	l1[1] = profile_intern_loc(p, 0x1000, &at1, 1);
	l2[1] = profile_intern_loc(p, 0x1004, &at2, 1);
	profile_add_locs(p, 1, 0, a, l1, 2, 5);
	profile_add_locs(p, 1, 0, a, l2, 2, 1);
	v1 = profile_view(p, &all, 0);
	profile_add_locs(p, 1, 0, a, l1, 2, 2);
	profile_add_locs(p, 1, 0, a, l2, 2, 4);
	v2 = profile_view(p, &all, 0);
	iv = push_interval(v1, v2);
	for (i = 0; iv && i < iv->n_leaves; i++) {
		uint32_t loc = iv->pcnodes[iv->leaves[i].pcnode].loc;

		if (loc == l1[1])
			c1 += iv->leaves[i].count;
		else if (loc == l2[1])
			c2 += iv->leaves[i].count;
	}
	ok(iv && iv->total == 6 && c1 == 2 && c2 == 4, "interval by address: "
	    "0x1000 %llu (2), 0x1004 %llu (4), total %llu (6)",
	    (unsigned long long)c1, (unsigned long long)c2,
	    iv ? (unsigned long long)iv->total : 0ull);
	push_interval_free(iv);
	pview_unref(v1);
	pview_unref(v2);
	profile_free(p);
}

static void
test_labels(void)
{
	static const char *good[] = { "env=prod", "_x=a.b:c/d-e", "k9=1" };
	static const char *bad[] = { "env", "=a", "9k=a", "__x=a", "pid=1",
	    "hostname=h", "backend=perf", "env=", "env=a b", "env=a,b",
	    "env=a}", "e-v=a", "env=\xc3\xa9" };
	char *cause, buf[32];
	size_t i;
	int rc;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		rc = push_check_tag(good[i], &cause);
		ok(rc == 0, "tag %s taken", good[i]);
		free(cause);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		rc = push_check_tag(bad[i], &cause);
		ok(rc < 0 && cause != NULL, "tag %s refused: %s", bad[i],
		    cause ? cause : "?");
		free(cause);
	}
	ok(push_check_url("http://127.0.0.1:4040", &cause) == 0, "http URL");
	free(cause);
	ok(push_check_url("https://pyroscope.example/prefix/", &cause) == 0,
	    "https URL with a path");
	free(cause);
	ok(push_check_url("http://user@host:4040", &cause) == 0,
	    "a user without a password is taken");
	free(cause);
	rc = push_check_url("http://user:pw@host", &cause);
	ok(rc < 0 && cause &&
	    strstr(cause, "CTOP_PUSH_PASSWORD") && !strstr(cause, "pw@"),
	    "a password is refused, naming the variables: %s", cause);
	free(cause);
	ok(push_check_url("file:///etc/passwd", &cause) < 0, "file: refused");
	free(cause);
	ok(push_check_url("not a url", &cause) < 0, "garbage refused");
	free(cause);
	push_app_from_comm("my prog[1]", buf, sizeof buf);
	is_str(buf, "my_prog_1_", "app name from a comm: odd characters _");
	push_app_from_comm("", buf, sizeof buf);
	is_str(buf, "unknown", "an empty comm");
}

int
main(void)
{
	test_interval();
	test_interval_locs();
	test_labels();
	return done_testing();
}
