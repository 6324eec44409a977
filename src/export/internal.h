/* SPDX-License-Identifier: MIT */
/* export: helpers shared by the writers of text formats (speedscope's
 * JSON, the SVG's XML), which must stay valid whatever bytes a name has. */
#ifndef CTOP_EXPORT_INTERNAL_H
#define CTOP_EXPORT_INTERNAL_H

#include <stddef.h>

/* The length (2-4) of the well-formed UTF-8 sequence of a multi-byte
 * character at s (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF), or 0 when s does not start one. */
static inline size_t
export__utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

#endif
