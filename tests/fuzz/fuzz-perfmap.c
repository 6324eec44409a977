/* SPDX-License-Identifier: MIT */
/* Fuzz target for the JIT perf map parser and table (src/symbols/perfmap.c):
 * the input is a perf map. An independent scanner says which lines are
 * entries; the parser must return exactly those, in order, whether the
 * input comes in one piece or two (as a growing file is read). The entries
 * then go into the interval table, in one batch and in two: every range
 * is disjoint and sorted, and a lookup finds what a brute-force scan finds
 * (the latest entry containing the address). */
#include "config.h"

#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/symbols/internal.h"

/* Probed entries and segments per input: the brute force is quadratic. */
#define PROBES 32

struct entry {
	uint64_t start, size;
	const char *name;	/* into the input; not NUL-terminated */
	size_t name_len;
};

struct list {
	struct entry *v;
	size_t n, cap;
};

static bool
list_push(struct list *l, const struct entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct entry *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return true;
}

/* ------------------------------------------------------------------------
 * The oracle: perf's format as ctop-prof(1) states it, scanned by tokens
 * ------------------------------------------------------------------------ */

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A token is a hex number: an optional 0x, then 1 or more hex digits, no
 * more than 16 of them once leading zeros are dropped. */
static bool
oracle_hex(const char *t, size_t len, uint64_t *out)
{
	size_t i = 0, sig = 0;
	uint64_t v = 0;

	if (len >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
		i = 2;
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = t[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (sig || d)
			sig++;
		v = v * 16 + d;
	}
	if (sig > 16)
		return false;
	*out = v;
	return true;
}

/* The length of the run of non-blank bytes at s[0, len). */
static size_t
token(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && !blank(s[n]))
		n++;
	return n;
}

static size_t
blanks(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && blank(s[n]))
		n++;
	return n;
}

static void
oracle_line(const char *s, size_t len, struct list *out)
{
	struct entry e;
	size_t t;

	while (len && (blank(s[len - 1]) || s[len - 1] == '\r'))
		len--;
	t = token(s, len);
	if (!oracle_hex(s, t, &e.start) || t == len)
		return;
	s += t, len -= t;
	t = blanks(s, len);
	s += t, len -= t;
	t = token(s, len);
	if (!oracle_hex(s, t, &e.size) || t == len)
		return;
	s += t, len -= t;
	t = blanks(s, len);
	s += t, len -= t;
	if (len == 0 || memchr(s, '\0', len) || e.size == 0 ||
	    e.start > UINT64_MAX - e.size)
		return;
	e.name = s;
	e.name_len = len;
	fuzz_check(list_push(out, &e), "out of memory");
}

/* Every complete line's entry; returns the bytes of complete lines. */
static size_t
oracle_scan(const char *d, size_t size, struct list *out)
{
	size_t at = 0, end = 0;

	for (size_t i = 0; i < size; i++) {
		if (d[i] != '\n')
			continue;
		if (i - at <= SYMBOLS_PERFMAP_MAX_LINE)
			oracle_line(d + at, i - at, out);
		at = end = i + 1;
	}
	return end;
}

/* ------------------------------------------------------------------------
 * The module's parser
 * ------------------------------------------------------------------------ */

static int
collect(void *ctx, uint64_t start, uint64_t size, const char *name,
    size_t name_len)
{
	struct entry e = { start, size, name, name_len };

	fuzz_check(name_len > 0 && !memchr(name, '\0', name_len),
	    "empty name or NUL in it");
	fuzz_check(list_push(ctx, &e), "out of memory");
	return 0;
}

static void
check_same(const struct list *want, const struct list *got, const char *how)
{
	fuzz_check(want->n == got->n, "%s: %zu entries, the oracle %zu", how,
	    got->n, want->n);
	for (size_t i = 0; i < want->n; i++) {
		const struct entry *a = &want->v[i], *b = &got->v[i];

		fuzz_check(a->start == b->start && a->size == b->size &&
		    a->name_len == b->name_len &&
		    memcmp(a->name, b->name, a->name_len) == 0,
		    "%s: entry %zu: %llx %llx '%.*s', the oracle %llx %llx "
		    "'%.*s'", how, i, (unsigned long long)b->start,
		    (unsigned long long)b->size, (int)b->name_len, b->name,
		    (unsigned long long)a->start, (unsigned long long)a->size,
		    (int)a->name_len, a->name);
	}
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

/* The latest entry containing pc, or -1. */
static long
brute_find(const struct list *l, uint64_t pc)
{
	for (size_t i = l->n; i > 0; i--) {
		const struct entry *e = &l->v[i - 1];

		if (pc >= e->start && pc - e->start < e->size)
			return (long)(i - 1);
	}
	return -1;
}

static void
check_lookup(const struct symbols__jit_table *t, const struct list *l,
    uint64_t pc)
{
	const struct symbols__jit *e = symbols__jit_table_find(t, pc);
	long want = brute_find(l, pc);

	if (want < 0) {
		fuzz_check(e == NULL, "pc %llx: found '%s', expected nothing",
		    (unsigned long long)pc, e->name);
		return;
	}
	fuzz_check(e != NULL, "pc %llx: nothing, expected entry %ld",
	    (unsigned long long)pc, want);
	fuzz_check(e->seq == (uint64_t)want, "pc %llx: entry %llu, "
	    "expected %ld", (unsigned long long)pc,
	    (unsigned long long)e->seq, want);
}

/* Adds l's entries [from, to) in file order; names are their indices'
 * NUL-terminated copies. Returns false when out of memory. */
static bool
table_add(struct symbols__jit_table *t, const struct list *l, char **names,
    size_t from, size_t to)
{
	struct symbols__jit *b = malloc((to - from + 1) * sizeof *b);
	bool overlap;
	int rc;

	if (!b)
		return false;
	for (size_t i = from; i < to; i++)
		b[i - from] = (struct symbols__jit){ l->v[i].start,
		    l->v[i].start + l->v[i].size, names[i], 0 };
	rc = symbols__jit_table_add(t, b, to - from, &overlap);
	free(b);
	fuzz_check(rc == 0 || rc == -ENOMEM, "table_add: %d", rc);
	return rc == 0;
}

static void
check_table(const struct symbols__jit_table *t, const struct list *l,
    char **names)
{
	size_t step = l->n / PROBES + 1;

	for (size_t i = 0; i < t->n; i++) {
		const struct symbols__jit *e = &t->v[i];

		fuzz_check(e->start < e->end, "empty segment %zu", i);
		fuzz_check(i == 0 || t->v[i - 1].end <= e->start,
		    "segments %zu and %zu overlap or are unsorted", i - 1, i);
		fuzz_check(e->seq < l->n, "segment %zu: seq %llu", i,
		    (unsigned long long)e->seq);
		fuzz_check(e->name == names[e->seq], "segment %zu: the name "
		    "of another entry", i);
	}
	for (size_t i = 0; i < t->n; i += t->n / PROBES + 1)
		check_lookup(t, l, t->v[i].start);
	for (size_t i = 0; i < l->n; i += step) {
		const struct entry *e = &l->v[i];
		uint64_t end = e->start + e->size;

		check_lookup(t, l, e->start);
		check_lookup(t, l, e->start + e->size / 2);
		check_lookup(t, l, end - 1);
		check_lookup(t, l, end);
		if (e->start)
			check_lookup(t, l, e->start - 1);
	}
}

static void
check_tables(const struct list *l)
{
	struct symbols__jit_table one = { 0 }, two = { 0 };
	char **names = calloc(l->n + 1, sizeof *names);
	size_t half = l->n / 2;

	fuzz_check(names != NULL, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		names[i] = strndup(l->v[i].name, l->v[i].name_len);
		fuzz_check(names[i] != NULL, "out of memory");
	}
	if (table_add(&one, l, names, 0, l->n))
		check_table(&one, l, names);
	/* As a growing map is read: the second batch over the first. */
	if (table_add(&two, l, names, 0, half) &&
	    table_add(&two, l, names, half, l->n))
		check_table(&two, l, names);
	symbols__jit_table_free(&one);
	symbols__jit_table_free(&two);
	for (size_t i = 0; i < l->n; i++)
		free(names[i]);
	free(names);
}

FUZZ_TARGET(perfmap)
{
	const char *d = (const char *)data;
	struct list want = { 0 }, whole = { 0 }, parts = { 0 };
	size_t used, cut, used1, used2;

	used = oracle_scan(d, size, &want);
	used1 = symbols__perfmap_parse(d, size, collect, &whole);
	fuzz_check(used1 == used, "consumed %zu bytes, the oracle %zu", used1,
	    used);
	check_same(&want, &whole, "in one piece");

	/* In two pieces, cut where the first byte says: the second read
	 * starts where the first stopped, as read_new() does. */
	cut = size ? (size_t)data[0] * size / 256 : 0;
	used1 = symbols__perfmap_parse(d, cut, collect, &parts);
	used2 = symbols__perfmap_parse(d + used1, size - used1, collect, &parts);
	fuzz_check(used1 + used2 == used, "in two pieces: consumed %zu + %zu, "
	    "in one %zu", used1, used2, used);
	check_same(&want, &parts, "in two pieces");

	check_tables(&want);
	free(want.v);
	free(whole.v);
	free(parts.v);
	return 0;
}
