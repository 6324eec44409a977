/* SPDX-License-Identifier: MIT */
/* symbols: JIT perf maps. A JIT (V8, the JVM with perf-map-agent, LuaJIT,
 * .NET...) writes /tmp/perf-PID.map, one "START SIZE name" line per piece
 * of code it emits, and appends as it compiles more; code memory is
 * recycled, so a later line for an overlapping range wins.
 *
 * The file is written by the target and read by us, possibly as root: it
 * is untrusted input. We open it through the target's root, follow no
 * symlink anywhere below that root, and use it only when it is a regular
 * file owned by the target's effective uid or by root and not writable by
 * others; the parser takes any bytes (it is fuzzed). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctop/diag.h"
#include "ctop/util.h"
#include "internal.h"

/* A map is looked at again at most this often while pcs are named from it,
 * and at most every MISS_NS when a pc finds no entry (new code). */
#define REFRESH_NS (1000ull * 1000 * 1000)
#define MISS_NS (100ull * 1000 * 1000)

/* True when the map was never looked at, or not for `interval` ns. */
static bool
read_due(const struct symbols__perfmap *pm, uint64_t interval)
{
	return !pm->last_read_ns ||
	    util_now_ns() - pm->last_read_ns >= interval;
}

/* ------------------------------------------------------------------------
 * The parser: bytes in, (start, size, name) out
 * ------------------------------------------------------------------------ */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex number at *p (before end), optional 0x; at least one digit and no
 * overflow. Advances *p past it. */
static bool
parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;
	int d;

	if (end - q >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		q += 2;
	if (q == end || hex_digit(*q) < 0)
		return false;
	for (; q < end && (d = hex_digit(*q)) >= 0; q++) {
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*p = q;
	*out = v;
	return true;
}

/* One line without its '\n'. Returns fn's result, or 0 when skipped. */
static int
parse_line(const char *p, const char *end, symbols__perfmap_fn fn, void *ctx)
{
	uint64_t start, size;

	while (end > p && (is_blank(end[-1]) || end[-1] == '\r'))
		end--;
	if (!parse_hex(&p, end, &start) || p == end || !is_blank(*p))
		return 0;
	while (p < end && is_blank(*p))
		p++;
	if (!parse_hex(&p, end, &size) || p == end || !is_blank(*p))
		return 0;
	while (p < end && is_blank(*p))
		p++;
	/* The name is the rest: may hold blanks, never a NUL (it becomes a
	 * C string), never empty; the range must not wrap. */
	if (p == end || memchr(p, '\0', (size_t)(end - p)) || size == 0 ||
	    start + size < start)
		return 0;
	return fn(ctx, start, size, p, (size_t)(end - p));
}

size_t
symbols__perfmap_parse(const char *buf, size_t len, symbols__perfmap_fn fn,
    void *ctx)
{
	size_t at = 0;

	while (at < len) {
		const char *line = buf + at;
		const char *nl = memchr(line, '\n', len - at);

		if (!nl)
			break;
		if ((size_t)(nl - line) <= SYMBOLS_PERFMAP_MAX_LINE &&
		    parse_line(line, nl, fn, ctx) < 0)
			break;
		at = (size_t)(nl - buf) + 1;
	}
	return at;
}

/* ------------------------------------------------------------------------
 * The table: disjoint ranges, the latest entry on top
 * ------------------------------------------------------------------------ */

static int
jit_cmp(const void *a, const void *b)
{
	const struct symbols__jit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A max-heap of indices into v, by seq: the entry that wins. */
struct heap {
	size_t *h;
	size_t n;
	const struct symbols__jit *v;
};

static bool
heap_above(const struct heap *hp, size_t i, size_t j)
{
	return hp->v[hp->h[i]].seq > hp->v[hp->h[j]].seq;
}

static void
heap_swap(struct heap *hp, size_t i, size_t j)
{
	size_t t = hp->h[i];

	hp->h[i] = hp->h[j];
	hp->h[j] = t;
}

static void
heap_push(struct heap *hp, size_t idx)
{
	size_t i = hp->n++;

	hp->h[i] = idx;
	for (; i > 0 && heap_above(hp, i, (i - 1) / 2); i = (i - 1) / 2)
		heap_swap(hp, i, (i - 1) / 2);
}

static void
heap_pop(struct heap *hp)
{
	size_t i = 0;

	hp->h[0] = hp->h[--hp->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;

		if (l < hp->n && heap_above(hp, l, top))
			top = l;
		if (r < hp->n && heap_above(hp, r, top))
			top = r;
		if (top == i)
			return;
		heap_swap(hp, i, top);
		i = top;
	}
}

static void
emit(struct symbols__jit *out, size_t *n, const struct symbols__jit *e,
    uint64_t lo, uint64_t hi)
{
	if (*n && out[*n - 1].seq == e->seq && out[*n - 1].end == lo) {
		out[*n - 1].end = hi;
		return;
	}
	out[(*n)++] = (struct symbols__jit){ lo, hi, e->name, e->seq };
}

/* Sweeps v[0, n) (sorted by start) left to right: at every point the
 * covering entry with the highest seq wins. At most 2n pieces come out,
 * each boundary being a start or an end. Returns the count, or -1. */
static long
sweep(const struct symbols__jit *v, size_t n, struct symbols__jit *out)
{
	struct heap hp = { malloc((n ? n : 1) * sizeof(size_t)), 0, v };
	size_t i = 0, k = 0;
	uint64_t x = 0;

	if (!hp.h)
		return -1;
	while (i < n || hp.n) {
		const struct symbols__jit *top;
		uint64_t next;

		if (!hp.n)
			x = v[i].start;
		while (i < n && v[i].start <= x)
			heap_push(&hp, i++);
		while (hp.n && v[hp.h[0]].end <= x)
			heap_pop(&hp);
		if (!hp.n)
			continue;
		top = &v[hp.h[0]];
		next = top->end;
		if (i < n && v[i].start < next)
			next = v[i].start;
		emit(out, &k, top, x, next);
		x = next;
	}
	free(hp.h);
	return (long)k;
}

/* Merges the (sorted, disjoint) table and the sorted batch by start. */
static void
merge(const struct symbols__jit_table *t, const struct symbols__jit *b,
    size_t n, struct symbols__jit *all, bool *overlap)
{
	size_t i = 0, j = 0, k = 0;
	uint64_t reach = 0;

	while (i < t->n || j < n) {
		if (j == n || (i < t->n && jit_cmp(&t->v[i], &b[j]) <= 0))
			all[k] = t->v[i++];
		else
			all[k] = b[j++];
		if (k && all[k].start < reach)
			*overlap = true;
		if (!k || all[k].end > reach)
			reach = all[k].end;
		k++;
	}
}

int
symbols__jit_table_add(struct symbols__jit_table *t,
    struct symbols__jit *batch, size_t n, bool *overlap)
{
	struct symbols__jit *all, *out;
	size_t total = t->n + n;
	long k;

	*overlap = false;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		batch[i].seq = t->next_seq + i;
	qsort(batch, n, sizeof *batch, jit_cmp);
	all = malloc(total * sizeof *all);
	if (!all)
		return -ENOMEM;
	merge(t, batch, n, all, overlap);
	if (!*overlap) {
		/* The common case: fresh code at fresh addresses. */
		out = all;
		k = (long)total;
	} else {
		out = malloc(2 * total * sizeof *out);
		k = out ? sweep(all, total, out) : -1;
		free(all);
		if (k < 0) {
			free(out);
			return -ENOMEM;
		}
	}
	free(t->v);
	t->v = out;
	t->n = (size_t)k;
	t->next_seq += n;
	return 0;
}

const struct symbols__jit *
symbols__jit_table_find(const struct symbols__jit_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < t->v[mid].start)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 0 || pc >= t->v[lo - 1].end)
		return NULL;
	return &t->v[lo - 1];
}

void
symbols__jit_table_free(struct symbols__jit_table *t)
{
	free(t->v);
	*t = (struct symbols__jit_table){ 0 };
}

/* ------------------------------------------------------------------------
 * The reader: /proc/PID/root/tmp/perf-NSPID.map, if we trust it
 * ------------------------------------------------------------------------ */

/* From /proc/PID/status: the pid in the target's own pid namespace (the
 * last NSpid field; the name of its map) and its effective uid. */
static void
read_status(pid_t pid, long *nspid, long *euid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	*nspid = pid;
	*euid = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *p, *last = NULL;
		long real, eff;

		if (strncmp(line, "NSpid:", 6) == 0) {
			for (p = strtok(line + 6, " \t\n"); p;
			    p = strtok(NULL, " \t\n"))
				last = p;
			if (last && atol(last) > 0)
				*nspid = atol(last);
		} else if (sscanf(line, "Uid: %ld %ld", &real, &eff) == 2) {
			*euid = eff;
		}
	}
	free(line);
	fclose(f);
}

/* Logs a refusal (or a note) once: again only when the reason changes. */
static void
say_once(struct symbols__perfmap *pm, const char *why)
{
	if (pm->why_said && strcmp(pm->why_said, why) == 0)
		return;
	free(pm->why_said);
	pm->why_said = strdup(why);
	diag("%s", why);
}

/* Checks what fstat says of an opened map. Returns NULL when trusted, else
 * why not (into buf). */
static const char *
distrust(const struct stat *st, long euid, char *buf, size_t size)
{
	if (!S_ISREG(st->st_mode))
		return "it is not a regular file";
	if (st->st_uid != 0 && (long)st->st_uid != euid) {
		snprintf(buf, size, "it is owned by uid %ld, neither the "
		    "target's (%ld) nor root", (long)st->st_uid, euid);
		return buf;
	}
	if (st->st_mode & S_IWOTH)
		return "anyone may write it";
	return NULL;
}

/* Opens the map without following any symlink below the target's root:
 * "tmp" and the file itself are opened with O_NOFOLLOW. Returns the fd,
 * -ENOENT when there is no map (said nothing), or -EPERM after saying
 * why the map is ignored. */
static int
map_open(struct symbols *s, struct stat *st)
{
	struct symbols__perfmap *pm = &s->jit;
	char path[64], name[48], buf[160], why[320];
	const char *bad = NULL;
	int root, tmp, fd = -1, err;
	struct stat pre;
	long nspid, euid;

	read_status(s->pid, &nspid, &euid);
	snprintf(name, sizeof name, "perf-%ld.map", nspid);
	pm->module = symbols__intern(s, name);
	snprintf(path, sizeof path, "/proc/%d/root", (int)s->proc_pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	tmp = root < 0 ? -1 : openat(root, "tmp",
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	err = errno;
	if (root >= 0)
		close(root);
	if (tmp < 0) {
		if (root >= 0 && err != ENOENT) {
			snprintf(why, sizeof why, "/tmp/%s ignored: cannot "
			    "open the target's /tmp%s: %s", name,
			    err == ENOTDIR || err == ELOOP ?
			    " (a symbolic link?)" : "", strerror(err));
			say_once(pm, why);
		}
		return root < 0 || err == ENOENT ? -ENOENT : -EPERM;
	}
	/* Look before opening: opening a device or a FIFO planted there
	 * could have effects of its own. */
	if (fstatat(tmp, name, &pre, AT_SYMLINK_NOFOLLOW) < 0) {
		close(tmp);
		return -ENOENT;
	}
	if (S_ISLNK(pre.st_mode))
		bad = "it is a symbolic link";
	else if (!S_ISREG(pre.st_mode))
		bad = "it is not a regular file";
	else if ((fd = openat(tmp, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		bad = strerror(errno);
	else if (fstat(fd, st) < 0)
		bad = strerror(errno);
	else if (st->st_dev != pre.st_dev || st->st_ino != pre.st_ino)
		bad = "it was replaced while being opened";
	else
		bad = distrust(st, euid, buf, sizeof buf);
	close(tmp);
	if (bad) {
		if (fd >= 0)
			close(fd);
		snprintf(why, sizeof why, "/tmp/%s ignored (no JIT names): %s",
		    name, bad);
		say_once(pm, why);
		return -EPERM;
	}
	if (pm->ino != (uint64_t)st->st_ino || pm->dev != (uint64_t)st->st_dev) {
		snprintf(why, sizeof why, "JIT names from /tmp/%s of pid %d "
		    "(owner uid %ld)", name, (int)s->pid, (long)st->st_uid);
		say_once(pm, why);
	}
	return fd;
}

/* The entries of one read, names interned. */
struct batch {
	struct symbols *s;
	struct symbols__jit *v;
	size_t n, cap;
};

static int
batch_add(void *ctx, uint64_t start, uint64_t size, const char *name,
    size_t name_len)
{
	struct batch *b = ctx;
	char *tmp;

	if (util_grow(&b->v, &b->cap, b->n + 1, sizeof *b->v, 256))
		return -ENOMEM;
	tmp = strndup(name, name_len);
	b->v[b->n].name = tmp ? symbols__intern(b->s, tmp) : NULL;
	free(tmp);
	if (!b->v[b->n].name)
		return -ENOMEM;
	b->v[b->n].start = start;
	b->v[b->n].end = start + size;
	b->n++;
	return 0;
}

/* Reads [pm->offset, size) and parses its whole lines into b. */
static int
read_new(struct symbols__perfmap *pm, int fd, uint64_t size, struct batch *b)
{
	size_t len = (size_t)(size - pm->offset), got = 0, at = 0, used;
	char *buf = malloc(len ? len : 1);

	if (!buf)
		return -ENOMEM;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got,
		    (off_t)(pm->offset + got));

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (pm->skip_line) {
		char *nl = memchr(buf, '\n', got);

		at = nl ? (size_t)(nl - buf) + 1 : got;
		pm->skip_line = nl == NULL;
	}
	used = at + symbols__perfmap_parse(buf + at, got - at, batch_add, b);
	/* An unfinished line may be completed by the next write, unless it
	 * is already too long to be used. */
	if (got - used > SYMBOLS_PERFMAP_MAX_LINE) {
		used = got;
		pm->skip_line = true;
	}
	pm->offset += used;
	free(buf);
	return 0;
}

static void
note_miss(struct symbols__perfmap *pm, uint64_t pc)
{
	for (size_t i = 0; i < pm->n_missed; i++) {
		if (pm->missed[i] == pc)
			return;
	}
	if (pm->n_missed < SYMBOLS_PERFMAP_MAX_MISSED)
		pm->missed[pm->n_missed++] = pc;
	else
		pm->missed_many = true;
}

/* Whether the map now names a pc that missed before. */
static bool
missed_named(const struct symbols__perfmap *pm)
{
	if (pm->missed_many)
		return true;
	for (size_t i = 0; i < pm->n_missed; i++) {
		if (symbols__jit_table_find(&pm->table, pm->missed[i]))
			return true;
	}
	return false;
}

/* Follows the map: reads what was appended since the last time, or all
 * of it again when it shrank or is another file. Bumps the generation
 * when names already handed out (a miss included) may have changed, so
 * the worker's own cache forgets them. */
static void
map_refresh(struct symbols *s)
{
	struct symbols__perfmap *pm = &s->jit;
	struct batch b = { s, NULL, 0, 0 };
	bool restart, overlap = false;
	uint64_t size;
	struct stat st;
	int fd;

	pm->last_read_ns = util_now_ns();
	fd = map_open(s, &st);
	if (fd < 0)
		return;		/* keep what we had: the code may still run */
	restart = (uint64_t)st.st_ino != pm->ino ||
	    (uint64_t)st.st_dev != pm->dev || (uint64_t)st.st_size < pm->offset;
	if (restart) {
		symbols__jit_table_free(&pm->table);
		pm->ino = (uint64_t)st.st_ino;
		pm->dev = (uint64_t)st.st_dev;
		pm->offset = 0;
		pm->skip_line = false;
	}
	size = (uint64_t)st.st_size;
	if (size > SYMBOLS_PERFMAP_MAX_BYTES) {
		size = SYMBOLS_PERFMAP_MAX_BYTES;
		if (!pm->capped_said)
			diag("/tmp/%s: only its first %llu MiB are read",
			    pm->module, SYMBOLS_PERFMAP_MAX_BYTES >> 20);
		pm->capped_said = true;
	}
	if (size > pm->offset && read_new(pm, fd, size, &b) == 0 && b.n)
		symbols__jit_table_add(&pm->table, b.v, b.n, &overlap);
	close(fd);
	free(b.v);
	/* Moving the generation costs the pc cache and the unwind tables:
	 * only when a name handed out may be wrong now. */
	if ((b.n && missed_named(pm)) || ((restart || overlap) && pm->named)) {
		symbols__bump(s);
		pm->n_missed = 0;
		pm->missed_many = pm->named = false;
	}
}

int
symbols__jit_resolve(struct symbols *s, uint64_t pc, bool exact,
    struct frame *out)
{
	struct symbols__perfmap *pm = &s->jit;
	/* A return address points after the call: name the call itself. */
	uint64_t pca = exact || pc == 0 ? pc : pc - 1;
	const struct symbols__jit *e;

	if (read_due(pm, REFRESH_NS))
		map_refresh(s);
	e = symbols__jit_table_find(&pm->table, pca);
	if (!e && read_due(pm, MISS_NS)) {
		map_refresh(s);
		e = symbols__jit_table_find(&pm->table, pca);
	}
	if (!e) {
		note_miss(pm, pca);
		return 0;
	}
	pm->named = true;
	*out = (struct frame){ .name = e->name, .module = pm->module,
	    .kind = FRAME_JIT };
	return 1;
}

void
symbols__jit_follow(struct symbols *s)
{
	struct symbols__perfmap *pm = &s->jit;

	if ((pm->n_missed && read_due(pm, MISS_NS)) ||
	    (pm->table.n && read_due(pm, REFRESH_NS)))
		map_refresh(s);
}

void
symbols__jit_free(struct symbols *s)
{
	symbols__jit_table_free(&s->jit.table);
	free(s->jit.why_said);
	s->jit = (struct symbols__perfmap){ 0 };
}
