/* SPDX-License-Identifier: MIT */
/* kallsyms: a sorted table of the kernel's text symbols, read once from
 * /proc/kallsyms (or the kernel image's part from its kept copy,
 * kallkeep.c), looked up by binary search. */
#include "config.h"

#include "kallsyms.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"

/* While loading: one text symbol, its whole address. */
struct ksym_load {
	uint64_t addr;
	uint32_t name;		/* offset into names, NAME_PFX maybe */
	uint32_t module;	/* offset into names, 0 = the kernel */
};

/* Loaded, 8 bytes a symbol where the load's are 16 (121,000 of them
 * here): the low half of the address; the high half is its segment's,
 * the module its run's (kernel text spans far less than 4 GiB, and a
 * module's symbols lie together). */
struct ksym {
	uint32_t lo;
	uint32_t name;
};

/* Symbols [first, the next one's first) share hi (or a module). */
struct kspan {
	uint32_t first;
	uint32_t value;
};

/* A name "__pfx_X" is kept as X with this bit: kernels built with call
 * padding give every function X a "__pfx_X" at the 16 bytes before it,
 * half the symbols, whose names were half the arena (1.6 of 3.1 MB). */
#define NAME_PFX 0x80000000u

/* A "__pfx_X" spelled out for a caller, once: pcs there are rare. */
struct pfx_name {
	struct pfx_name *next;
	uint32_t of;		/* X's offset */
	char s[];
};

struct kallsyms {
	bool loaded;
	const char *keep_dir;	/* where the image's table is kept, or NULL */
	const char *proc;	/* the file it was read from */
	/* From the kept copy: the image's symbols only, [img_lo, img_hi];
	 * a pc outside is named by rest, the whole file read on first use. */
	bool kept;
	uint64_t img_lo, img_hi;
	struct kallsyms *rest;
	uint64_t text;		/* _text, the image's base; 0: unknown */
	uint64_t stext, etext;	/* the kernel image's text, 0: unknown */
	struct ksym *syms;
	size_t n;
	struct kspan *segs, *runs;	/* high halves; modules */
	size_t n_segs, n_runs;
	char *names;
	size_t n_names, cap_names;
	size_t last_at;		/* the last string added (kept once) */
	struct pfx_name *pfx;
};

static const char *const kernel_module = "[kernel.kallsyms]";

struct kallsyms *
kallsyms_new(void)
{
	return calloc(1, sizeof(struct kallsyms));
}

void
kallsyms_free(struct kallsyms *k)
{
	if (!k)
		return;
	while (k->pfx) {
		struct pfx_name *next = k->pfx->next;

		free(k->pfx);
		k->pfx = next;
	}
	kallsyms_free(k->rest);
	free(k->syms);
	free(k->segs);
	free(k->runs);
	free(k->names);
	free(k);
}

/* Appends a string to the arena, or finds it there when it is the last
 * one added (X after "__pfx_X"); returns its offset or UINT32_MAX. */
static uint32_t
names_add(struct kallsyms *k, const char *s, size_t len)
{
	uint32_t at;

	if (k->n_names > 0 && k->n_names - k->last_at == len + 1 &&
	    memcmp(k->names + k->last_at, s, len) == 0)
		return (uint32_t)k->last_at;
	if (k->n_names + len + 1 >= NAME_PFX ||
	    util_grow(&k->names, &k->cap_names, k->n_names + len + 1,
	    sizeof *k->names, 1 << 20))
		return UINT32_MAX;
	at = (uint32_t)k->n_names;
	memcpy(k->names + at, s, len);
	k->names[at + len] = '\0';
	k->n_names += len + 1;
	k->last_at = at;
	return at;
}

static int
ksym_cmp(const void *a, const void *b)
{
	const struct ksym_load *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One load's parse state: the module name of the last symbol (a
 * module's symbols come together: one copy of its name for all). */
struct parse {
	struct ksym_load *syms;
	size_t n, cap;
	size_t mod_len;
	uint32_t mod_at;	/* in the arena, which may move: no pointer */
	bool sorted;		/* every address so far at or above the last */
};

/* The length of the field at p: up to a space, a tab or end. */
static size_t
field_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\t')
		q++;
	return (size_t)(q - p);
}

/* The module's offset in the arena ("[ext4]" -> "ext4"), 0 for none,
 * UINT32_MAX when out of memory. */
static uint32_t
module_at(struct kallsyms *k, struct parse *ps, const char *mod, size_t len)
{
	uint32_t at;

	if (len < 2 || mod[0] != '[' || mod[len - 1] != ']')
		return 0;
	mod++;
	len -= 2;
	if (ps->mod_at != 0 && ps->mod_len == len &&
	    memcmp(k->names + ps->mod_at, mod, len) == 0)
		return ps->mod_at;
	if ((at = names_add(k, mod, len)) != UINT32_MAX) {
		ps->mod_at = at;
		ps->mod_len = len;
	}
	return at;
}

/* One line of /proc/kallsyms: "ADDR TYPE NAME[\t[MODULE]]". */
struct kline {
	uint64_t addr;
	char type;
	const char *name, *mod;
	size_t name_len, mod_len;	/* mod_len 0: the kernel image */
};

/* Splits a line (no newline); false when it is not one. Parsed by hand:
 * strtok and strtoull were a third of a load's own time (121,000 lines
 * here). */
static bool
parse_line(const char *line, size_t len, struct kline *l)
{
	const char *p = line, *end = line + len;

	l->addr = 0;
	for (; p < end && *p != ' '; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' :
		    *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			return false;
		l->addr = l->addr << 4 | (uint64_t)d;
	}
	if (end - p < 4)	/* " T x" at least */
		return false;
	l->type = p[1];
	l->name = p + 3;
	l->name_len = field_len(l->name, end);
	p = l->name + l->name_len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	l->mod = p;
	l->mod_len = field_len(p, end);
	return true;
}

/* Whether l is the image's symbol called name. */
static bool
image_symbol(const struct kline *l, const char *name)
{
	return l->mod_len == 0 && l->name_len == strlen(name) &&
	    memcmp(l->name, name, l->name_len) == 0;
}

/* Adds one line if it names text; notes _text, _stext and _etext. */
static void
add_line(struct kallsyms *k, struct parse *ps, const char *line, size_t len)
{
	struct ksym_load s;
	struct kline l;

	if (!parse_line(line, len, &l))
		return;
	if (image_symbol(&l, "_text"))
		k->text = l.addr;
	else if (image_symbol(&l, "_stext"))
		k->stext = l.addr;
	else if (image_symbol(&l, "_etext"))
		k->etext = l.addr;
	if (l.name_len == 0 || l.addr == 0 || (l.type != 't' && l.type != 'T'))
		return;
	if (util_grow(&ps->syms, &ps->cap, ps->n + 1, sizeof *ps->syms,
	    65536))
		return;
	s.addr = l.addr;
	if (l.name_len > 6 && memcmp(l.name, "__pfx_", 6) == 0)
		s.name = names_add(k, l.name + 6, l.name_len - 6) | NAME_PFX;
	else
		s.name = names_add(k, l.name, l.name_len);
	s.module = l.mod_len ? module_at(k, ps, l.mod, l.mod_len) : 0;
	if (s.name == UINT32_MAX || s.module == UINT32_MAX)
		return;
	if (ps->n > 0 && l.addr < ps->syms[ps->n - 1].addr)
		ps->sorted = false;
	ps->syms[ps->n++] = s;
}

/* Appends {first, value} to a span list when value is not its last's. */
static bool
span_note(struct kspan **spans, size_t *n, size_t *cap, size_t first,
    uint32_t value)
{
	if (*n > 0 && (*spans)[*n - 1].value == value)
		return true;
	if (util_grow(spans, cap, *n + 1, sizeof **spans, 16))
		return false;
	(*spans)[(*n)++] = (struct kspan){ (uint32_t)first, value };
	return true;
}

/* The loaded table from the load's sorted one; false out of memory. */
static bool
pack(struct kallsyms *k, const struct ksym_load *t, size_t n)
{
	size_t cap_segs = 0, cap_runs = 0;
	char *names;

	if (n >= UINT32_MAX || (k->syms = malloc(n * sizeof *k->syms)) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		k->syms[i] = (struct ksym){ (uint32_t)t[i].addr, t[i].name };
		if (!span_note(&k->segs, &k->n_segs, &cap_segs, i,
		    (uint32_t)(t[i].addr >> 32)) ||
		    !span_note(&k->runs, &k->n_runs, &cap_runs, i,
		    t[i].module))
			return false;
	}
	k->n = n;
	/* The arena grew by doubling: give back what it did not use. */
	if ((names = realloc(k->names, k->n_names)) != NULL) {
		k->names = names;
		k->cap_names = k->n_names;
	}
	return true;
}

/* The load's image symbols kept in dir as the kernel with build id id
 * (kallkeep.c): their offsets from _text, the names as they are. Not
 * kept when one lies below _text or 4 GiB above it. */
static void
keep_image(const struct kallsyms *k, const struct ksym_load *t, size_t n,
    const char *dir, const char *id)
{
	struct symbols__kimage img = { .names = k->names,
	    .n_names = (uint32_t)k->n_names };
	uint32_t *off = malloc(n * sizeof *off), *name = malloc(n * sizeof *name);

	if (off == NULL || name == NULL || k->text == 0 ||
	    k->n_names >= UINT32_MAX)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (t[i].module != 0)
			continue;
		if (t[i].addr < k->text || t[i].addr - k->text > UINT32_MAX)
			goto out;
		off[img.n] = (uint32_t)(t[i].addr - k->text);
		name[img.n++] = t[i].name;
	}
	img.off = off;
	img.name = name;
	if (k->stext >= k->text && k->etext > k->stext &&
	    k->etext - k->text <= UINT32_MAX) {
		img.stext = (uint32_t)(k->stext - k->text);
		img.etext = (uint32_t)(k->etext - k->text);
	}
	if (img.n > 0)
		(void)symbols__kimage_write(dir, id, &img);
out:
	free(off);
	free(name);
}

/* Calls fn on each line of path (without its '\n'; a last line without
 * one too), read chunk bytes at a time (a longer line is dropped), until
 * fn returns false or max bytes were read. False when path cannot be
 * read. A /proc file's stdio buffer is 1 KiB: 5300 reads for 120000
 * symbols. */
static bool
each_line(const char *path, size_t chunk, size_t max,
    bool (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
	size_t have = 0, done = 0, at;
	char *buf = malloc(chunk);
	int fd = buf ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool more = true;
	ssize_t n;

	if (fd < 0) {
		free(buf);
		return false;
	}
	while (more && done < max &&
	    (n = read(fd, buf + have, chunk - have)) > 0) {
		have += (size_t)n;
		done += (size_t)n;
		for (at = 0; more;) {
			char *nl = memchr(buf + at, '\n', have - at);

			if (nl == NULL)
				break;
			more = fn(ctx, buf + at, (size_t)(nl - (buf + at)));
			at = (size_t)(nl - buf) + 1;
		}
		/* A line longer than the chunk: dropped. */
		have = at == 0 && have == chunk ? 0 : have - at;
		memmove(buf, buf + at, have);
	}
	if (more && have > 0 && have < chunk)	/* a last line without '\n' */
		fn(ctx, buf, have);
	close(fd);
	free(buf);
	return true;
}

struct load_ctx {
	struct kallsyms *k;
	struct parse *ps;
};

static bool
load_line(void *ctx, const char *line, size_t len)
{
	struct load_ctx *c = ctx;

	add_line(c->k, c->ps, line, len);
	return true;
}

/* The whole file, each line parsed where it lies. The kernel lists them
 * by address: sorted here only when it did not. With dir, the image's
 * part is kept there as the kernel with build id id. */
static bool
load_whole(struct kallsyms *k, const char *path, const char *dir,
    const char *id)
{
	struct parse ps = { .sorted = true };
	struct load_ctx c = { k, &ps };

	k->loaded = true;
	k->proc = path;
	/* Offset 0 is a real string ("") so that module 0 means none. */
	names_add(k, "", 0);
	if (!each_line(path, 64 * 1024, SIZE_MAX, load_line, &c))
		return false;
	if (!ps.sorted)
		qsort(ps.syms, ps.n, sizeof *ps.syms, ksym_cmp);
	if (ps.n > 0 && !pack(k, ps.syms, ps.n))
		k->n = 0;
	else if (k->n > 0 && dir != NULL)
		keep_image(k, ps.syms, ps.n, dir, id);
	free(ps.syms);
	return k->n > 0;
}

bool
kallsyms_load_file(struct kallsyms *k, const char *path)
{
	return load_whole(k, path, NULL, NULL);
}

/* Keeps _text's address from its line; false once found. */
static bool
base_line(void *ctx, const char *line, size_t len)
{
	uint64_t *base = ctx;
	struct kline l;

	if (parse_line(line, len, &l) && image_symbol(&l, "_text"))
		*base = l.addr;
	return *base == 0;
}

/* _text's address from the first lines of path, 0 when not there: the
 * kernel lists the image first (after per-CPU symbols at small
 * addresses), and makes only the lines read. */
static uint64_t
image_base(const char *path)
{
	uint64_t base = 0;

	(void)each_line(path, 16 * 1024, 256 * 1024, base_line, &base);
	return base;
}

/* The table from the image's kept one, its offsets from base; false
 * (k as it was) when a name lies outside the names. */
static bool
load_image(struct kallsyms *k, const struct symbols__kimage *img,
    uint64_t base)
{
	struct ksym_load *t = malloc(img->n * sizeof *t);
	bool done = false;

	if (t == NULL || (k->names = malloc(img->n_names)) == NULL)
		goto out;
	for (uint32_t i = 0; i < img->n; i++) {
		if ((img->name[i] & ~NAME_PFX) >= img->n_names)
			goto out;
		t[i] = (struct ksym_load){ base + img->off[i], img->name[i], 0 };
	}
	memcpy(k->names, img->names, img->n_names);
	k->n_names = k->cap_names = img->n_names;
	if (!pack(k, t, img->n))
		goto out;
	k->text = base;
	if (img->etext > img->stext) {
		k->stext = base + img->stext;
		k->etext = base + img->etext;
	}
	k->img_lo = t[0].addr;
	k->img_hi = t[img->n - 1].addr;
	k->kept = done = true;
out:
	if (!done) {
		free(k->syms);
		free(k->segs);
		free(k->runs);
		free(k->names);
		k->syms = NULL;
		k->segs = k->runs = NULL;
		k->names = NULL;
		k->n = k->n_segs = k->n_runs = k->n_names = k->cap_names = 0;
	}
	free(t);
	return done;
}

bool
kallsyms_load_kept(struct kallsyms *k, const char *path, const char *dir,
    const char *id)
{
	struct symbols__kimage img;
	uint64_t base;
	bool done = false;

	k->loaded = true;
	k->proc = path;
	if ((base = image_base(path)) != 0 &&
	    symbols__kimage_read(dir, id, &img)) {
		done = load_image(k, &img, base);
		symbols__kimage_free(&img);
	}
	return done || load_whole(k, path, dir, id);
}

void
kallsyms_keep_in(struct kallsyms *k, const char *dir)
{
	if (!k->loaded)
		k->keep_dir = dir;
}

bool
kallsyms_from_kept(const struct kallsyms *k)
{
	return k->kept;
}

/* The first load: the image's part from the kept table when there is a
 * store and the kernel's build id is known. */
static void
load_first(struct kallsyms *k)
{
	char id[2 * 64 + 1];

	if (k->keep_dir != NULL && kallsyms_build_id(id, sizeof id))
		kallsyms_load_kept(k, "/proc/kallsyms", k->keep_dir, id);
	else
		kallsyms_load_file(k, "/proc/kallsyms");
}

bool
kallsyms_usable(struct kallsyms *k)
{
	if (!k->loaded)
		load_first(k);
	return k->n > 0;
}

bool
kallsyms_text(struct kallsyms *k, uint64_t *lo, uint64_t *hi)
{
	if (!kallsyms_usable(k) || !k->stext || k->etext <= k->stext)
		return false;
	*lo = k->stext;
	*hi = k->etext;
	return true;
}

/* /sys/kernel/notes is the kernel image's ELF notes: 4-byte words
 * namesz, descsz, type, then the name and the description, each padded
 * to 4 bytes. The GNU build id is type 3 (NT_GNU_BUILD_ID) of "GNU". */
bool
kallsyms_build_id(char *hex, size_t size)
{
	unsigned char buf[4096];
	size_t n, at = 0;
	FILE *f = fopen("/sys/kernel/notes", "re");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	while (at + 12 <= n) {
		uint32_t w[3];
		size_t name, desc;

		memcpy(w, buf + at, sizeof w);
		name = (w[0] + 3u) & ~3u;
		desc = (w[1] + 3u) & ~3u;
		if (at + 12 + name + desc > n)
			return false;
		if (w[2] == 3 && w[0] == 4 && memcmp(buf + at + 12, "GNU", 4) == 0 &&
		    w[1] > 0 && 2 * (size_t)w[1] < size) {
			for (uint32_t i = 0; i < w[1]; i++)
				snprintf(hex + 2 * i, 3, "%02x",
				    buf[at + 12 + name + i]);
			return true;
		}
		at += 12 + name + desc;
	}
	return false;
}

/* The last of n spans (n > 0) whose key, its value or its first, is at
 * or below x; 0 when none is (the caller tells that case apart). */
static size_t
span_last(const struct kspan *sp, size_t n, uint32_t x, bool by_value)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if ((by_value ? sp[mid].value : sp[mid].first) <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The index of the last symbol at or below pc, or SIZE_MAX. */
static size_t
sym_at(const struct kallsyms *k, uint64_t pc)
{
	uint32_t hi_half = (uint32_t)(pc >> 32), lo_half = (uint32_t)pc;
	size_t s = span_last(k->segs, k->n_segs, hi_half, true), first, end;

	first = k->segs[s].first;
	end = s + 1 < k->n_segs ? k->segs[s + 1].first : k->n;
	if (k->segs[s].value > hi_half)
		return SIZE_MAX;	/* below the first segment */
	if (k->segs[s].value < hi_half)
		return end - 1;
	if (lo_half < k->syms[first].lo)
		return first == 0 ? SIZE_MAX : first - 1;
	while (end - first > 1) {
		size_t mid = first + (end - first) / 2;

		if (k->syms[mid].lo <= lo_half)
			first = mid;
		else
			end = mid;
	}
	return first;
}

/* Symbol i's name; "__pfx_X" spelled out on first use. */
static const char *
sym_name(struct kallsyms *k, size_t i)
{
	uint32_t of = k->syms[i].name & ~NAME_PFX;
	size_t len;
	struct pfx_name *p;

	if (!(k->syms[i].name & NAME_PFX))
		return k->names + of;
	for (p = k->pfx; p; p = p->next)
		if (p->of == of)
			return p->s;
	len = strlen(k->names + of);
	if ((p = malloc(sizeof *p + 6 + len + 1)) == NULL)
		return k->names + of;	/* X: the function it pads */
	p->of = of;
	memcpy(p->s, "__pfx_", 6);
	memcpy(p->s + 6, k->names + of, len + 1);
	p->next = k->pfx;
	k->pfx = p;
	return p->s;
}

/* The whole table, for pcs outside the kept image (modules, BPF,
 * trampolines): read on first use. */
static struct kallsyms *
rest(struct kallsyms *k)
{
	if (k->rest == NULL && (k->rest = kallsyms_new()) != NULL)
		kallsyms_load_file(k->rest, k->proc);
	return k->rest;
}

const char *
kallsyms_name(struct kallsyms *k, uint64_t pc, const char **module)
{
	size_t i;
	uint32_t mod;

	*module = kernel_module;
	if (!kallsyms_usable(k))
		return "[kernel]";
	if (k->kept && (pc < k->img_lo || pc > k->img_hi))
		return rest(k) ? kallsyms_name(k->rest, pc, module) :
		    "[kernel]";
	if ((i = sym_at(k, pc)) == SIZE_MAX)
		return "[kernel]";
	mod = k->runs[span_last(k->runs, k->n_runs, (uint32_t)i, false)].value;
	if (mod)
		*module = k->names + mod;
	return sym_name(k, i);
}
