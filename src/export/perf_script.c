/* SPDX-License-Identifier: MIT */
/* `perf script` text in (what FlameGraph's stackcollapse-perf.pl reads):
 * a header line per sample, "COMM PID[/TID] [CPU] TIME: ...", then its
 * frames, leaf first, one per indented line "ADDR SYM+0xOFF (MODULE)", and
 * a blank line. Each sample counts one; the thread is TID (or PID) named
 * COMM; kernel frames are those of [kernel.kallsyms]. perf marks an
 * inlined function's frame "(inlined)" where the module goes: it is an
 * inline frame of the module of the real frame under it. With
 * `-F +srcline` each frame line is followed by one "FILE:LINE" line,
 * which gives the frame its file and line, and an inline frame is marked
 * there (" (inlined)" after it) instead. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* A frame as read, kept until its sample ends: an inline frame's module
 * is known only from the real frame after it, its line from the line
 * after it. */
struct ps_frame_in {
	char *name, *module, *file;
	uint32_t line;
	uint8_t kind;
};

struct ps {
	struct profile *p;
	const char *path;
	unsigned long lineno;
	struct ps_frame_in *fr;	/* leaf first while read */
	size_t n, cap;
	int32_t tid;
	char comm[64];
	bool in_sample;
};

static int
ps_fail(const struct ps *r, char **cause, const char *what)
{
	if (cause && asprintf(cause, "%s:%lu: perf script: %s", r->path,
	    r->lineno, what) < 0)
		*cause = NULL;
	return -EINVAL;
}

static void
ps_frames_free(struct ps *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->fr[i].name);
		free(r->fr[i].module);
		free(r->fr[i].file);
	}
	r->n = 0;
}

/* The sample's frames interned root first into st (after st[0]); an
 * inline frame takes the module of the real frame it sits in. */
static int
ps_intern(struct ps *r, uint32_t *st)
{
	const char *owner = NULL;

	for (size_t i = r->n; i-- > 0;) {
		struct ps_frame_in *in = &r->fr[i];
		struct frame f = { in->name, in->module, in->file, in->line,
		    in->kind, 0, NULL };

		if (in->kind == FRAME_INLINE)
			f.module = owner;
		else
			owner = in->module;
		st[r->n - i] = profile_intern(r->p, &f);
		if (st[r->n - i] == PROFILE_NO_FRAME)
			return -ENOMEM;
	}
	return 0;
}

/* Adds the sample read so far, root first, the process frame first. */
static int
ps_flush(struct ps *r)
{
	struct frame proc = { r->comm, NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	uint32_t *st;
	int err;

	if (!r->in_sample)
		return 0;
	r->in_sample = false;
	st = malloc((r->n + 1) * sizeof(*st));
	if (!st || (st[0] = profile_intern(r->p, &proc)) == PROFILE_NO_FRAME ||
	    ps_intern(r, st) != 0) {
		free(st);
		ps_frames_free(r);
		return -ENOMEM;
	}
	profile_set_thread_name(r->p, r->tid, r->comm);
	err = profile_add(r->p, r->tid, 0, st, (uint32_t)r->n + 1, 1);
	free(st);
	ps_frames_free(r);
	return err;
}

/* "COMM PID[/TID] ...": COMM may hold spaces; the first token after it
 * that is a number (or number/number) is the pid. */
static int
ps_header(struct ps *r, char *line, char **cause)
{
	char *tok = line, *end, *comm_end = NULL;
	long pid, tid;

	while (*tok) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (tok != line && isdigit((unsigned char)*tok)) {
			pid = strtol(tok, &end, 10);
			tid = pid;
			if (*end == '/')
				tid = strtol(end + 1, &end, 10);
			if ((*end == ' ' || *end == '\t' || !*end) &&
			    tid > 0 && tid <= INT32_MAX) {
				r->tid = (int32_t)tid;
				break;
			}
		}
		while (*tok && *tok != ' ' && *tok != '\t')
			tok++;
		comm_end = tok;
	}
	if (!*tok || !comm_end)
		return ps_fail(r, cause, "a sample line without a pid");
	*comm_end = '\0';
	snprintf(r->comm, sizeof(r->comm), "%s", line);
	r->n = 0;
	r->in_sample = true;
	return 0;
}

/* Whether an indented line is a frame: an address (hex digits) and a
 * blank, where a source line ("inline.c:15", "abc.c:3") has neither. */
static bool
is_frame_line(const char *p)
{
	const char *q;

	while (*p == ' ' || *p == '\t')
		p++;
	for (q = p; isxdigit((unsigned char)*q); q++)
		;
	return q > p && (*q == ' ' || *q == '\t' || !*q);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

/* "ADDR SYM+0xOFF (MODULE)", leading blanks skipped. Modules are named
 * by their file's basename, as everywhere in a profile. */
static int
ps_frame(struct ps *r, char *line, char **cause)
{
	struct ps_frame_in in = { NULL, NULL, NULL, 0, FRAME_FUNC };
	char *p = line, *sym, *open, *close, *plus, *module = NULL;

	if (!r->in_sample)
		return ps_fail(r, cause, "a frame line before any sample line");
	while (*p == ' ' || *p == '\t')
		p++;
	while (isxdigit((unsigned char)*p))
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	sym = p;
	close = strrchr(sym, ')');
	open = close ? strrchr(sym, '(') : NULL;
	if (open && close > open && !close[1]) {
		*close = '\0';
		module = open[1] ? open + 1 : NULL;
		while (open > sym && open[-1] == ' ')
			open--;
		*open = '\0';
	}
	/* The offset into the symbol is not part of its name. */
	if ((plus = strrchr(sym, '+')) && plus[1] == '0' && plus[2] == 'x')
		*plus = '\0';
	if (!*sym)
		sym = "[unknown]";
	if (module && strcmp(module, "inlined") == 0) {
		in.kind = FRAME_INLINE;
		module = NULL;
	} else if (module && strstr(module, "kernel.kallsyms")) {
		in.kind = FRAME_KERNEL;
	} else if (!module && sym[0] == '[' && sym[strlen(sym) - 1] == ']') {
		in.kind = FRAME_MARKER;	/* as the pprof reader says */
	}
	if (util_grow(&r->fr, &r->cap, r->n + 1, sizeof(*r->fr), 64) ||
	    !(in.name = strdup(sym)) ||
	    (module && !(in.module = strdup(base_name(module))))) {
		free(in.name);
		return -ENOMEM;
	}
	r->fr[r->n++] = in;
	return 0;
}

/* "FILE:LINE" after a frame line (-F +srcline), " (inlined)" after it
 * for an inline frame; perf writes "??:0", ":0" or "[module][addr]" where
 * it knows none, which leave the frame as it was. */
static int
ps_srcline(struct ps *r, char *line, char **cause)
{
	struct ps_frame_in *in;
	char *p = line, *colon, *end, *inl;
	unsigned long n;

	if (!r->in_sample || r->n == 0)
		return ps_fail(r, cause, "a frame line without an address");
	in = &r->fr[r->n - 1];
	while (*p == ' ' || *p == '\t')
		p++;
	/* With srcline, perf marks an inline frame here, not as its module. */
	if ((inl = strstr(p, " (inlined)")) != NULL && !inl[10]) {
		*inl = '\0';
		in->kind = FRAME_INLINE;
		free(in->module);
		in->module = NULL;
	}
	colon = strrchr(p, ':');
	if (!colon || colon == p || in->file || p[0] == '[' ||
	    strncmp(p, "??", 2) == 0)
		return 0;
	n = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || n == 0 || n > UINT32_MAX)
		return 0;
	*colon = '\0';
	if (!(in->file = strdup(p)))
		return -ENOMEM;
	in->line = (uint32_t)n;
	return 0;
}

int
export__perf_script_read(struct profile *p, const char *buf, size_t len,
    const char *path, char **cause)
{
	struct ps r = { .p = p, .path = path };
	const char *at = buf, *end = buf + len, *eol;
	char *line = NULL;
	int err = 0;

	while (at < end && !err) {
		eol = memchr(at, '\n', (size_t)(end - at));
		if (!eol)
			eol = end;
		r.lineno++;
		free(line);
		if (!(line = strndup(at, (size_t)(eol - at)))) {
			err = -ENOMEM;
			break;
		}
		line[strcspn(line, "\r")] = '\0';
		if (!line[0])
			err = ps_flush(&r);
		else if (line[0] == '#')
			;	/* perf's header comments */
		else if ((line[0] == ' ' || line[0] == '\t') &&
		    is_frame_line(line))
			err = ps_frame(&r, line, cause);
		else if (line[0] == ' ' || line[0] == '\t')
			err = ps_srcline(&r, line, cause);
		else if (!(err = ps_flush(&r)))
			err = ps_header(&r, line, cause);
		at = eol + 1;
	}
	if (!err)
		err = ps_flush(&r);
	free(line);
	ps_frames_free(&r);
	free(r.fr);
	return err;
}
