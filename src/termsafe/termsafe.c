/* SPDX-License-Identifier: MIT */
/* termsafe: escapes outside text before it reaches a terminal (see
 * include/ctop/termsafe.h for what is escaped and how). A module of its
 * own, with no dependency, because every output path uses it: diag's
 * -v/--log lines, the error and summary lines of cli, batch tables and
 * the TUI's canvas. */
#include "config.h"

#include "ctop/termsafe.h"

#include <langinfo.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Valid characters that are not shown: C1 controls (a UTF-8 terminal may
 * act on U+009B as CSI), the Arabic letter mark, left-to-right and
 * right-to-left marks, line and paragraph separators, embeddings and
 * overrides, isolates (they reorder what the user reads). */
static bool
code_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/* Length and first-byte bits of a well-formed UTF-8 sequence led by b,
 * with the range its second byte must lie in (RFC 3629: this refuses
 * overlong forms, surrogates and code points past U+10FFFF). 0 when b
 * leads none. */
static int
utf8_lead(unsigned char b, uint32_t *cp, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf) {
		*cp = b & 0x1f;
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		*cp = b & 0x0f;
		if (b == 0xe0)
			*lo = 0xa0;
		else if (b == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		*cp = b & 0x07;
		if (b == 0xf0)
			*lo = 0x90;
		else if (b == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 0;
}

void
termsafe_decode(const char *s, size_t len, bool utf8, struct termsafe_ch *ch)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo, hi;
	uint32_t cp;
	int n, i;

	ch->cp = u[0];
	ch->len = 1;
	ch->show = TERMSAFE_BYTE;
	if (u[0] >= 0x20 && u[0] < 0x7f) {
		ch->show = TERMSAFE_SHOW;
		return;
	}
	if (u[0] < 0x80 || !utf8)
		return;
	n = utf8_lead(u[0], &cp, &lo, &hi);
	if (n == 0 || (size_t)n > len || u[1] < lo || u[1] > hi)
		return;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return;		/* cut short: the lead byte alone */
		cp = cp << 6 | (u[i] & 0x3f);
	}
	ch->cp = cp;
	ch->len = (uint8_t)n;
	ch->show = code_hidden(cp) ? TERMSAFE_CODE : TERMSAFE_SHOW;
}

size_t
termsafe_escape(char *out, size_t size, const char *s, size_t len, bool utf8)
{
	static const char hex[] = "0123456789abcdef";
	struct termsafe_ch ch;
	size_t need = 0, i = 0, n, end = 0;
	bool full = false;
	char esc[8];
	const char *piece;

	while (i < len) {
		termsafe_decode(s + i, len - i, utf8, &ch);
		piece = s + i;
		n = ch.len;
		if (ch.show == TERMSAFE_BYTE) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch.cp >> 4 & 0xf];
			esc[3] = hex[ch.cp & 0xf];
			piece = esc;
			n = 4;
		} else if (ch.show == TERMSAFE_CODE) {
			esc[0] = '\\';
			esc[1] = 'u';
			for (int k = 0; k < 4; k++)
				esc[2 + k] = hex[ch.cp >> (12 - 4 * k) & 0xf];
			piece = esc;
			n = 6;
		}
		/* Whole pieces only, and none after one that did not fit: a
		 * cut escape or character would itself be a stray byte. */
		if (!full && size > 0 && n < size - need)
			memcpy(out + need, piece, n);
		else if (!full) {
			full = true;
			end = need;
		}
		need += n;
		i += ch.len;
	}
	if (size > 0)
		out[full ? end : need] = '\0';
	return need;
}

bool
termsafe_locale_utf8(void)
{
	/* 0 unknown, 1 no, 2 yes: a race reads the same locale twice. */
	static atomic_int known;
	int v = atomic_load_explicit(&known, memory_order_relaxed);

	if (v == 0) {
		const char *cs = nl_langinfo(CODESET);

		v = cs && (strcmp(cs, "UTF-8") == 0 ||
		    strcmp(cs, "utf8") == 0) ? 2 : 1;
		atomic_store_explicit(&known, v, memory_order_relaxed);
	}
	return v == 2;
}

char *
termsafe_dup(const char *s)
{
	size_t len = strlen(s);
	bool utf8 = termsafe_locale_utf8();
	size_t need = termsafe_escape(NULL, 0, s, len, utf8);
	char *out = malloc(need + 1);

	if (out)
		termsafe_escape(out, need + 1, s, len, utf8);
	return out;
}

int
termsafe_fputs(const char *s, FILE *f)
{
	char buf[512];
	size_t len = strlen(s), done = 0, step, n;
	bool utf8 = termsafe_locale_utf8();
	int total = 0, k;

	/* In slices of at most 80 input bytes (480 escaped), no allocation.
	 * A slice ends before a byte that is no continuation byte, so no
	 * character is cut in two (a sequence has at most 3 of them). */
	while (done < len) {
		step = len - done < 80 ? len - done : 80;
		for (k = 0; k < 3 && done + step < len &&
		    ((unsigned char)s[done + step] & 0xc0) == 0x80; k++)
			step--;
		n = termsafe_escape(buf, sizeof buf, s + done, step, utf8);
		if (fwrite(buf, 1, n, f) != n)
			return -1;
		total += (int)n;
		done += step;
	}
	return total;
}
