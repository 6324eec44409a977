/* SPDX-License-Identifier: MIT */
/* export: helpers shared by the writers of text formats (speedscope's
 * JSON, the SVG's XML), which must stay valid whatever bytes a name has. */
#ifndef CTOP_EXPORT_INTERNAL_H
#define CTOP_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctop/profile.h"

/* folded_read over an open stream; path names it in messages. */
int export__folded_read_stream(struct profile *p, FILE *in,
    const char *path, char **cause);

/* The readers of the other formats, over the whole input in memory (path
 * names it in messages). Each returns 0, or -EINVAL with *cause "PATH:
 * byte N: what" or "PATH:LINE: what", or -ENOMEM. A pprof gunzipped first
 * (inflated) has its byte named in the inflated bytes: "PATH: pprof: byte
 * N of the inflated ...", not a byte of the file. */
int export__pprof_read(struct profile *p, const uint8_t *buf, size_t len,
    bool inflated, const char *path, char **cause);
int export__speedscope_read(struct profile *p, const char *buf, size_t len,
    const char *path, char **cause);
int export__perf_script_read(struct profile *p, const char *buf, size_t len,
    const char *path, char **cause);

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
