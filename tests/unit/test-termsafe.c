/* SPDX-License-Identifier: MIT */
/* termsafe: what reaches a terminal as is and what is escaped, on the
 * sequences a target could plant (OSC title, CSI clear, C1 CSI as UTF-8
 * and as a raw byte, bidi overrides) and on UTF-8 edge cases (overlong
 * forms, surrogates, past U+10FFFF, cut sequences); cutting the output
 * never splits an escape or a character. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before tap.h, whose diag() macro would rename the module's diag(). */
#include "ctop/diag.h"

#include "../tap.h"
#include "ctop/termsafe.h"

/* Compares without ever printing raw bytes: a failure shows both sides
 * escaped by a plain \xHH dump of every non-ASCII or control byte. */
static void
dump(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		o += (size_t)(c >= 0x20 && c < 0x7f ?
		    snprintf(out + o, size - o, "%c", c) :
		    snprintf(out + o, size - o, "<%02x>", c));
	}
	out[o] = '\0';
}

static void
check(const char *in, size_t len, bool utf8, const char *want,
    const char *what)
{
	char out[512], a[1024], b[1024];
	size_t n = termsafe_escape(out, sizeof out, in, len, utf8);
	int pass = n == strlen(want) && strcmp(out, want) == 0;

	ok(pass, "%s %s", utf8 ? "utf8:" : "ascii:", what);
	if (!pass) {
		dump(out, strlen(out), a, sizeof a);
		dump(want, strlen(want), b, sizeof b);
		diag("got \"%s\" (%zu), want \"%s\"", a, n, b);
	}
}

#define CHECK(in, utf8, want, what) check(in, sizeof(in) - 1, utf8, want, what)

static void
test_controls(void)
{
	CHECK("spin", true, "spin", "plain ASCII as is");
	CHECK("\x1b]2;pwned\x07", true, "\\x1b]2;pwned\\x07",
	    "OSC title sequence: ESC and BEL escaped");
	CHECK("\x1b[2J\x1b[H", true, "\\x1b[2J\\x1b[H", "CSI clear, home");
	CHECK("a\tb\nc\rd", true, "a\\x09b\\x0ac\\x0dd", "tab, newline, CR");
	CHECK("x\x7fy", true, "x\\x7fy", "DEL");
	CHECK("a\0b", true, "a\\x00b", "a NUL inside the given length");
	CHECK("\x1b]2;pwned\x07", false, "\\x1b]2;pwned\\x07",
	    "OSC title sequence");
	CHECK("back\\slash", true, "back\\slash", "a backslash stays");
	CHECK("std::vector<int>::push_back(int&&) [clone .cold]", true,
	    "std::vector<int>::push_back(int&&) [clone .cold]",
	    "a C++ name as is");
}

static void
test_utf8(void)
{
	CHECK("caf\xc3\xa9", true, "caf\xc3\xa9", "2-byte character as is");
	CHECK("caf\xc3\xa9", false, "caf\\xc3\\xa9",
	    "non-ASCII bytes escaped outside a UTF-8 locale");
	CHECK("/srv/\xe9\x96\xa2\xe6\x95\xb0.so", true,
	    "/srv/\xe9\x96\xa2\xe6\x95\xb0.so", "3-byte characters as is");
	CHECK("\xf0\x9f\x98\x80", true, "\xf0\x9f\x98\x80", "4-byte as is");
	CHECK("\xf4\x8f\xbf\xbf", true, "\xf4\x8f\xbf\xbf", "U+10FFFF as is");
	CHECK("\xef\xbf\xbd", true, "\xef\xbf\xbd", "U+FFFD as is");
	CHECK("\xc2\xa0", true, "\xc2\xa0", "U+00A0 (first after C1) as is");
	CHECK("\xc2\x9b" "2J", true, "\\u009b2J", "C1 CSI as UTF-8: \\u009b");
	CHECK("\xc2\x85\xc2\x80\xc2\x9f", true, "\\u0085\\u0080\\u009f",
	    "C1 NEL, first and last C1");
	CHECK("\x9b" "2J", true, "\\x9b2J", "raw 0x9b byte (8-bit CSI)");
	CHECK("a\x80z", true, "a\\x80z", "stray continuation byte");
	CHECK("\xe2\x80\xae" "evil", true, "\\u202eevil", "right-to-left override");
	CHECK("\xe2\x80\xa8\xe2\x81\xa6\xd8\x9c", true,
	    "\\u2028\\u2066\\u061c", "line separator, isolate, ALM");
	CHECK("\xe2\x80\x8d", true, "\xe2\x80\x8d", "ZWJ (emoji) as is");
	CHECK("\xc0\xaf", true, "\\xc0\\xaf", "overlong 2-byte /");
	CHECK("\xc1\xbf", true, "\\xc1\\xbf", "overlong 2-byte (c1)");
	CHECK("\xe0\x80\xaf", true, "\\xe0\\x80\\xaf", "overlong 3-byte");
	CHECK("\xf0\x80\x80\xaf", true, "\\xf0\\x80\\x80\\xaf",
	    "overlong 4-byte");
	CHECK("\xed\xa0\x80", true, "\\xed\\xa0\\x80", "surrogate U+D800");
	CHECK("\xed\x9f\xbf", true, "\xed\x9f\xbf", "U+D7FF as is");
	CHECK("\xf4\x90\x80\x80", true, "\\xf4\\x90\\x80\\x80",
	    "past U+10FFFF");
	CHECK("\xf5\x80\xfe\xff", true, "\\xf5\\x80\\xfe\\xff",
	    "f5, fe, ff never lead");
	CHECK("a\xe2\x82", true, "a\\xe2\\x82", "sequence cut by the end");
	CHECK("\xe2(x", true, "\\xe2(x", "lead byte then ASCII");
	CHECK("\xe2\x82\xc3\xa9", true, "\\xe2\\x82\xc3\xa9",
	    "cut sequence, then a good character");
	check("\xe2\x82\xac", 2, true, "\\xe2\\x82",
	    "euro sign cut by the given length");
}

static void
test_cut(void)
{
	char out[16];
	size_t n;

	n = termsafe_escape(out, 5, "ab\x1b" "c", 4, true);
	ok(n == 7 && strcmp(out, "ab") == 0,
	    "a cut output ends before an escape that does not fit (%zu)", n);
	n = termsafe_escape(out, 4, "a\x1b" "bc", 4, true);
	ok(strcmp(out, "a") == 0, "and nothing after it, even if it fits");
	n = termsafe_escape(out, 4, "ab\xc3\xa9", 4, true);
	ok(n == 4 && strcmp(out, "ab") == 0,
	    "a character that does not fit is left out whole");
	n = termsafe_escape(NULL, 0, "\x1b\x1b", 2, true);
	is_int(n, 8, "size 0: only the length");
	n = termsafe_escape(out, 1, "abc", 3, true);
	ok(n == 3 && out[0] == '\0', "size 1: an empty string");
}

static void
test_helpers(bool utf8)
{
	char in[400], want[2400], *got, *buf = NULL;
	size_t len = 0, o = 0;
	FILE *m;
	int n;

	/* Characters straddling the fputs slices (every 80 input bytes). */
	for (int i = 0; i < 79; i++)
		in[o++] = 'a';
	for (int i = 0; i < 60; i++) {
		memcpy(in + o, i % 3 ? "\xc3\xa9" : "\xe2\x82\xac\x1b", i % 3 ?
		    2 : 4);
		o += i % 3 ? 2 : 4;
	}
	in[o] = '\0';
	termsafe_escape(want, sizeof want, in, o, utf8);
	got = termsafe_dup(in);
	ok(got && strcmp(got, want) == 0, "termsafe_dup escapes as the locale "
	    "says");
	free(got);
	m = open_memstream(&buf, &len);
	n = m ? termsafe_fputs(in, m) : -1;
	if (m)
		fclose(m);
	ok(buf && n == (int)strlen(want) && strcmp(buf, want) == 0,
	    "termsafe_fputs in slices: the same text (%d bytes), no "
	    "character split at a slice end", n);
	free(buf);
}

/* -v and --log lines go through the same rule: a name in a diagnostic
 * cannot reach the log or stderr raw. */
static void
test_diag(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m) {
		ok(0, "open_memstream");
		return;
	}
	diag_set(m);
	(diag)("thread %s: %d", "\x1b]2;pwned\x07", 7);
	diag_set(NULL);
	fclose(m);
	ok(buf && strcmp(buf, "ctop-prof: thread \\x1b]2;pwned\\x07: 7\n") == 0,
	    "diag escapes its line");
	free(buf);
}

int
main(void)
{
	bool utf8;

	test_controls();
	test_utf8();
	test_cut();
	utf8 = setlocale(LC_ALL, "C.UTF-8") != NULL;
	ok(termsafe_locale_utf8() == utf8, "the locale decides: C.UTF-8 %s",
	    utf8 ? "is UTF-8" : "is missing");
	test_helpers(utf8);
	test_diag();
	return done_testing();
}
