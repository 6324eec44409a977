/* SPDX-License-Identifier: MIT */
/* Fuzz target for the folded reader (folded_read): the input is a folded
 * file. An independent line scanner says whether it must parse and what
 * it sums to; when it parses, the view is checked, written back with
 * folded_write, re-read and written again: the totals must agree and the
 * second output must hold the same stacks as the first. No output holds a
 * control byte (C0 but the line ends, DEL): the writer makes them '_'. */
#include "config.h"

#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"
#include "ctop/profile.h"

/* ------------------------------------------------------------------------
 * The oracle: the format of interface.md, read without the module's code
 * ------------------------------------------------------------------------ */

/* One line of text at data[0, len) (no '\n'), CR already stripped. */
struct line {
	const char *s;
	size_t len;
};

/* The next '\n'-terminated line of data[*at, size); a last line without
 * '\n' counts, an empty tail does not. Strips one trailing '\r'. */
static int
next_line(const char *data, size_t size, size_t *at, struct line *l)
{
	const char *nl;

	if (*at >= size)
		return 0;
	l->s = data + *at;
	nl = memchr(l->s, '\n', size - *at);
	l->len = nl ? (size_t)(nl - l->s) : size - *at;
	*at += l->len + (nl != NULL);
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	return 1;
}

/* Splits a non-empty line into stack and count. Returns 0 when it is
 * `STACK COUNT` with a non-empty stack, no NUL and a count in
 * [1, UINT64_MAX]; *stack_len is then the length of the stack. */
static int
split_line(const struct line *l, size_t *stack_len, uint64_t *count)
{
	size_t sp = l->len, i;
	uint64_t v = 0;

	if (memchr(l->s, '\0', l->len))
		return -1;
	while (sp > 0 && l->s[sp - 1] != ' ')
		sp--;
	if (sp <= 1 || sp == l->len)
		return -1;	/* no space, no stack, or no count */
	for (i = sp; i < l->len; i++) {
		unsigned d = (unsigned char)l->s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v == 0)
		return -1;
	*stack_len = sp - 1;
	*count = v;
	return 0;
}

/* Sums the counts of a folded text. Returns 0 when every line is valid,
 * else the number (from 1) of the first bad line: a line is bad too when
 * the counts up to it add up past UINT64_MAX. */
static unsigned long
oracle_scan(const char *data, size_t size, uint64_t *sum)
{
	unsigned long lineno = 0;
	struct line l;
	size_t at = 0, slen;
	uint64_t count;

	*sum = 0;
	while (next_line(data, size, &at, &l)) {
		lineno++;
		if (l.len == 0)
			continue;
		if (split_line(&l, &slen, &count) ||
		    count > UINT64_MAX - *sum)
			return lineno;	/* bad, or the sum passes 2^64 - 1 */
		*sum += count;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Stack sets: a folded text as sorted (stack, summed count) pairs
 * ------------------------------------------------------------------------ */

struct agg {
	const char *stack;
	size_t len;
	uint64_t count;
};

static int
agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->stack, y->stack, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Builds the sorted set of a valid folded text; identical stacks merge and
 * a sum that wraps to 0 drops out (the writer skips such nodes). Returns
 * the number of entries in *out (caller frees), or -1 when out of memory. */
static long
agg_build(const char *text, size_t size, struct agg **out)
{
	struct agg *a;
	struct line l;
	size_t at = 0, n = 0, i, k = 0;

	*out = NULL;
	for (i = 0; i < size; i++)
		n += text[i] == '\n';
	a = calloc(n + 1, sizeof(*a));
	if (!a)
		return -1;
	n = 0;
	while (next_line(text, size, &at, &l)) {
		if (l.len && split_line(&l, &a[n].len, &a[n].count) == 0) {
			a[n].stack = l.s;
			n++;
		}
	}
	qsort(a, n, sizeof(*a), agg_cmp);
	for (i = 0; i < n; i++) {
		if (k && agg_cmp(&a[k - 1], &a[i]) == 0)
			a[k - 1].count += a[i].count;
		else
			a[k++] = a[i];
		if (a[k - 1].count == 0)
			k--;
	}
	*out = a;
	return (long)k;
}

/* ------------------------------------------------------------------------
 * Checks on profiles and views
 * ------------------------------------------------------------------------ */

/* Every node's total is its self plus its children's totals; children
 * link back to it, one level deeper, by non-increasing total. */
static void
check_view(const struct pview *v)
{
	uint32_t i, c;

	fuzz_check(v->n_nodes >= 1, "a view has a root");
	fuzz_check(v->nodes[0].total == v->total, "%llu != %llu",
	    (unsigned long long)v->nodes[0].total,
	    (unsigned long long)v->total);
	for (i = 0; i < v->n_nodes; i++) {
		const struct pview_node *n = &v->nodes[i];
		uint64_t sum = n->self, prev = UINT64_MAX;

		for (c = n->first_child; c != PROFILE_NO_NODE;
		    c = v->nodes[c].next_sibling) {
			fuzz_check(c < v->n_nodes, "child %u of %u", c, i);
			fuzz_check(v->nodes[c].parent == i, "parent of %u", c);
			fuzz_check(v->nodes[c].depth == n->depth + 1,
			    "depth of %u", c);
			fuzz_check(v->nodes[c].total <= prev,
			    "children of %u out of order", i);
			fuzz_check(v->nodes[c].frame < v->n_frames,
			    "frame of %u", c);
			prev = v->nodes[c].total;
			sum += prev;
		}
		fuzz_check(sum == n->total, "node %u: self + children %llu, "
		    "total %llu", i, (unsigned long long)sum,
		    (unsigned long long)n->total);
	}
}

/* No byte of a written file is a C0 control (but the '\n' ending each
 * line) or DEL: names holding them, such as an escape sequence a target
 * chose as its name, are written with '_' in their place. */
static void
check_no_controls(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		fuzz_check((c >= 0x20 && c != 0x7f) || c == '\n',
		    "control byte 0x%02x written at offset %zu", c, i);
	}
}

/* folded_write(v, node) into a malloc'd string (*len bytes). */
static char *
write_text(const struct pview *v, uint32_t node, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	int err;

	if (!m)
		return NULL;
	err = folded_write(m, v, node);
	if (fclose(m) != 0 || err) {
		fuzz_check(err == -ENOMEM || err == 0, "folded_write: %d",
		    err);
		free(buf);
		return NULL;
	}
	check_no_controls(buf, *len);
	return buf;
}

/* The output through `node` parses and sums to `want`. */
static void
check_written_sum(const struct pview *v, uint32_t node, uint64_t want)
{
	size_t len;
	char *text = write_text(v, node, &len);
	uint64_t sum;
	unsigned long bad;

	if (!text)
		return;
	bad = oracle_scan(text, len, &sum);
	fuzz_check(bad == 0, "written line %lu does not parse:\n%.300s", bad,
	    text);
	fuzz_check(sum == want, "written sum %llu, want %llu",
	    (unsigned long long)sum, (unsigned long long)want);
	free(text);
}

/* A function's callee tree sums to the function's total; a subtree's
 * output sums to the node's total. */
static void
check_focus(const struct pview *v)
{
	uint32_t pick[2], i;

	if (v->n_funcs == 0)
		return;
	pick[0] = 0;
	pick[1] = v->n_funcs - 1;
	for (i = 0; i < 2; i++) {
		const struct pview_func *fn = &v->funcs[pick[i]];
		struct pview *f = pview_focus(v, fn->frame);

		if (!f)
			continue;
		check_view(f);
		fuzz_check(f->total == fn->total, "focus total %llu, "
		    "function total %llu", (unsigned long long)f->total,
		    (unsigned long long)fn->total);
		/* Regression (focus-empty-name): a frame named "" is written
		 * as [unknown], so even a one-frame line reads back. */
		check_written_sum(f, 0, f->total);
		pview_unref(f);
	}
	if (v->nodes[0].first_child != PROFILE_NO_NODE) {
		uint32_t n = v->nodes[0].first_child;

		check_written_sum(v, n, v->nodes[n].total);
	}
}

/* ------------------------------------------------------------------------
 * Round trip
 * ------------------------------------------------------------------------ */

/* Reads `size` bytes of folded text as a file into a new profile and
 * builds its cumulative view. Returns the error of folded_read; *vp is
 * NULL when out of memory. */
static int
read_view(struct fuzz_file *file, const void *data, size_t size,
    struct profile **pp, struct pview **vp, char **cause)
{
	const char *path = fuzz_file_set(file, data, size);
	int err;

	*pp = NULL;
	*vp = NULL;
	*cause = NULL;
	fuzz_check(path != NULL, "memfd: %s", strerror(errno));
	*pp = profile_new(NULL);
	if (!*pp)
		return -ENOMEM;
	err = folded_read(*pp, path, cause);
	if (err == 0)
		*vp = profile_view(*pp, NULL, 0);
	return err;
}

/* An error names the first bad line: "PATH:LINE: what". */
static void
check_error(int err, const char *path, const char *cause, unsigned long bad)
{
	size_t plen = strlen(path);

	fuzz_check(err == -EINVAL, "valid until line %lu, got error %d",
	    bad, err);
	fuzz_check(bad != 0, "the oracle accepts it, folded_read: %s",
	    cause ? cause : "(no cause)");
	fuzz_check(cause != NULL, "-EINVAL without a cause");
	fuzz_check(strncmp(cause, path, plen) == 0 && cause[plen] == ':' &&
	    strtoul(cause + plen + 1, NULL, 10) == bad,
	    "cause \"%s\", first bad line %lu", cause, bad);
}

/* Second half: text1 (the first output) read back must give the same
 * total and write the same stacks. */
static void
check_round_trip(const char *text1, size_t len1, uint64_t total)
{
	static struct fuzz_file file2 = FUZZ_FILE_INIT;
	struct profile *p2;
	struct pview *v2;
	struct agg *a1 = NULL, *a2 = NULL;
	char *cause, *text2 = NULL;
	size_t len2;
	long n1, n2, i;
	int err;

	err = read_view(&file2, text1, len1, &p2, &v2, &cause);
	if (err == -ENOMEM || (err == 0 && !v2))
		goto out;
	fuzz_check(err == 0, "re-reading the output: %s",
	    cause ? cause : "(no cause)");
	fuzz_check(v2->total == total, "total %llu after a round trip, "
	    "%llu before", (unsigned long long)v2->total,
	    (unsigned long long)total);
	text2 = write_text(v2, 0, &len2);
	if (!text2)
		goto out;
	n1 = agg_build(text1, len1, &a1);
	n2 = agg_build(text2, len2, &a2);
	if (n1 < 0 || n2 < 0)
		goto out;
	fuzz_check(n1 == n2, "%ld stacks written, %ld after a round trip",
	    n1, n2);
	for (i = 0; i < n1; i++)
		fuzz_check(agg_cmp(&a1[i], &a2[i]) == 0 &&
		    a1[i].count == a2[i].count,
		    "stack %ld differs: \"%.*s\" %llu vs \"%.*s\" %llu", i,
		    (int)a1[i].len, a1[i].stack,
		    (unsigned long long)a1[i].count, (int)a2[i].len,
		    a2[i].stack, (unsigned long long)a2[i].count);
out:
	free(a1);
	free(a2);
	free(text2);
	free(cause);
	pview_unref(v2);
	profile_free(p2);
}

FUZZ_TARGET(folded)
{
	static struct fuzz_file file1 = FUZZ_FILE_INIT;
	struct profile_stats st;
	struct profile *p;
	struct pview *v;
	char *cause, *text1;
	size_t len1;
	uint64_t sum;
	unsigned long bad = oracle_scan((const char *)data, size, &sum);
	int err;

	err = read_view(&file1, data, size, &p, &v, &cause);
	if (err == -ENOMEM || (err == 0 && !v))
		goto out;
	if (err) {
		check_error(err, file1.path, cause, bad);
		goto out;
	}
	fuzz_check(bad == 0, "line %lu is bad but the file parsed", bad);
	profile_get_stats(p, &st);
	fuzz_check(st.samples == sum && v->total == sum, "read %llu "
	    "samples (view %llu), the lines sum to %llu",
	    (unsigned long long)st.samples, (unsigned long long)v->total,
	    (unsigned long long)sum);
	check_view(v);
	check_focus(v);
	text1 = write_text(v, 0, &len1);
	if (text1) {
		uint64_t sum1;

		fuzz_check(oracle_scan(text1, len1, &sum1) == 0 &&
		    sum1 == sum, "the output does not parse or sums to %llu",
		    (unsigned long long)sum1);
		check_round_trip(text1, len1, sum);
		free(text1);
	}
out:
	free(cause);
	pview_unref(v);
	profile_free(p);
	return 0;
}
