/* SPDX-License-Identifier: MIT */
/* Fuzz target for termsafe_escape: the input's first byte picks the mode
 * (bit 0: UTF-8) and an output size (the rest of it), the remaining bytes
 * are the text. Whatever the text, the escaped output holds no C0 or C1
 * control, no DEL, and is valid UTF-8 (pure printable ASCII outside UTF-8); escaping
 * it again changes nothing; a cut output is a prefix of the whole one that
 * ends between two pieces (never inside an escape or a character). */
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "ctop/termsafe.h"

/* The oracle's own UTF-8 check (RFC 3629, as in the module's header). */
static size_t
utf8_valid_len(const unsigned char *s, size_t len)
{
	unsigned char b = s[0];
	size_t n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 :
	    b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;

	if (n == 0 || n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((b == 0xe0 && s[1] < 0xa0) || (b == 0xed && s[1] > 0x9f) ||
	    (b == 0xf0 && s[1] < 0x90) || (b == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

static void
check_output(const char *out, size_t len, bool utf8)
{
	const unsigned char *u = (const unsigned char *)out;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_valid_len(u + i, len - i);

		fuzz_check(n > 0, "invalid UTF-8 at %zu", i);
		fuzz_check(n > 1 || (u[i] >= 0x20 && u[i] != 0x7f),
		    "control byte 0x%02x at %zu", u[i], i);
		fuzz_check(n == 1 || utf8, "non-ASCII at %zu outside UTF-8", i);
		fuzz_check(n != 2 || u[i] != 0xc2 || u[i + 1] >= 0xa0,
		    "C1 control U+%04X at %zu", u[i + 1], i);
		i += n;
	}
}

FUZZ_TARGET(termsafe)
{
	bool utf8;
	size_t need, again, cut, size_in;
	char *out, *out2, *part;

	if (size < 1)
		return 0;
	utf8 = data[0] & 1;
	size_in = data[0] >> 1;
	need = termsafe_escape(NULL, 0, (const char *)data + 1, size - 1, utf8);
	fuzz_check(need <= 6 * (size - 1), "%zu bytes from %zu", need,
	    size - 1);
	out = malloc(need + 1);
	out2 = malloc(need + 1);
	part = malloc(size_in + 1);
	if (!out || !out2 || !part)
		goto done;
	fuzz_check(termsafe_escape(out, need + 1, (const char *)data + 1,
	    size - 1, utf8) == need && strlen(out) == need,
	    "length differs between passes");
	check_output(out, need, utf8);
	again = termsafe_escape(out2, need + 1, out, need, utf8);
	fuzz_check(again == need && memcmp(out, out2, need) == 0,
	    "escaping the output again changed it");
	/* A cut output: a prefix, ending where the whole one has a piece
	 * boundary (its rest escapes as it is, so it starts a piece too). */
	fuzz_check(termsafe_escape(part, size_in + 1, (const char *)data + 1,
	    size - 1, utf8) == need, "length differs when cut");
	cut = strlen(part);
	fuzz_check(cut <= size_in && cut <= need &&
	    memcmp(part, out, cut) == 0, "a cut output is no prefix");
	fuzz_check(cut == need || size_in - cut < 6,
	    "cut at %zu of %zu with room for %zu", cut, need, size_in);
	check_output(part, cut, utf8);
done:
	free(out);
	free(out2);
	free(part);
	return 0;
}
