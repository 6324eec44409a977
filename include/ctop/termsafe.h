/* SPDX-License-Identifier: MIT */
/* termsafe: the one place that decides which bytes of outside text (a
 * process or thread name, a symbol, a path, a line of a loaded file, a
 * cause naming any of them) may reach a terminal as they are. Everything
 * else is shown escaped, so a target cannot retitle, clear or reprogram
 * the user's terminal through ctop-prof's output.
 *
 * Shown as is: printable ASCII, and (in a UTF-8 locale) valid UTF-8 of
 * printable characters. Escaped, each byte as \xHH: C0 controls, DEL,
 * bytes that are not valid UTF-8 (stray continuation bytes, overlong
 * forms, surrogates, beyond U+10FFFF, cut sequences), and in any other
 * locale every byte above 0x7f (a Latin-1 terminal would take 0x9b as
 * CSI). Escaped as \uHHHH: valid characters that steer a terminal or the
 * text's direction: C1 controls U+0080-U+009F, U+061C, U+200E, U+200F,
 * U+2028-U+202E, U+2066-U+2069. A backslash stays a backslash: the
 * escaped text is for reading, not for parsing back.
 * Thread: any (termsafe_locale_utf8 caches the locale of the first call;
 * main calls setlocale before any thread starts). */
#ifndef CTOP_TERMSAFE_H
#define CTOP_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum termsafe_show {
	TERMSAFE_SHOW,		/* printable: its bytes go out as they are */
	TERMSAFE_BYTE,		/* one byte to escape as \xHH */
	TERMSAFE_CODE,		/* a valid character to escape as \uHHHH */
};

/* One character of text: what termsafe_decode found. */
struct termsafe_ch {
	uint32_t cp;		/* the code point; the byte for TERMSAFE_BYTE */
	uint8_t len;		/* bytes it takes in the text, 1 to 4 */
	uint8_t show;		/* enum termsafe_show */
};

/* Decodes the character at s[0, len) (len >= 1; a NUL byte is a C0
 * control like any other). utf8: whether valid multi-byte UTF-8 may be
 * shown at all (else every byte above 0x7f is TERMSAFE_BYTE). */
void termsafe_decode(const char *s, size_t len, bool utf8,
    struct termsafe_ch *ch);

/* Writes s[0, len) escaped into out[0, size), always NUL-terminated when
 * size > 0 and never cutting an escape or a character in two. Returns
 * the length the whole escaped text has (as snprintf: a result >= size
 * means it was cut). At most 6 bytes per byte of s. */
size_t termsafe_escape(char *out, size_t size, const char *s, size_t len,
    bool utf8);

/* Whether the locale's codeset (LC_CTYPE) is UTF-8; read on the first
 * call and kept. */
bool termsafe_locale_utf8(void);

/* The NUL-terminated s escaped for the locale, in a malloc'd string
 * (caller frees), or NULL when out of memory. */
char *termsafe_dup(const char *s);

/* Writes the NUL-terminated s escaped for the locale to f. Returns the
 * bytes written, or -1 on a write error. */
int termsafe_fputs(const char *s, FILE *f);

#endif
