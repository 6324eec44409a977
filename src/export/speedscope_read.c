/* SPDX-License-Identifier: MIT */
/* speedscope JSON in: a small JSON parser (RFC 8259; depth and size
 * bounded, every error at its byte offset) into a tree, then the file
 * format's "sampled" profiles: shared.frames (name, file, line), each
 * profile's samples (frame indexes, root first) and weights. A profile
 * named "comm tid" is that thread. Frame names with a folded kind suffix
 * (_[i] _[k] _[j]) keep their kind, as the folded reader does. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

#define JSON_MAX_DEPTH 64

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	size_t at;		/* byte offset, for messages */
	double num;
	char *str;		/* J_STR (decoded, NUL-terminated) */
	struct jval *items;	/* J_ARR, J_OBJ (values) */
	char **keys;		/* J_OBJ */
	size_t n;
};

struct jp {
	const char *s;
	size_t len, at;
	const char *path;
	char **cause;
	int depth;
};

static int
jp_fail(struct jp *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
jp_fail(struct jp *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (p->cause && !*p->cause && asprintf(p->cause, "%s: byte %zu: "
	    "speedscope: %s", p->path, at, what ? what : "malformed") < 0)
		*p->cause = NULL;
	free(what);
	return -EINVAL;
}

static void
jfree(struct jval *v)
{
	size_t i;

	for (i = 0; (v->type == J_ARR || v->type == J_OBJ) && i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

static void
jp_ws(struct jp *p)
{
	while (p->at < p->len && strchr(" \t\r\n", p->s[p->at]))
		p->at++;
}

static int jp_value(struct jp *p, struct jval *v);

/* Appends the UTF-8 of code point c to out. */
static size_t
utf8_put(char *out, unsigned c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string at p->at (the opening quote), decoded into *out. */
static int
jp_string(struct jp *p, char **out)
{
	size_t start = p->at++, o = 0;
	char *buf;
	unsigned c, lo;

	/* Decoded, a string is never longer than its source. */
	buf = malloc(p->len - start + 4);
	if (!buf)
		return -ENOMEM;
	while (p->at < p->len && p->s[p->at] != '"') {
		unsigned char ch = (unsigned char)p->s[p->at];

		if (ch < 0x20) {
			free(buf);
			return jp_fail(p, p->at, "control byte in a string");
		}
		if (ch != '\\') {
			buf[o++] = (char)ch;
			p->at++;
			continue;
		}
		if (p->at + 1 >= p->len)
			break;
		switch (p->s[++p->at]) {
		case '"': buf[o++] = '"'; break;
		case '\\': buf[o++] = '\\'; break;
		case '/': buf[o++] = '/'; break;
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			if (p->at + 4 >= p->len || hex4(p->s + p->at + 1, &c)) {
				free(buf);
				return jp_fail(p, p->at, "bad \\u escape");
			}
			p->at += 4;
			/* A surrogate pair, or U+FFFD for half of one. */
			if (c >= 0xd800 && c < 0xdc00 && p->at + 6 < p->len &&
			    p->s[p->at + 1] == '\\' && p->s[p->at + 2] == 'u' &&
			    !hex4(p->s + p->at + 3, &lo) && lo >= 0xdc00 &&
			    lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				p->at += 6;
			} else if (c >= 0xd800 && c < 0xe000) {
				c = 0xfffd;
			}
			/* U+0000 would cut the name: U+FFFD instead. */
			o += utf8_put(buf + o, c ? c : 0xfffd);
			break;
		default:
			free(buf);
			return jp_fail(p, p->at, "bad escape");
		}
		p->at++;
	}
	if (p->at >= p->len) {
		free(buf);
		return jp_fail(p, start, "string without its closing quote");
	}
	p->at++;
	buf[o] = '\0';
	*out = buf;
	return 0;
}

static int
jp_number(struct jp *p, struct jval *v)
{
	char *end, tmp[64];
	size_t n = 0;

	while (p->at + n < p->len && n < sizeof(tmp) - 1 &&
	    strchr("+-0123456789.eE", p->s[p->at + n]))
		n++;
	memcpy(tmp, p->s + p->at, n);
	tmp[n] = '\0';
	v->num = strtod(tmp, &end);
	if (n == 0 || *end)
		return jp_fail(p, p->at, "bad number");
	v->type = J_NUM;
	p->at += n;
	return 0;
}

/* An array or object: items separated by commas up to close. */
static int
jp_container(struct jp *p, struct jval *v, bool obj)
{
	size_t cap = 0;
	int err;

	if (++p->depth > JSON_MAX_DEPTH)
		return jp_fail(p, p->at, "nested deeper than %d",
		    JSON_MAX_DEPTH);
	v->type = obj ? J_OBJ : J_ARR;
	p->at++;
	jp_ws(p);
	if (p->at < p->len && p->s[p->at] == (obj ? '}' : ']')) {
		p->at++;
		p->depth--;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			size_t c2 = cap;

			if (util_grow(&v->items, &cap, v->n + 1,
			    sizeof(*v->items), 8) || (obj &&
			    util_grow(&v->keys, &c2, v->n + 1,
			    sizeof(*v->keys), 8)))
				return -ENOMEM;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
		if (obj) {
			jp_ws(p);
			if (p->at >= p->len || p->s[p->at] != '"')
				return jp_fail(p, p->at, "expected a key");
			if ((err = jp_string(p, &v->keys[v->n])))
				return err;
			jp_ws(p);
			if (p->at >= p->len || p->s[p->at] != ':') {
				v->n++;
				return jp_fail(p, p->at, "expected ':'");
			}
			p->at++;
		}
		err = jp_value(p, &v->items[v->n]);
		v->n++;
		if (err)
			return err;
		jp_ws(p);
		if (p->at < p->len && p->s[p->at] == ',') {
			p->at++;
			continue;
		}
		if (p->at < p->len && p->s[p->at] == (obj ? '}' : ']')) {
			p->at++;
			p->depth--;
			return 0;
		}
		return jp_fail(p, p->at, "expected ',' or '%c'", obj ? '}' :
		    ']');
	}
}

static int
jp_value(struct jp *p, struct jval *v)
{
	static const struct { const char *word; enum jtype t; double n; }
	    lit[] = { { "null", J_NULL, 0 }, { "true", J_BOOL, 1 },
	    { "false", J_BOOL, 0 } };
	size_t i;

	jp_ws(p);
	v->at = p->at;
	if (p->at >= p->len)
		return jp_fail(p, p->at, "unexpected end");
	switch (p->s[p->at]) {
	case '{':
		return jp_container(p, v, true);
	case '[':
		return jp_container(p, v, false);
	case '"':
		v->type = J_STR;
		return jp_string(p, &v->str);
	}
	for (i = 0; i < sizeof(lit) / sizeof(lit[0]); i++)
		if (!strncmp(p->s + p->at, lit[i].word, strlen(lit[i].word))) {
			v->type = lit[i].t;
			v->num = lit[i].n;
			p->at += strlen(lit[i].word);
			return 0;
		}
	return jp_number(p, v);
}

/* The member key of object o, or NULL. */
static const struct jval *
jget(const struct jval *o, const char *key)
{
	size_t i;

	if (!o || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * The file format
 * ------------------------------------------------------------------------ */

/* Interns shared.frames; ids[i] is frame i's id. */
static int
ss_frames(struct jp *p, struct profile *prof, const struct jval *frames,
    uint32_t *ids)
{
	static const struct { const char *suffix; uint8_t kind; } kinds[] = {
		{ "_[i]", FRAME_INLINE }, { "_[k]", FRAME_KERNEL },
		{ "_[j]", FRAME_JIT },
	};
	size_t i, k, len;

	for (i = 0; i < frames->n; i++) {
		const struct jval *fr = &frames->items[i];
		const struct jval *name = jget(fr, "name");
		const struct jval *file = jget(fr, "file");
		const struct jval *line = jget(fr, "line");
		struct frame f = { NULL, NULL, NULL, 0, FRAME_FUNC, 0, NULL };
		char *n;

		if (!name || name->type != J_STR)
			return jp_fail(p, fr->at, "frame %zu has no name", i);
		if ((file && file->type != J_STR) || (line &&
		    (line->type != J_NUM || line->num < 0 ||
		    line->num > UINT32_MAX)))
			return jp_fail(p, fr->at, "frame %zu: bad file or "
			    "line", i);
		if (!(n = strdup(*name->str ? name->str : "[unknown]")))
			return -ENOMEM;
		len = strlen(n);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (len > 4 && !strcmp(n + len - 4, kinds[k].suffix)) {
				n[len - 4] = '\0';
				f.kind = kinds[k].kind;
			}
		f.name = n;
		f.file = file && *file->str ? file->str : NULL;
		f.line = line ? (uint32_t)line->num : 0;
		ids[i] = profile_intern(prof, &f);
		free(n);
		if (ids[i] == PROFILE_NO_FRAME)
			return -ENOMEM;
	}
	return 0;
}

/* "comm tid" names thread tid; anything else is thread 0. */
static int32_t
ss_thread(struct profile *prof, const struct jval *name)
{
	const char *sp;
	char comm[64];
	long tid;
	char *end;

	if (!name || name->type != J_STR || !(sp = strrchr(name->str, ' ')))
		return 0;
	tid = strtol(sp + 1, &end, 10);
	if (*end || tid <= 0 || tid > INT32_MAX)
		return 0;
	snprintf(comm, sizeof(comm), "%.*s", (int)(sp - name->str),
	    name->str);
	profile_set_thread_name(prof, (int32_t)tid, comm);
	return (int32_t)tid;
}

/* Ours (proc_ids given) begin with the process frame; others get one.
 * stack has room for n + 1 frames. */
static int
ss_add_sample(struct profile *prof, uint32_t *stack, size_t n,
    const struct jval *s, uint32_t *proc_ids, uint32_t proc, int32_t tid,
    const struct jval *w)
{
	if (n && proc_ids) {
		size_t x = (size_t)s->items[0].num;
		const struct frame *f = profile_frame(prof, stack[0]);
		struct frame pf = { f->name, NULL, NULL, 0, FRAME_PROCESS, 0, NULL };

		if (!proc_ids[x])
			proc_ids[x] = profile_intern(prof, &pf) + 1;
		if (!proc_ids[x])
			return -ENOMEM;
		stack[0] = proc_ids[x] - 1;
	} else {
		memmove(stack + 1, stack, n * sizeof(*stack));
		stack[0] = proc;
		n++;
	}
	if (!(uint64_t)w->num)
		return 0;
	return profile_add(prof, tid, 0, stack, n, (uint64_t)w->num);
}

/* One sampled profile: each sample's frames (root first) and weight. */
static int
ss_profile(struct jp *p, struct profile *prof, const struct jval *pr,
    const uint32_t *ids, uint32_t *proc_ids, size_t n_ids, uint32_t proc)
{
	const struct jval *type = jget(pr, "type");
	const struct jval *samples = jget(pr, "samples");
	const struct jval *weights = jget(pr, "weights");
	uint32_t *stack = NULL;
	int32_t tid;
	size_t i, k, n;
	int err = 0;

	if (!type || type->type != J_STR || strcmp(type->str, "sampled"))
		return jp_fail(p, pr->at, "only \"sampled\" profiles are read "
		    "(this one is %s)", type && type->type == J_STR ?
		    type->str : "of no type");
	if (!samples || samples->type != J_ARR || !weights ||
	    weights->type != J_ARR || weights->n != samples->n)
		return jp_fail(p, pr->at, "samples and weights must be arrays "
		    "of one length");
	tid = ss_thread(prof, jget(pr, "name"));
	for (i = 0; i < samples->n && !err; i++) {
		const struct jval *s = &samples->items[i];
		const struct jval *w = &weights->items[i];
		uint32_t *grown;

		if (s->type != J_ARR || w->type != J_NUM || w->num < 0 ||
		    w->num > 9e18) {
			err = jp_fail(p, s->at, "sample %zu: not a stack and "
			    "a weight", i);
			break;
		}
		if (!(grown = realloc(stack, (s->n + 1) * sizeof(*stack)))) {
			err = -ENOMEM;
			break;
		}
		stack = grown;
		n = 0;
		for (k = 0; k < s->n && !err; k++) {
			const struct jval *x = &s->items[k];

			if (x->type != J_NUM || x->num < 0 || x->num >= n_ids ||
			    x->num != (double)(size_t)x->num)
				err = jp_fail(p, x->at, "sample %zu: frame "
				    "index out of range", i);
			else
				stack[n++] = ids[(size_t)x->num];
		}
		if (!err)
			err = ss_add_sample(prof, stack, n, s, proc_ids, proc,
			    tid, w);
	}
	free(stack);
	return err;
}

int
export__speedscope_read(struct profile *prof, const char *buf, size_t len,
    const char *path, char **cause)
{
	struct jp p = { buf, len, 0, path, cause, 0 };
	struct jval root = { 0 };
	const struct jval *frames, *profiles, *name, *exporter;
	struct frame pf = { "speedscope", NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	uint32_t *ids = NULL, *proc_ids = NULL, proc;
	bool ours;
	size_t i;
	int err;

	if ((err = jp_value(&p, &root)))
		goto out;
	jp_ws(&p);
	if (p.at != len) {
		err = jp_fail(&p, p.at, "text after the JSON value");
		goto out;
	}
	frames = jget(jget(&root, "shared"), "frames");
	profiles = jget(&root, "profiles");
	if (!frames || frames->type != J_ARR || !profiles ||
	    profiles->type != J_ARR) {
		err = jp_fail(&p, 0, "no shared.frames or profiles array");
		goto out;
	}
	/* ctop-prof's files begin every sample with the process frame;
	 * others get one, named as the file. */
	exporter = jget(&root, "exporter");
	ours = exporter && exporter->type == J_STR &&
	    !strncmp(exporter->str, "ctop-prof ", 10);
	name = jget(&root, "name");
	if (name && name->type == J_STR && *name->str)
		pf.name = name->str;
	if ((proc = profile_intern(prof, &pf)) == PROFILE_NO_FRAME ||
	    !(ids = malloc((frames->n + 1) * sizeof(*ids))) ||
	    !(proc_ids = calloc(frames->n + 1, sizeof(*proc_ids)))) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = ss_frames(&p, prof, frames, ids)))
		goto out;
	for (i = 0; i < profiles->n && !err; i++)
		err = ss_profile(&p, prof, &profiles->items[i], ids,
		    ours ? proc_ids : NULL, frames->n, proc);
out:
	free(ids);
	free(proc_ids);
	jfree(&root);
	return err;
}
