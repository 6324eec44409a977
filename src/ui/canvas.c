/* SPDX-License-Identifier: MIT */
/* The off-screen canvas: views draw cells here, draw.c copies them to curses
 * in one pass. Keeping the views off curses makes their layout testable as
 * plain text. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ctop/termsafe.h"
#include "ui_internal.h"

void
glyphs_get(struct glyphs *g, bool utf8)
{
	g->utf8 = utf8;
	if (utf8) {
		g->edge = 0x258f;	/* LEFT ONE EIGHTH BLOCK */
		g->hline = 0x2500;	/* BOX DRAWINGS LIGHT HORIZONTAL */
		g->ellipsis = "\xe2\x80\xa6";
		g->crumb = " \xe2\x80\xba ";
	} else {
		g->edge = '|';
		g->hline = '-';
		g->ellipsis = "..";
		g->crumb = " > ";
	}
}

int
canvas_resize(struct canvas *c, int w, int h)
{
	struct cell *n;

	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	if (w == c->w && h == c->h && c->cells)
		return 0;
	n = calloc((size_t)w * (size_t)h, sizeof *n);
	if (!n)
		return -ENOMEM;
	free(c->cells);
	c->cells = n;
	c->w = w;
	c->h = h;
	canvas_clear(c);
	return 0;
}

void
canvas_free(struct canvas *c)
{
	free(c->cells);
	c->cells = NULL;
	c->w = c->h = 0;
}

void
canvas_clear(struct canvas *c)
{
	size_t i, n = (size_t)c->w * (size_t)c->h;

	for (i = 0; i < n; i++) {
		c->cells[i].ch = ' ';
		c->cells[i].style = ST_NORMAL;
	}
}

/* Not a character to draw: termsafe said its bytes must be escaped. */
#define CP_HIDDEN UINT32_MAX

/* Decodes one character with termsafe, the rule of every output: bytes
 * it would escape (controls, malformed UTF-8) take one cell each and are
 * drawn as '?', since the cell width matters here, not the bytes. */
static uint32_t
utf8_next(const unsigned char **sp)
{
	struct termsafe_ch ch;

	termsafe_decode((const char *)*sp, strnlen((const char *)*sp, 4),
	    true, &ch);
	*sp += ch.len;
	return ch.show == TERMSAFE_SHOW ? ch.cp : CP_HIDDEN;
}

static uint32_t
printable(uint32_t cp, bool utf8)
{
	if (cp == CP_HIDDEN || cp < 0x20 || cp == 0x7f)
		return '?';
	if (cp >= 0x80 && (!utf8 || wcwidth((wchar_t)cp) != 1))
		return '?';
	return cp;
}

int
canvas_text(struct canvas *c, int y, int x, int maxw, const char *s,
    int style)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	if (y < 0 || y >= c->h || x < 0)
		return 0;
	if (maxw < 0 || x + maxw > c->w)
		maxw = c->w - x;
	while (*p && n < maxw) {
		struct cell *cl = canvas_at(c, y, x + n);

		cl->ch = printable(utf8_next(&p), c->g && c->g->utf8);
		cl->style = (uint8_t)style;
		n++;
	}
	return n;
}

void
canvas_fill(struct canvas *c, int y, int x, int w, uint32_t ch, int style)
{
	int i;

	if (y < 0 || y >= c->h)
		return;
	for (i = x < 0 ? 0 : x; i < x + w && i < c->w; i++) {
		canvas_at(c, y, i)->ch = ch;
		canvas_at(c, y, i)->style = (uint8_t)style;
	}
}

void
canvas_restyle(struct canvas *c, int y, int x, int w, int style)
{
	int i;

	if (y < 0 || y >= c->h)
		return;
	for (i = x < 0 ? 0 : x; i < x + w && i < c->w; i++)
		canvas_at(c, y, i)->style = (uint8_t)style;
}

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
canvas_row(const struct canvas *c, int y, char *buf, size_t size)
{
	size_t o = 0;
	int x;

	for (x = 0; x < c->w && o + 5 < size; x++)
		o += utf8_put(buf + o, c->cells[(size_t)y * (size_t)c->w +
		    (size_t)x].ch);
	buf[o] = '\0';
	return buf;
}

int
text_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	while (*p) {
		utf8_next(&p);
		n++;
	}
	return n;
}

int
text_fit(const char *s, int w, const struct glyphs *g, char *out,
    size_t size)
{
	const unsigned char *p = (const unsigned char *)s, *q;
	int cols = text_cols(s), ell, keep, n = 0;
	size_t len;

	if (w <= 0 || size == 0) {
		if (size)
			out[0] = '\0';
		return 0;
	}
	ell = text_cols(g->ellipsis);
	keep = cols <= w ? cols : (w > ell ? w - ell : w);
	for (q = p; *q && n < keep; n++)
		utf8_next(&q);
	len = (size_t)(q - p);
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	if (cols > w && w > ell && len + strlen(g->ellipsis) < size) {
		strcat(out, g->ellipsis);
		n += ell;
	}
	return n;
}
