/* SPDX-License-Identifier: MIT */
/* Fuzz target for the /proc/PID/maps line readers: symbols__maps_parse
 * (symbols) and sampler__maps_line_holds (the sampler's stack range). The
 * input is maps text; each line is given, as getline would, in a buffer
 * of its exact size. A strict reader of the kernel's format (written here,
 * without the module's code) says what a well-formed line holds: the
 * parsers must agree with it. Any line they accept must keep the path
 * inside the line and read back the same after being written again in
 * the kernel's format. */
#include "config.h"

#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sampler/internal.h"
#include "../../src/symbols/internal.h"

/* ------------------------------------------------------------------------
 * The oracle: the line format of proc(5), read without the module's code
 * ------------------------------------------------------------------------ */

struct oracle_line {
	uint64_t lo, hi, off, ino;
	uint32_t major, minor;
	bool exec;
	size_t path_at;		/* where the path starts in the line */
	size_t path_len;	/* its length once trimmed */
};

/* The whitespace of the C locale, which scanf's " " skips. */
static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
hex_digit(char c, bool upper_ok)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (upper_ok && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to max_digits hex digits at s[*at]; advances *at past every digit.
 * *v keeps the low 64 bits even when there are too many: a reader that
 * wraps would see it, and fuzz_maps probes there. */
static bool
read_hex(const char *s, size_t *at, int max_digits, bool upper_ok,
    uint64_t *v)
{
	int n = 0, d;

	*v = 0;
	while ((d = hex_digit(s[*at], upper_ok)) >= 0) {
		n++;
		*v = *v << 4 | (uint64_t)d;
		(*at)++;
	}
	return n > 0 && n <= max_digits;
}

/* 1 to 20 decimal digits that fit in 64 bits. */
static bool
read_dec(const char *s, size_t *at, uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (s[*at] >= '0' && s[*at] <= '9') {
		unsigned d = (unsigned)(s[*at] - '0');

		if (++n > 20 || *v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		(*at)++;
	}
	return n > 0;
}

static bool
expect(const char *s, size_t *at, char c)
{
	if (s[*at] != c)
		return false;
	(*at)++;
	return true;
}

/* The path as symbols promises it: the rest of the line less trailing
 * newlines and spaces, then less one " (deleted)" (the file was removed;
 * symbols wants its name). */
static size_t
trimmed_path_len(const char *p)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(p), dlen = sizeof deleted - 1;

	while (len && (p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	if (len > dlen && memcmp(p + len - dlen, deleted, dlen) == 0)
		len -= dlen;
	return len;
}

/* "LO-HI PERMS OFF MAJ:MIN INO[ PATH]", single spaces between fields as
 * the kernel writes them (any run of whitespace before the path), hex in
 * either case, PERMS 1 to 7 letters. True when s is such a line. */
static bool
oracle_parse(const char *s, struct oracle_line *o)
{
	size_t at = 0, perms_at, perms_len;
	uint64_t major, minor;

	memset(o, 0, sizeof *o);
	if (!read_hex(s, &at, 16, true, &o->lo) || !expect(s, &at, '-') ||
	    !read_hex(s, &at, 16, true, &o->hi) || !expect(s, &at, ' '))
		return false;
	perms_at = at;
	while (s[at] != '\0' && !is_space(s[at]))
		at++;
	perms_len = at - perms_at;
	if (perms_len < 1 || perms_len > 7 || !expect(s, &at, ' '))
		return false;
	o->exec = perms_len >= 3 && s[perms_at + 2] == 'x';
	if (!read_hex(s, &at, 16, true, &o->off) || !expect(s, &at, ' ') ||
	    !read_hex(s, &at, 8, true, &major) || !expect(s, &at, ':') ||
	    !read_hex(s, &at, 8, true, &minor) || !expect(s, &at, ' ') ||
	    !read_dec(s, &at, &o->ino))
		return false;
	if (s[at] != '\0' && !is_space(s[at]))
		return false;
	while (is_space(s[at]))
		at++;
	o->major = (uint32_t)major;
	o->minor = (uint32_t)minor;
	o->path_at = at;
	o->path_len = trimmed_path_len(s + at);
	return true;
}

/* "LO-HI" at the start, lower-case hex of 1 to 16 digits each, as the
 * kernel writes it; true with the range when the line starts so. Else
 * *lo and *hi are what a careless reader would take (0 for no digits,
 * the low bits of too many), where the probes go. */
static bool
oracle_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	size_t at = 0;
	bool lo_ok, dash, hi_ok;

	lo_ok = read_hex(s, &at, 16, false, lo);
	dash = expect(s, &at, '-');
	hi_ok = read_hex(s, &at, 16, false, hi);
	return lo_ok && dash && hi_ok;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

/* A copy of s in a buffer of its exact size: a read past it is an ASan
 * report. */
static char *
exact_copy(const char *s, size_t len)
{
	char *b = malloc(len + 1);

	if (b) {
		memcpy(b, s, len);
		b[len] = '\0';
	}
	return b;
}

static bool
same_fields(const struct symbols__maps_line *a,
    const struct symbols__maps_line *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->off == b->off &&
	    a->dev == b->dev && a->ino == b->ino && a->exec == b->exec &&
	    strcmp(a->path, b->path) == 0;
}

/* Written again in the kernel's format (a path with " (deleted)", so that
 * a path ending in spaces keeps them), the fields read back the same. */
static void
check_round_trip(const struct symbols__maps_line *ml)
{
	struct symbols__maps_line again;
	char *text = NULL, *line;
	int n;

	n = asprintf(&text, "%llx-%llx %s %llx %x:%x %llu %s%s\n",
	    (unsigned long long)ml->lo, (unsigned long long)ml->hi,
	    ml->exec ? "r-xp" : "r--p", (unsigned long long)ml->off,
	    (unsigned)(ml->dev >> 32), (unsigned)(ml->dev & 0xffffffffu),
	    (unsigned long long)ml->ino, ml->path,
	    ml->path[0] ? " (deleted)" : "");
	if (n < 0)
		return;
	line = exact_copy(text, (size_t)n);
	if (line) {
		fuzz_check(symbols__maps_parse(line, &again),
		    "written again, refused: %s", text);
		fuzz_check(same_fields(ml, &again), "written again as %s"
		    "read back %llx-%llx exec %d ino %llu path \"%s\"", text,
		    (unsigned long long)again.lo,
		    (unsigned long long)again.hi, again.exec,
		    (unsigned long long)again.ino, again.path);
	}
	free(line);
	free(text);
}

/* What symbols__maps_parse may do to the line: the fields before the path
 * stay, the path is cut in place by NULs, nothing beyond the string (an
 * embedded NUL and what follows) changes. orig: the line before, len + 1
 * bytes with a final NUL, like buf. */
static void
check_in_place(const char *orig, size_t len, const char *buf,
    const struct symbols__maps_line *ml)
{
	size_t slen = strlen(orig), at, plen;

	fuzz_check(ml->path >= buf && ml->path <= buf + slen,
	    "path %p outside the line [%p, %p]", (const void *)ml->path,
	    (const void *)buf, (const void *)(buf + slen));
	at = (size_t)(ml->path - buf);
	plen = strlen(ml->path);
	fuzz_check(at + plen <= slen, "path runs past the line");
	fuzz_check(memcmp(buf, orig, at + plen) == 0,
	    "bytes before the path's end changed");
	fuzz_check(memcmp(buf + slen, orig + slen, len + 1 - slen) == 0,
	    "bytes after the string changed");
	for (size_t i = at + plen; i < slen; i++)
		fuzz_check(buf[i] == '\0' || buf[i] == orig[i],
		    "byte %zu of the line rewritten as %#x", i,
		    (unsigned char)buf[i]);
	fuzz_check(!is_space(ml->path[0]), "path starts with whitespace");
	fuzz_check(plen == trimmed_path_len(orig + at),
	    "path \"%s\" (%zu bytes) not trimmed as promised", ml->path,
	    plen);
}

/* Fills the stack below the caller with 'x', so that a parser reading a
 * local it never set (say the third letter of perms that has two) sees an
 * 'x' every time rather than when the stack happens to hold one. */
static __attribute__((noinline)) void
paint_stack(void)
{
	char pad[1024];

	memset(pad, 'x', sizeof pad);
	/* The stores must happen though pad is never read. */
	__asm__ volatile("" : : "r"(pad) : "memory");
}

static void
check_parse(const char *line, size_t len)
{
	struct symbols__maps_line ml;
	struct oracle_line o;
	char *ref = exact_copy(line, len), *buf = exact_copy(line, len);
	const char *orig = ref;
	bool ok, want;

	if (!ref || !buf)
		goto out;
	want = oracle_parse(orig, &o);
	paint_stack();
	ok = symbols__maps_parse(buf, &ml);
	fuzz_check(ok || !want, "a well-formed line refused: %s", orig);
	if (want) {
		fuzz_check(ml.lo == o.lo && ml.hi == o.hi && ml.off == o.off &&
		    ml.ino == o.ino, "fields %llx-%llx %llx %llu, want "
		    "%llx-%llx %llx %llu: %s", (unsigned long long)ml.lo,
		    (unsigned long long)ml.hi, (unsigned long long)ml.off,
		    (unsigned long long)ml.ino, (unsigned long long)o.lo,
		    (unsigned long long)o.hi, (unsigned long long)o.off,
		    (unsigned long long)o.ino, orig);
		fuzz_check(ml.dev == ((uint64_t)o.major << 32 | o.minor),
		    "dev %#llx, want %x:%x", (unsigned long long)ml.dev,
		    o.major, o.minor);
		fuzz_check(ml.exec == o.exec, "exec %d, want %d: %s", ml.exec,
		    o.exec, orig);
		/* The sampler's reader of the same line (maps_watch.c),
		 * where it reads the range (lower-case hex, as the kernel
		 * writes it), tells exec the same. */
		{
			uint64_t lo = 0, hi = 0;
			bool x = !o.exec;

			if (sampler__maps_line_range(orig, &lo, &hi, &x) &&
			    lo == o.lo && hi == o.hi)
				fuzz_check(x == o.exec, "sampler: exec %d, want "
				    "%d: %s", x, o.exec, orig);
		}
		/* Its reader of a file's mapping (REC_MMAP on ptrace)
		 * gives the same fields where it takes the line. */
		{
			struct sampler_map_file f;

			if (sampler__maps_line_file(orig, &f) &&
			    f.lo == o.lo && f.hi == o.hi)
				fuzz_check(f.off == o.off && f.ino == o.ino &&
				    f.dev == ((uint64_t)o.major << 32 |
				    o.minor) && f.path == orig + o.path_at,
				    "sampler: file fields %llx %llu %#llx at "
				    "%td: %s", (unsigned long long)f.off,
				    (unsigned long long)f.ino,
				    (unsigned long long)f.dev,
				    f.path - orig, orig);
		}
		fuzz_check(ml.path == buf + o.path_at &&
		    strlen(ml.path) == o.path_len, "path \"%s\" at %td, want "
		    "%zu bytes at %zu: %s", ml.path, ml.path - buf,
		    o.path_len, o.path_at, orig);
	}
	if (ok) {
		check_in_place(orig, len, buf, &ml);
		check_round_trip(&ml);
	}
out:
	free(ref);
	free(buf);
}

static void
check_holds_at(const char *line, uint64_t sp, bool ranged, uint64_t lo,
    uint64_t hi)
{
	uint64_t got_lo = 0x5a5a, got_hi = 0xa5a5;
	bool holds = sampler__maps_line_holds(line, sp, &got_lo, &got_hi);

	if (!ranged) {
		fuzz_check(!holds, "no range at the start, yet it holds %#llx "
		    "in [%#llx, %#llx): %s", (unsigned long long)sp,
		    (unsigned long long)got_lo, (unsigned long long)got_hi,
		    line);
		return;
	}
	fuzz_check(holds == (lo <= sp && sp < hi), "[%#llx, %#llx) and "
	    "%#llx: holds says %d: %s", (unsigned long long)lo,
	    (unsigned long long)hi, (unsigned long long)sp, holds, line);
	if (holds)
		fuzz_check(got_lo == lo && got_hi == hi, "range [%#llx, "
		    "%#llx), want [%#llx, %#llx)",
		    (unsigned long long)got_lo, (unsigned long long)got_hi,
		    (unsigned long long)lo, (unsigned long long)hi);
	else
		fuzz_check(got_lo == 0x5a5a && got_hi == 0xa5a5,
		    "range written for an sp outside it");
}

/* sp at and around both ends of the range, and one the input chooses. */
static void
check_holds(const char *orig, size_t len, uint64_t any_sp)
{
	char *buf = exact_copy(orig, len);
	uint64_t lo = 0, hi = 0;
	bool ranged;

	if (!buf)
		return;
	ranged = oracle_range(buf, &lo, &hi);
	check_holds_at(buf, any_sp, ranged, lo, hi);
	check_holds_at(buf, lo - 1, ranged, lo, hi);
	check_holds_at(buf, lo, ranged, lo, hi);
	check_holds_at(buf, lo + (hi - lo) / 2, ranged, lo, hi);
	check_holds_at(buf, hi - 1, ranged, lo, hi);
	check_holds_at(buf, hi, ranged, lo, hi);
	free(buf);
}

/* Each line with its '\n' (getline's), then the last one without. */
FUZZ_TARGET(maps)
{
	const char *text = (const char *)data, *nl;
	size_t at = 0, len;
	uint64_t sp = 0;

	while (at < size) {
		nl = memchr(text + at, '\n', size - at);
		len = nl ? (size_t)(nl - (text + at)) + 1 : size - at;
		/* An sp from the bytes, so that the fuzzer can steer it. */
		for (size_t i = 0; i < len && i < 8; i++)
			sp = sp << 8 | (unsigned char)text[at + i];
		check_parse(text + at, len);
		check_holds(text + at, len, sp);
		at += len;
	}
	return 0;
}
