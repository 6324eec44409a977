/* SPDX-License-Identifier: MIT */
/* pprof import: a perftools.profiles.Profile (ctop-prof's, Go's
 * runtime/pprof, ...), already gunzipped by read.c, into a profile: its
 * mappings as modules, each location with an address kept with its lines,
 * its run (sample types, period, times, comments) kept for writing it
 * again, and the process label made the process frame again. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"
#include "ctop/util.h"
#include "internal.h"
#include "pprof_pb.h"

/* ------------------------------------------------------------------------
 * Reader: a perftools.profiles.Profile (ours, Go's runtime/pprof, ...)
 * into a profile. Every index and id is checked before it is used: the
 * file comes from outside.
 * ------------------------------------------------------------------------ */

struct pr {
	const pb_profile *pb;
	const char *path;
	struct profile *p;
	uint32_t *loc_frames;		/* per location: where its run of
					 * frames starts in frames[] */
	uint32_t *frames;		/* frame ids, innermost first */
	uint32_t proc_frame;		/* the process frame to prepend */
	uint32_t *proc_of_loc;		/* location -> its frame as the
					 * process frame + 1 (0: not yet) */
	uint8_t *bare;			/* location: no mapping, one line, a
					 * function without file or line */
	uint32_t *loc_ids;		/* location -> ours (PROFILE_NO_LOC:
					 * no address) */
	size_t vi;			/* the value used as the count */
	size_t ti;			/* the value that is count * period
					 * (run.time_type), if any */
	struct profile_run run;		/* what the file says of its run */
	int64_t pid;			/* its samples' pid label: 0 none yet,
					 * -1 several */
};

static int
pr_fail(const struct pr *r, char **cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pr_fail(const struct pr *r, char **cause, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (cause && asprintf(cause, "%s: pprof: %s", r->path, what ? what :
	    "malformed") < 0)
		*cause = NULL;
	free(what);
	return -EINVAL;
}

/* A message that does not parse, named by the byte where it breaks: in
 * the file as the other readers' errors ("FILE: byte N: ..."), or in the
 * inflated bytes of a gzipped one. */
static int
pr_fail_at(const struct pr *r, char **cause, size_t at, size_t len,
    bool inflated)
{
	int n;

	if (!cause)
		return -EINVAL;
	if (at == SIZE_MAX)
		at = 0;
	if (inflated)
		n = asprintf(cause, "%s: pprof: byte %zu of the %zu inflated "
		    "bytes does not parse (cut short or not a profile)", r->path,
		    at, len);
	else
		n = asprintf(cause, "%s: byte %zu: pprof: the protobuf message "
		    "of %zu bytes does not parse there (cut short or not a "
		    "profile)", r->path, at, len);
	if (n < 0)
		*cause = NULL;
	return -EINVAL;
}

/* A string of the table, or NULL when the index is out of range. */
static const char *
pr_str(const struct pr *r, int64_t i)
{
	if (i < 0 || (uint64_t)i >= r->pb->n_string_table)
		return NULL;
	return r->pb->string_table[i];
}

struct id_at {
	uint64_t id;
	uint32_t at;
};

static int
id_cmp(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The index of id in the sorted table, or UINT32_MAX. */
static uint32_t
id_find(const struct id_at *t, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].id == id ? t[lo].at : UINT32_MAX;
}

static struct id_at *
id_table(size_t n, uint64_t (*id_of)(const pb_profile *, size_t),
    const pb_profile *pb)
{
	struct id_at *t = malloc((n ? n : 1) * sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = (struct id_at){ id_of(pb, i), (uint32_t)i };
	qsort(t, n, sizeof(*t), id_cmp);
	return t;
}

static uint64_t
loc_id_of(const pb_profile *pb, size_t i)
{
	return pb->location[i]->id;
}

static uint64_t
fn_id_of(const pb_profile *pb, size_t i)
{
	return pb->function[i]->id;
}

static uint64_t
map_id_of(const pb_profile *pb, size_t i)
{
	return pb->mapping[i]->id;
}

/* The value index to count: "samples" when there is one (ours, Go's CPU
 * profiles), else the default type, else the last. */
static size_t
pr_value_index(const struct pr *r)
{
	const pb_profile *pb = r->pb;
	size_t i;

	for (i = 0; i < pb->n_sample_type; i++) {
		const char *t = pr_str(r, pb->sample_type[i]->type);

		if (t && strcmp(t, "samples") == 0)
			return i;
	}
	for (i = 0; i < pb->n_sample_type; i++)
		if (pb->default_sample_type &&
		    pb->sample_type[i]->type == pb->default_sample_type)
			return i;
	return pb->n_sample_type ? pb->n_sample_type - 1 : 0;
}

/* The basename of a path, for the process frame. */
static const char *
base_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

/* Location i as ours, where it has an address: its frames (innermost
 * first) with the line each has there, so that a function sampled at
 * several lines keeps them apart (its frame has only the first). */
static int
pr_loc_address(struct pr *r, size_t i)
{
	const pb_location *l = r->pb->location[i];
	uint32_t first = r->loc_frames[i], n = r->loc_frames[i + 1] - first;
	struct profile_line *lines;
	uint32_t k;

	r->loc_ids[i] = PROFILE_NO_LOC;
	if (!l->address || !n)
		return 0;
	if (!(lines = malloc(n * sizeof(*lines))))
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		int64_t ln = k < l->n_line ? l->line[k]->line : 0;

		lines[k].frame = r->frames[first + k];
		lines[k].line = ln > 0 && ln <= INT32_MAX ? (uint32_t)ln : 0;
	}
	r->loc_ids[i] = profile_intern_loc(r->p, l->address, lines, n);
	free(lines);
	return r->loc_ids[i] == PROFILE_NO_LOC ? -ENOMEM : 0;
}

/* Every named mapping as a module of the profile, keyed by its file as
 * the frames' module is: its range, offset and build id stay. */
static int
pr_modules(struct pr *r)
{
	const pb_profile *pb = r->pb;
	size_t i;

	for (i = 0; i < pb->n_mapping; i++) {
		const pb_mapping *m = pb->mapping[i];
		const char *file = pr_str(r, m->filename);
		const char *bid = pr_str(r, m->build_id);
		struct profile_module pm = { file, file, m->memory_start,
		    m->memory_limit, m->file_offset, bid && *bid ? bid : NULL,
		    0 };

		if (!file || !*file)
			continue;
		if (m->has_functions)
			pm.flags |= PROFILE_MOD_FUNCTIONS;
		if (m->has_filenames || m->has_line_numbers)
			pm.flags |= PROFILE_MOD_LINES;
		if (profile_set_module(r->p, &pm))
			return -ENOMEM;
	}
	return 0;
}

/* Interns the frames of every location (innermost first, as its lines),
 * and remembers where each location's run starts in r->frames. */
static int
pr_locations(struct pr *r, struct id_at *fns, struct id_at *maps,
    char **cause)
{
	const pb_profile *pb = r->pb;
	size_t i, k, nf = 0;
	int err;

	for (i = 0; i < pb->n_location; i++)
		nf += pb->location[i]->n_line ? pb->location[i]->n_line : 1;
	r->frames = malloc((nf ? nf : 1) * sizeof(*r->frames));
	r->loc_frames = malloc((pb->n_location + 1) * sizeof(*r->loc_frames));
	if (!r->frames || !r->loc_frames)
		return -ENOMEM;
	nf = 0;
	for (i = 0; i < pb->n_location; i++) {
		const pb_location *l = pb->location[i];
		const char *module = NULL;
		uint32_t m = l->mapping_id ? id_find(maps, pb->n_mapping,
		    l->mapping_id) : UINT32_MAX;
		char addr[32];

		if (l->mapping_id && m == UINT32_MAX)
			return pr_fail(r, cause, "location %llu: no mapping %llu",
			    (unsigned long long)l->id,
			    (unsigned long long)l->mapping_id);
		/* The mapping's file as the module: a path in ours (where
		 * the worker knew it) and Go's, so two files of one name
		 * stay apart. */
		if (m != UINT32_MAX)
			module = pr_str(r, pb->mapping[m]->filename);
		r->loc_frames[i] = (uint32_t)nf;
		if (!l->n_line) {
			/* No symbol: named by its address, as folded does. */
			struct frame f = { addr, module && *module ? module :
			    NULL, NULL, 0, FRAME_FUNC, 0, NULL };

			snprintf(addr, sizeof(addr), "0x%llx",
			    (unsigned long long)l->address);
			if ((r->frames[nf++] = profile_intern(r->p, &f)) ==
			    PROFILE_NO_FRAME)
				return -ENOMEM;
			continue;
		}
		for (k = 0; k < l->n_line; k++) {
			uint32_t fi = id_find(fns, pb->n_function,
			    l->line[k]->function_id);
			const pb_function *fn;
			struct frame f = { NULL, module && *module ? module :
			    NULL, NULL, 0, FRAME_FUNC, 0, NULL };

			if (fi == UINT32_MAX)
				return pr_fail(r, cause, "location %llu: no "
				    "function %llu", (unsigned long long)l->id,
				    (unsigned long long)l->line[k]->function_id);
			fn = pb->function[fi];
			f.name = pr_str(r, fn->name);
			f.file = pr_str(r, fn->filename);
			f.system_name = pr_str(r, fn->system_name);
			if (!f.name || !f.file || !f.system_name)
				return pr_fail(r, cause, "function %llu: string "
				    "index out of range",
				    (unsigned long long)fn->id);
			if (!*f.file)
				f.file = NULL;
			if (!*f.system_name || strcmp(f.system_name,
			    f.name) == 0)
				f.system_name = NULL;
			f.start_line = fn->start_line > 0 &&
			    fn->start_line <= INT32_MAX ?
			    (uint32_t)fn->start_line : 0;
			if (!*f.name)
				f.name = "[unknown]";
			f.line = l->line[k]->line > 0 && l->line[k]->line <=
			    INT32_MAX ? (uint32_t)l->line[k]->line : 0;
			/* Lines before the last were inlined into it. */
			if (k + 1 < l->n_line)
				f.kind = FRAME_INLINE;
			else if (module && strncmp(module, "[kernel", 7) == 0)
				f.kind = FRAME_KERNEL;
			else if (module && (strcmp(module, "[jit]") == 0 ||
			    (strstr(module, "/perf-") &&
			    strstr(module, ".map"))))
				f.kind = FRAME_JIT;
			else if (!module && f.name[0] == '[' &&
			    f.name[strlen(f.name) - 1] == ']')
				f.kind = FRAME_MARKER;
			if ((r->frames[nf++] = profile_intern(r->p, &f)) ==
			    PROFILE_NO_FRAME)
				return -ENOMEM;
			r->bare[i] = !l->mapping_id && l->n_line == 1 &&
			    !f.file && !f.line;
		}
	}
	r->loc_frames[pb->n_location] = (uint32_t)nf;
	for (i = 0; i < pb->n_location; i++)
		if ((err = pr_loc_address(r, i)))
			return err;
	return 0;
}

/* The process frame of a sample whose outermost location l is one: no
 * mapping, one line, no file or line (how ctop-prof writes its root).
 * Returns its frame id, PROFILE_NO_FRAME when l is not one (or ENOMEM). */
static uint32_t
pr_process(struct pr *r, uint32_t l)
{
	const struct frame *f = profile_frame(r->p, r->frames[r->loc_frames[l]]);
	struct frame pf;

	if (r->proc_of_loc[l])
		return r->proc_of_loc[l] - 1;
	/* Asked of the file, not of the interned frame, which may be a
	 * function of the same name seen elsewhere with a file. */
	if (!r->bare[l])
		return PROFILE_NO_FRAME;
	pf = (struct frame){ f->name, NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	r->proc_of_loc[l] = profile_intern(r->p, &pf) + 1;
	return r->proc_of_loc[l] - 1;
}

/* The sample's thread, from the labels thread_id and thread, and in
 * *proc its process frame as our files keep it (the label "process"),
 * else PROFILE_NO_FRAME (or ENOMEM). */
static int32_t
pr_thread(struct pr *r, const pb_sample *s, uint32_t *proc)
{
	const char *name = NULL, *pname = NULL;
	int32_t tid = 0;
	size_t i;

	for (i = 0; i < s->n_label; i++) {
		const char *key = pr_str(r, s->label[i]->key);

		if (!key)
			continue;
		if (strcmp(key, "thread_id") == 0 && s->label[i]->num > 0 &&
		    s->label[i]->num <= INT32_MAX)
			tid = (int32_t)s->label[i]->num;
		else if (strcmp(key, "thread") == 0)
			name = pr_str(r, s->label[i]->str);
		else if (strcmp(key, "process") == 0)
			pname = pr_str(r, s->label[i]->str);
		else if (strcmp(key, "pid") == 0 && r->pid != -1)
			r->pid = !r->pid || r->pid == s->label[i]->num ?
			    s->label[i]->num : -1;
	}
	if (tid && name && *name)
		profile_set_thread_name(r->p, tid, name);
	*proc = PROFILE_NO_FRAME;
	if (pname && *pname) {
		struct frame pf = { pname, NULL, NULL, 0, FRAME_PROCESS, 0,
		    NULL };

		*proc = profile_intern(r->p, &pf);
	}
	return tid;
}

/* The second value is kept as count * period only while every sample
 * says so (Go's CPU profiles, ours): else writing it so would lie. */
static void
pr_check_time(struct pr *r, const pb_sample *s, int64_t count)
{
	int64_t want;

	if (r->run.time_type && (__builtin_mul_overflow(count,
	    r->run.period, &want) || s->value[r->ti] != want))
		r->run.time_type = NULL;
}

/* What the file says of its run: the counted value's type, a second
 * value in nanoseconds that is count * period (checked by the samples),
 * the period, times and comments. */
static int
pr_run(struct pr *r)
{
	const pb_profile *pb = r->pb;
	const pb_vtype *pt = pb->period_type;
	size_t i;

	if (r->vi < pb->n_sample_type) {
		r->run.count_type = pr_str(r, pb->sample_type[r->vi]->type);
		r->run.count_unit = pr_str(r, pb->sample_type[r->vi]->unit);
	}
	r->run.period = pb->period;
	if (pt) {
		r->run.period_type = pr_str(r, pt->type);
		r->run.period_unit = pr_str(r, pt->unit);
	}
	r->ti = r->vi ? 0 : 1;
	if (pb->n_sample_type == 2 && pb->period > 0 && r->run.period_unit &&
	    strcmp(r->run.period_unit, "nanoseconds") == 0 &&
	    pb->sample_type[r->ti]->type == pt->type &&
	    pb->sample_type[r->ti]->unit == pt->unit)
		r->run.time_type = r->run.period_type;
	r->run.time_nanos = pb->time_nanos;
	r->run.duration_nanos = pb->duration_nanos;
	if (pb->n_comment && !(r->run.comments = calloc(pb->n_comment,
	    sizeof(*r->run.comments))))
		return -ENOMEM;
	for (i = 0; i < pb->n_comment; i++) {
		const char *c = pr_str(r, pb->comment[i]);

		if (c)
			((const char **)r->run.comments)[r->run.n_comments++] = c;
	}
	return 0;
}

static int
pr_samples(struct pr *r, struct id_at *locs, char **cause)
{
	const pb_profile *pb = r->pb;
	uint32_t *stack = NULL, *lids = NULL;
	size_t cap = 0, i, k, n;
	int32_t tid;
	int err = 0;

	for (i = 0; i < pb->n_sample && !err; i++) {
		const pb_sample *s = pb->sample[i];
		int64_t count = r->vi < s->n_value ? s->value[r->vi] : 0;

		if (s->n_value != pb->n_sample_type) {
			err = pr_fail(r, cause, "sample %zu: %zu values for "
			    "%zu sample types", i, s->n_value,
			    pb->n_sample_type);
			break;
		}
		if (count <= 0)
			continue;
		pr_check_time(r, s, count);
		n = 1;
		for (k = 0; k < s->n_location_id && !err; k++) {
			uint32_t l = id_find(locs, pb->n_location,
			    s->location_id[k]);

			if (l == UINT32_MAX)
				err = pr_fail(r, cause, "sample %zu: no "
				    "location %llu", i, (unsigned long long)
				    s->location_id[k]);
			else
				n += r->loc_frames[l + 1] - r->loc_frames[l];
		}
		if (err)
			break;
		if (n > cap) {
			free(stack);
			cap = n * 2;
			if (!(stack = malloc(2 * cap * sizeof(*stack)))) {
				err = -ENOMEM;
				break;
			}
			lids = stack + cap;
		}
		/* Root first: the last location's last line first. Our own
		 * files name the process frame in a label (older ones as the
		 * outermost location); others get one. */
		k = s->n_location_id;
		tid = pr_thread(r, s, &stack[0]);
		if (stack[0] == PROFILE_NO_FRAME && k && (stack[0] =
		    pr_process(r, id_find(locs, pb->n_location,
		    s->location_id[k - 1]))) != PROFILE_NO_FRAME)
			k--;
		if (stack[0] == PROFILE_NO_FRAME)
			stack[0] = r->proc_frame;
		lids[0] = PROFILE_NO_LOC;
		n = 1;
		while (k-- > 0) {
			uint32_t l = id_find(locs, pb->n_location,
			    s->location_id[k]), j;

			for (j = r->loc_frames[l + 1]; j-- > r->loc_frames[l];) {
				lids[n] = r->loc_ids[l];
				stack[n++] = r->frames[j];
			}
		}
		err = profile_add_locs(r->p, tid, 0, stack, lids, n,
		    (uint64_t)count);
	}
	free(stack);
	return err;
}

/* One varint at b[*at] (of n bytes), *at moved past it; false when it is
 * cut short or longer than 10 bytes. */
static bool
pb_varint(const uint8_t *b, size_t n, size_t *at, uint64_t *v)
{
	unsigned shift;

	*v = 0;
	for (shift = 0; shift <= 63 && *at < n; shift += 7) {
		uint8_t c = b[(*at)++];

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/* The end of the field at b[at] (tag and value), or 0 when its tag, length
 * or wire type does not parse (groups are not read by protobuf-c); *value
 * is where its value starts. */
static size_t
pb_field_end(const uint8_t *b, size_t n, size_t at, uint64_t *tag,
    size_t *value)
{
	uint64_t len;

	if (!pb_varint(b, n, &at, tag) || *tag >> 3 == 0)
		return 0;
	*value = at;
	switch (*tag & 7) {
	case 0:
		return pb_varint(b, n, &at, &len) ? at : 0;
	case 1:
		return n - at >= 8 ? at + 8 : 0;
	case 2:
		if (!pb_varint(b, n, &at, &len) || len > n - at)
			return 0;
		*value = at;
		return at + (size_t)len;
	case 5:
		return n - at >= 4 ? at + 4 : 0;
	default:
		return 0;
	}
}

/* Where a message that protobuf-c refused breaks: the byte (from b) of the
 * first field that does not parse alone, looked into when it is a message
 * itself; SIZE_MAX when every field parses alone. The message is the only
 * thing protobuf-c reports, and a user given "byte N" can look there. */
static size_t
pb_break_at(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n)
{
	size_t at, end, value, inner;
	uint64_t tag;

	for (at = 0; at < n; at = end) {
		const ProtobufCFieldDescriptor *f;
		ProtobufCMessage *m;

		if (!(end = pb_field_end(b, n, at, &tag, &value)))
			return at;
		if ((m = protobuf_c_message_unpack(d, NULL, end - at, b + at))) {
			protobuf_c_message_free_unpacked(m, NULL);
			continue;
		}
		f = tag >> 3 <= UINT32_MAX ?
		    protobuf_c_message_descriptor_get_field(d,
		    (unsigned)(tag >> 3)) : NULL;
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && (tag & 7) == 2 &&
		    (inner = pb_break_at(f->descriptor, b + value,
		    end - value)) != SIZE_MAX)
			return value + inner;
		return at;
	}
	return SIZE_MAX;
}

int
export__pprof_read(struct profile *p, const uint8_t *buf, size_t len,
    bool inflated, const char *path, char **cause)
{
	struct pr r = { .path = path, .p = p };
	struct id_at *locs = NULL, *fns = NULL, *maps = NULL;
	pb_profile *pb;
	struct frame proc = { "pprof", NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	int err;

	pb = perftools__profiles__profile__unpack(NULL, len, buf);
	if (!pb)
		return pr_fail_at(&r, cause, pb_break_at(
		    &perftools__profiles__profile__descriptor, buf, len), len,
		    inflated);
	r.pb = pb;
	if (!pb->n_string_table || pb->string_table[0][0]) {
		err = pr_fail(&r, cause, "string_table[0] is not \"\"");
		goto out;
	}
	locs = id_table(pb->n_location, loc_id_of, pb);
	fns = id_table(pb->n_function, fn_id_of, pb);
	maps = id_table(pb->n_mapping, map_id_of, pb);
	err = !locs || !fns || !maps ? -ENOMEM : 0;
	if (!err && pb->n_mapping)
		proc.name = base_name(pr_str(&r, pb->mapping[0]->filename));
	if (!proc.name || !*proc.name)
		proc.name = "pprof";
	r.vi = pr_value_index(&r);
	if (!err && (r.proc_frame = profile_intern(p, &proc)) ==
	    PROFILE_NO_FRAME)
		err = -ENOMEM;
	if (!err && (!(r.proc_of_loc = calloc(pb->n_location + 1,
	    sizeof(*r.proc_of_loc))) || !(r.bare = calloc(pb->n_location + 1,
	    1))))
		err = -ENOMEM;
	if (!err && !(r.loc_ids = malloc((pb->n_location + 1) *
	    sizeof(*r.loc_ids))))
		err = -ENOMEM;
	if (!err)
		err = pr_modules(&r);
	if (!err)
		err = pr_run(&r);
	if (!err)
		err = pr_locations(&r, fns, maps, cause);
	if (!err)
		err = pr_samples(&r, locs, cause);
	if (!err) {
		r.run.pid = r.pid > 0 && r.pid <= INT32_MAX ? (int32_t)r.pid :
		    0;
		err = profile_set_run(p, &r.run);
	}
	if (err == -ENOMEM && cause && !*cause)
		pr_fail(&r, cause, "out of memory");
out:
	free(locs);
	free(fns);
	free(maps);
	free(r.frames);
	free(r.loc_frames);
	free(r.proc_of_loc);
	free(r.bare);
	free(r.loc_ids);
	free((void *)r.run.comments);
	perftools__profiles__profile__free_unpacked(pb, NULL);
	return err;
}
