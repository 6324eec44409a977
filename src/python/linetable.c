/* SPDX-License-Identifier: MIT */
/* python line table: the line of an instruction from a 3.11+ code
 * object's co_linetable (CPython's Objects/locations.md). Each entry
 * starts with a byte 1CCCCLLL: code C, L + 1 code units covered; the
 * line delta it carries depends on C:
 *   0-9    short form: no delta, one column byte follows
 *   10-12  one-line form: delta C - 10, two column bytes follow
 *   13     no columns: delta as a signed varint
 *   14     long form: delta as a signed varint, then three varints
 *   15     no location: no delta, the instructions have no line. */
#include "config.h"

#include "ctop/python.h"

/* An unsigned varint: 6-bit groups, low first, bit 6 = more follow. */
static unsigned
read_varint(const unsigned char *t, size_t len, size_t *i)
{
	unsigned v = 0, shift = 0;
	unsigned char b;

	do {
		if (*i >= len || shift > 24)
			return v;
		b = t[(*i)++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return v;
}

/* A signed varint: the sign in the lowest bit. */
static int
read_svarint(const unsigned char *t, size_t len, size_t *i)
{
	unsigned v = read_varint(t, len, i);

	return v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
}

/* Consumes the rest of an entry of the given code; returns its line
 * delta. */
static int
entry_delta(unsigned code, const unsigned char *t, size_t len, size_t *i)
{
	int delta;

	if (code == 15)
		return 0;
	if (code == 14) {
		delta = read_svarint(t, len, i);
		read_varint(t, len, i);	/* end line delta */
		read_varint(t, len, i);	/* column + 1 */
		read_varint(t, len, i);	/* end column + 1 */
		return delta;
	}
	if (code == 13)
		return read_svarint(t, len, i);
	*i += code >= 10 ? 2 : 1;
	return code >= 10 ? (int)code - 10 : 0;
}

int
python_linetable_line(const unsigned char *table, size_t len,
    int firstlineno, int addr)
{
	int line = firstlineno, pos = 0;
	size_t i = 0;

	if (addr < 0)		/* not started yet: CPython says firstlineno */
		return firstlineno;
	while (i < len) {
		unsigned char b = table[i++];
		unsigned code = (b >> 3) & 15;
		int end = pos + ((b & 7) + 1) * 2;

		if (!(b & 0x80))
			return -1;	/* not an entry start: corrupt */
		line += entry_delta(code, table, len, &i);
		if (addr < end)
			return code == 15 ? -1 : line;
		pos = end;
	}
	return 0;
}
