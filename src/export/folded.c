/* SPDX-License-Identifier: MIT */
/* Folded stacks (FlameGraph's stackcollapse format): the writer walks a
 * view, the reader turns each line back into frames and a count. The
 * reader faces untrusted files: it bounds line length and never trusts a
 * byte. */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ctop/util.h"
#include "internal.h"

#define FOLDED_LINE_MAX (16u * 1024 * 1024)

static const char *
kind_suffix(uint8_t kind)
{
	switch (kind) {
	case FRAME_INLINE:
		return "_[i]";
	case FRAME_KERNEL:
		return "_[k]";
	case FRAME_JIT:
		return "_[j]";
	default:
		return "";
	}
}

size_t
folded_frame_name(const struct frame *f, char *buf, size_t size)
{
	/* An empty name would make an empty frame, which readers refuse
	 * when it is the only one on a line. */
	const char *name = f->name && f->name[0] ? f->name : "[unknown]";
	const char *suffix = kind_suffix(f->kind);
	size_t len = strlen(name), slen = strlen(suffix), i;

	for (i = 0; size && i < len && i < size - 1; i++) {
		char c = name[i];

		/* ';', '\n' and '\r' would split a frame or a line of the
		 * file; the other C0 controls and DEL would reach whoever
		 * cats the file (and are not allowed in flamegraph.pl's
		 * SVG). Other bytes stay as they are: a folded file is
		 * data, and its readers escape what they show. */
		buf[i] = c == ';' || (unsigned char)c < 0x20 || c == 0x7f ?
		    '_' : c;
	}
	if (size && i < size - 1) {
		size_t n = slen < size - 1 - i ? slen : size - 1 - i;

		memcpy(buf + i, suffix, n);
		i += n;
	}
	if (size)
		buf[i] = '\0';
	return len + slen;
}

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

struct fw {
	FILE *out;
	const struct pview *v;
	char **names;		/* folded name per frame, made on first use */
	uint32_t *path;
	uint32_t path_cap;
};

static const char *
fw_name(struct fw *w, uint32_t frame)
{
	size_t len;

	if (frame >= w->v->n_frames)
		return "[unknown]";
	if (!w->names[frame]) {
		len = folded_frame_name(&w->v->frames[frame], NULL, 0);
		w->names[frame] = malloc(len + 1);
		if (!w->names[frame])
			return NULL;
		folded_frame_name(&w->v->frames[frame], w->names[frame],
		    len + 1);
	}
	return w->names[frame];
}

/* One line: the path from depth 1 down to node, then its self count. */
static int
fw_line(struct fw *w, uint32_t node)
{
	const struct pview_node *nodes = w->v->nodes;
	uint32_t depth = nodes[node].depth, i, at = node;

	if (depth > w->path_cap) {
		uint32_t *np = realloc(w->path, (size_t)depth * sizeof(*np));

		if (!np)
			return -ENOMEM;
		w->path = np;
		w->path_cap = depth;
	}
	for (i = depth; i > 0; i--, at = nodes[at].parent)
		w->path[i - 1] = nodes[at].frame;
	for (i = 0; i < depth; i++) {
		const char *name = fw_name(w, w->path[i]);

		if (!name)
			return -ENOMEM;
		if (i)
			putc_unlocked(';', w->out);
		fputs_unlocked(name, w->out);
	}
	fprintf(w->out, " %" PRIu64 "\n", nodes[node].self);
	return 0;
}

/* Preorder over node's subtree through the child and sibling links, in
 * the view's sibling order, which makes the output deterministic. */
static int
fw_subtree(struct fw *w, uint32_t top)
{
	const struct pview_node *nodes = w->v->nodes;
	uint32_t at = top;
	int err;

	for (;;) {
		if (at != 0 && nodes[at].self && (err = fw_line(w, at)))
			return err;
		if (nodes[at].first_child != PROFILE_NO_NODE) {
			at = nodes[at].first_child;
			continue;
		}
		while (at != top && nodes[at].next_sibling == PROFILE_NO_NODE)
			at = nodes[at].parent;
		if (at == top)
			return 0;
		at = nodes[at].next_sibling;
	}
}

int
folded_write(FILE *out, const struct pview *v, uint32_t node)
{
	struct fw w = { out, v, NULL, NULL, 0 };
	uint32_t i;
	int err;

	if (!v || node >= v->n_nodes)
		return -EINVAL;
	w.names = calloc(v->n_frames ? v->n_frames : 1, sizeof(*w.names));
	if (!w.names)
		return -ENOMEM;
	flockfile(out);
	err = fw_subtree(&w, node);
	funlockfile(out);
	for (i = 0; i < v->n_frames; i++)
		free(w.names[i]);
	free(w.names);
	free(w.path);
	if (!err && ferror(out))
		err = errno ? -errno : -EIO;
	return err;
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

struct fr {
	FILE *in;
	const char *path;
	unsigned long lineno;
	char *buf;
	size_t cap;
	uint32_t *frames;
	size_t n_frames, cap_frames;
	uint64_t total;		/* counts so far */
};

enum { LINE_EOF = -1, LINE_LONG = -2, LINE_NOMEM = -3 };

/* Reads one line without its '\n' into r->buf, growing it up to the 16 MiB
 * limit: unlike getline(), a gigabyte without a newline costs 16 MiB, not
 * a gigabyte, before it is refused. Returns the length or LINE_*. */
static ssize_t
fr_getline(struct fr *r)
{
	size_t len = 0;
	int c;

	if (!r->buf) {
		r->buf = malloc(4096);
		if (!r->buf)
			return LINE_NOMEM;
		r->cap = 4096;
	}
	while ((c = getc_unlocked(r->in)) != EOF && c != '\n') {
		if (len + 1 >= r->cap) {
			size_t ncap = r->cap * 2;
			char *nb;

			if (len >= FOLDED_LINE_MAX)
				return LINE_LONG;
			if (ncap > FOLDED_LINE_MAX + 2)
				ncap = FOLDED_LINE_MAX + 2;
			nb = realloc(r->buf, ncap);
			if (!nb)
				return LINE_NOMEM;
			r->buf = nb;
			r->cap = ncap;
		}
		r->buf[len++] = (char)c;
	}
	if (c == EOF && len == 0)
		return LINE_EOF;
	if (len > FOLDED_LINE_MAX)
		return LINE_LONG;
	r->buf[len] = '\0';
	return (ssize_t)len;
}

static int
fr_error(struct fr *r, char **cause, const char *what)
{
	if (cause && asprintf(cause, "%s:%lu: %s", r->path, r->lineno,
	    what) < 0)
		*cause = NULL;
	return -EINVAL;
}

/* A positive decimal that fits 64 bits, nothing else. */
static int
parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return v ? 0 : -1;
}

/* The kind of frame `name` (not the first of its line), stripping the
 * suffix in place: FlameGraph's _[i] _[k] _[j], and [...] markers. */
static uint8_t
frame_kind_parse(char *name)
{
	static const struct { const char *s; uint8_t kind; } sfx[] = {
		{ "_[i]", FRAME_INLINE },
		{ "_[k]", FRAME_KERNEL },
		{ "_[j]", FRAME_JIT },
	};
	size_t len = strlen(name), i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		/* A bare suffix has no name left: keep it as a function. */
		if (len > 4 && strcmp(name + len - 4, sfx[i].s) == 0) {
			name[len - 4] = '\0';
			return sfx[i].kind;
		}
	}
	if (len >= 2 && name[0] == '[' && name[len - 1] == ']')
		return FRAME_MARKER;
	return FRAME_FUNC;
}

static int
fr_push(struct fr *r, uint32_t id)
{
	if (util_grow(&r->frames, &r->cap_frames, r->n_frames + 1,
	    sizeof *r->frames, 64))
		return -ENOMEM;
	r->frames[r->n_frames++] = id;
	return 0;
}

/* Interns the frames of buf[0, len) (split on ';') into r->frames. */
static int
fr_frames(struct fr *r, struct profile *p, char *buf, size_t len)
{
	char *s = buf, *end = buf + len;

	r->n_frames = 0;
	for (;;) {
		char *semi = memchr(s, ';', (size_t)(end - s));
		struct frame f = { 0 };
		uint32_t id;

		if (semi)
			*semi = '\0';
		else
			*end = '\0';
		f.kind = r->n_frames == 0 ? FRAME_PROCESS :
		    frame_kind_parse(s);
		f.name = s;
		id = profile_intern(p, &f);
		if (id == PROFILE_NO_FRAME || fr_push(r, id))
			return -ENOMEM;
		if (!semi)
			return 0;
		s = semi + 1;
	}
}

static int
fr_line(struct fr *r, struct profile *p, char *buf, size_t len,
    char **cause)
{
	uint64_t count;
	char *sp;

	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0)
		return 0;	/* blank lines are skipped, as flamegraph.pl */
	if (memchr(buf, '\0', len))
		return fr_error(r, cause, "NUL byte in line");
	sp = memrchr(buf, ' ', len);
	if (!sp)
		return fr_error(r, cause,
		    "no count (expected 'frame;frame;... COUNT')");
	if (parse_count(sp + 1, &count))
		return fr_error(r, cause,
		    "the count is not a positive decimal number");
	if (sp == buf)
		return fr_error(r, cause, "no frames before the count");
	/* No real profile holds 2^64 samples; a sum that wrapped would hide
	 * whole subtrees whose total came to 0. */
	if (count > UINT64_MAX - r->total)
		return fr_error(r, cause,
		    "the counts add up past 18446744073709551615");
	r->total += count;
	if (fr_frames(r, p, buf, (size_t)(sp - buf)) ||
	    profile_add(p, 0, 0, r->frames, r->n_frames, count)) {
		if (cause && asprintf(cause, "%s:%lu: out of memory",
		    r->path, r->lineno) < 0)
			*cause = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
folded_read(struct profile *p, const char *path, char **cause)
{
	FILE *in = fopen(path, "re");
	int err;

	if (!in) {
		err = -errno;
		if (cause && asprintf(cause, "cannot open %s: %s", path,
		    strerror(-err)) < 0)
			*cause = NULL;
		return err;
	}
	err = export__folded_read_stream(p, in, path, cause);
	fclose(in);
	return err;
}

int
export__folded_read_stream(struct profile *p, FILE *in, const char *path,
    char **cause)
{
	struct fr r = { .in = in, .path = path };
	ssize_t len;
	int err = 0;

	flockfile(r.in);
	while (!err) {
		r.lineno++;
		len = fr_getline(&r);
		if (len == LINE_EOF)
			break;
		if (len == LINE_LONG)
			err = fr_error(&r, cause, "line longer than 16 MiB");
		else if (len == LINE_NOMEM)
			err = fr_error(&r, cause, "out of memory") ? -ENOMEM :
			    0;
		else
			err = fr_line(&r, p, r.buf, (size_t)len, cause);
	}
	if (!err && ferror(r.in)) {
		err = errno ? -errno : -EIO;
		if (cause && asprintf(cause, "%s:%lu: read error: %s", path,
		    r.lineno, strerror(-err)) < 0)
			*cause = NULL;
	}
	funlockfile(r.in);
	free(r.buf);
	free(r.frames);
	return err;
}
