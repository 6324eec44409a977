/* SPDX-License-Identifier: MIT */
/* speedscope export: the file format of speedscope.app
 * (https://www.speedscope.app/file-format-schema.json): the frames once in
 * shared.frames (name, file, line), one "sampled" profile per thread named
 * "comm tid", each sample a stack of frame indexes root first, weighed in
 * samples; activeProfileIndex is the busiest thread. */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* One stack end of one thread, to be written. */
struct ss_end {
	int32_t tid;
	uint32_t node;
	uint64_t count;
};

struct ss {
	FILE *out;
	const struct pview *v;
	struct ss_end *ends;
	size_t n_ends;
	uint32_t *idx;		/* frame id -> shared index + 1 (0: unused) */
	uint32_t *order;	/* shared index -> frame id */
	uint32_t n_shared;
	uint32_t *path;		/* scratch: one stack, leaf first */
};

static int
end_cmp(const void *pa, const void *pb)
{
	const struct ss_end *x = pa, *y = pb;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The stack ends through node, grouped by thread: the view's leaves, or
 * in a view without them (a focus view) each node's self, thread 0. */
static int
ss_collect(struct ss *s, uint32_t node)
{
	const struct pview *v = s->v;
	uint32_t end = node + 1, i;

	while (end < v->n_nodes && v->nodes[end].depth > v->nodes[node].depth)
		end++;
	if (node == 0)
		end = v->n_nodes;
	s->ends = malloc(((v->leaves ? v->n_leaves : v->n_nodes) + 1) *
	    sizeof(*s->ends));
	if (!s->ends)
		return -ENOMEM;
	if (v->leaves) {
		for (i = 0; i < v->n_leaves; i++)
			if (v->leaves[i].node >= node &&
			    v->leaves[i].node < end && v->leaves[i].node)
				s->ends[s->n_ends++] = (struct ss_end){
				    v->leaves[i].tid, v->leaves[i].node,
				    v->leaves[i].count };
	} else {
		for (i = node ? node : 1; i < end; i++)
			if (v->nodes[i].self)
				s->ends[s->n_ends++] = (struct ss_end){ 0, i,
				    v->nodes[i].self };
	}
	qsort(s->ends, s->n_ends, sizeof(*s->ends), end_cmp);
	return 0;
}

/* The frames of node's stack, leaf first, into s->path; returns how many. */
static uint32_t
ss_path(struct ss *s, uint32_t node)
{
	const struct pview *v = s->v;
	uint32_t n = 0;

	for (; node && node != PROFILE_NO_NODE; node = v->nodes[node].parent)
		s->path[n++] = v->nodes[node].frame;
	return n;
}

/* Gives every frame of every stack its shared index, in order of use. */
static void
ss_index(struct ss *s)
{
	size_t e;
	uint32_t n, k;

	for (e = 0; e < s->n_ends; e++) {
		n = ss_path(s, s->ends[e].node);
		for (k = n; k-- > 0;)
			if (!s->idx[s->path[k]]) {
				s->order[s->n_shared] = s->path[k];
				s->idx[s->path[k]] = ++s->n_shared;
			}
	}
}

/* A JSON string: quotes, backslashes and control characters escaped, and
 * bytes that are not UTF-8 (a name is bytes from outside) as U+FFFD, so
 * the file always parses. */
static void
json_str(FILE *out, const char *p)
{
	const unsigned char *s = (const unsigned char *)(p ? p : "");

	fputc('"', out);
	while (*s) {
		size_t n = export__utf8_len(s);

		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s++, out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, out);
		} else if (n) {
			fwrite(s, 1, n, out);
			s += n;
		} else {
			fputs("\\ufffd", out);
			s++;
		}
	}
	fputc('"', out);
}

static void
ss_frames(struct ss *s)
{
	char name[1024];
	uint32_t i;

	fputs("\"shared\":{\"frames\":[", s->out);
	for (i = 0; i < s->n_shared; i++) {
		const struct frame *f = &s->v->frames[s->order[i]];

		/* The folded name (kind suffix included): the same functions
		 * as in a folded file of the same view. */
		folded_frame_name(f, name, sizeof(name));
		fputs(i ? ",{\"name\":" : "{\"name\":", s->out);
		json_str(s->out, name);
		if (f->file) {
			fputs(",\"file\":", s->out);
			json_str(s->out, f->file);
		}
		if (f->line)
			fprintf(s->out, ",\"line\":%u", f->line);
		fputc('}', s->out);
	}
	fputs("]}", s->out);
}

/* The name of thread tid's profile: "comm tid", or "all threads" when the
 * threads are not known (a folded file). */
static void
ss_thread_name(const struct ss *s, int32_t tid, char *buf, size_t size)
{
	uint32_t i;

	if (!tid) {
		snprintf(buf, size, "all threads");
		return;
	}
	for (i = 0; i < s->v->n_threads; i++)
		if (s->v->threads[i].tid == tid && s->v->threads[i].name[0]) {
			snprintf(buf, size, "%s %d", s->v->threads[i].name,
			    (int)tid);
			return;
		}
	snprintf(buf, size, "%d", (int)tid);
}

/* One sampled profile: the ends [from, to) of one thread. */
static void
ss_profile(struct ss *s, size_t from, size_t to, int first)
{
	uint64_t total = 0;
	uint32_t n, k;
	char name[64];
	size_t e;

	for (e = from; e < to; e++)
		total += s->ends[e].count;
	ss_thread_name(s, s->ends[from].tid, name, sizeof(name));
	fputs(first ? "{\"type\":\"sampled\",\"name\":" :
	    ",{\"type\":\"sampled\",\"name\":", s->out);
	json_str(s->out, name);
	fprintf(s->out, ",\"unit\":\"none\",\"startValue\":0,"
	    "\"endValue\":%llu,\"samples\":[", (unsigned long long)total);
	for (e = from; e < to; e++) {
		n = ss_path(s, s->ends[e].node);
		fputs(e > from ? ",[" : "[", s->out);
		for (k = n; k-- > 0;)
			fprintf(s->out, k + 1 < n ? ",%u" : "%u",
			    s->idx[s->path[k]] - 1);
		fputc(']', s->out);
	}
	fputs("],\"weights\":[", s->out);
	for (e = from; e < to; e++)
		fprintf(s->out, e > from ? ",%llu" : "%llu",
		    (unsigned long long)s->ends[e].count);
	fputs("]}", s->out);
}

/* The index of the busiest thread's profile. */
static unsigned
ss_busiest(const struct ss *s)
{
	uint64_t best = 0, cur = 0;
	unsigned at = 0, k = 0;
	size_t e;

	for (e = 0; e < s->n_ends; e++) {
		if (e && s->ends[e].tid != s->ends[e - 1].tid) {
			k++;
			cur = 0;
		}
		cur += s->ends[e].count;
		if (cur > best) {
			best = cur;
			at = k;
		}
	}
	return at;
}

static void
ss_write(struct ss *s)
{
	const struct pview *v = s->v;
	uint32_t c = v->n_nodes > 1 ? v->nodes[0].first_child :
	    PROFILE_NO_NODE;
	const char *proc = c != PROFILE_NO_NODE &&
	    v->frames[v->nodes[c].frame].kind == FRAME_PROCESS ?
	    v->frames[v->nodes[c].frame].name : "ctop-prof";
	size_t e, from = 0;

	fputs("{\"$schema\":\"https://www.speedscope.app/"
	    "file-format-schema.json\",\"exporter\":", s->out);
	json_str(s->out, PACKAGE_STRING);
	fputs(",\"name\":", s->out);
	json_str(s->out, proc);
	fprintf(s->out, ",\"activeProfileIndex\":%u,", ss_busiest(s));
	ss_frames(s);
	fputs(",\"profiles\":[", s->out);
	for (e = 1; e <= s->n_ends; e++)
		if (e == s->n_ends || s->ends[e].tid != s->ends[from].tid) {
			ss_profile(s, from, e, from == 0);
			from = e;
		}
	fputs("]}\n", s->out);
}

int
speedscope_write(FILE *out, const struct pview *v, uint32_t node)
{
	struct ss s = { .out = out, .v = v };
	uint32_t i, max = 0;
	int err;

	if (!v || node >= v->n_nodes)
		return -EINVAL;
	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].depth > max)
			max = v->nodes[i].depth;
	s.idx = calloc(v->n_frames + 1, sizeof(*s.idx));
	s.order = malloc((v->n_frames + 1) * sizeof(*s.order));
	s.path = malloc(((size_t)max + 1) * sizeof(*s.path));
	err = !s.idx || !s.order || !s.path ? -ENOMEM : ss_collect(&s, node);
	if (!err) {
		ss_index(&s);
		flockfile(out);
		ss_write(&s);
		funlockfile(out);
		if (ferror(out))
			err = errno ? -errno : -EIO;
	}
	free(s.ends);
	free(s.idx);
	free(s.order);
	free(s.path);
	return err;
}
