/* SPDX-License-Identifier: MIT */
/* kallsyms: a sorted table of the kernel's text symbols, read once from
 * /proc/kallsyms, looked up by binary search. */
#include "config.h"

#include "kallsyms.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctop/util.h"

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset into names */
	uint32_t module;	/* offset into names, 0 = the kernel */
};

struct kallsyms {
	bool loaded;
	uint64_t stext, etext;	/* the kernel image's text, 0: unknown */
	struct ksym *syms;
	size_t n, cap;
	char *names;
	size_t n_names, cap_names;
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
	free(k->syms);
	free(k->names);
	free(k);
}

/* Appends a string to the arena; returns its offset or UINT32_MAX. */
static uint32_t
names_add(struct kallsyms *k, const char *s, size_t len)
{
	uint32_t at;

	if (util_grow(&k->names, &k->cap_names, k->n_names + len + 1,
	    sizeof *k->names, 1 << 20))
		return UINT32_MAX;
	at = (uint32_t)k->n_names;
	memcpy(k->names + at, s, len);
	k->names[at + len] = '\0';
	k->n_names += len + 1;
	return at;
}

static int
ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One load's parse state: the module name of the last symbol (a
 * module's symbols come together: one copy of its name for all). */
struct parse {
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

/* Adds one "ADDR TYPE NAME[\t[MODULE]]" line (no newline) if it names
 * text; notes _stext and _etext. Parsed by hand: strtok and strtoull
 * were a third of a load's own time (121,000 lines here). */
static void
add_line(struct kallsyms *k, struct parse *ps, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *name;
	size_t name_len, mod_len = 0;
	uint64_t addr = 0;
	struct ksym s;
	char type;

	for (; p < end && *p != ' '; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' :
		    *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			return;
		addr = addr << 4 | (uint64_t)d;
	}
	if (end - p < 4)	/* " T x" at least */
		return;
	type = p[1];
	name = p + 3;
	name_len = field_len(name, end);
	p = name + name_len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	mod_len = field_len(p, end);
	if (mod_len == 0 && name_len == 6 && memcmp(name, "_stext", 6) == 0)
		k->stext = addr;
	else if (mod_len == 0 && name_len == 6 &&
	    memcmp(name, "_etext", 6) == 0)
		k->etext = addr;
	if (name_len == 0 || addr == 0 || (type != 't' && type != 'T'))
		return;
	if (util_grow(&k->syms, &k->cap, k->n + 1, sizeof *k->syms, 65536))
		return;
	s.addr = addr;
	s.name = names_add(k, name, name_len);
	s.module = mod_len ? module_at(k, ps, p, mod_len) : 0;
	if (s.name == UINT32_MAX || s.module == UINT32_MAX)
		return;
	if (k->n > 0 && addr < k->syms[k->n - 1].addr)
		ps->sorted = false;
	k->syms[k->n++] = s;
}

/* Read in 64 KiB chunks (a /proc file's stdio buffer is 1 KiB: 5300
 * reads for 120000 symbols), each line parsed where it lies. The kernel
 * lists them by address: sorted here only when it did not. */
bool
kallsyms_load_file(struct kallsyms *k, const char *path)
{
	enum { CHUNK = 64 * 1024 };
	struct parse ps = { .sorted = true };
	size_t have = 0, at;
	char *buf;
	ssize_t n;
	int fd;

	k->loaded = true;
	if ((buf = malloc(CHUNK)) == NULL)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return false;
	}
	/* Offset 0 is a real string ("") so that module 0 means none. */
	names_add(k, "", 0);
	while ((n = read(fd, buf + have, CHUNK - have)) > 0) {
		have += (size_t)n;
		for (at = 0;;) {
			char *nl = memchr(buf + at, '\n', have - at);

			if (nl == NULL)
				break;
			add_line(k, &ps, buf + at, (size_t)(nl - (buf + at)));
			at = (size_t)(nl - buf) + 1;
		}
		/* A line longer than the chunk: dropped. */
		have = at == 0 && have == CHUNK ? 0 : have - at;
		memmove(buf, buf + at, have);
	}
	if (have > 0 && have < CHUNK)	/* a last line without '\n' */
		add_line(k, &ps, buf, have);
	close(fd);
	free(buf);
	if (!ps.sorted)
		qsort(k->syms, k->n, sizeof *k->syms, ksym_cmp);
	return k->n > 0;
}

bool
kallsyms_usable(struct kallsyms *k)
{
	if (!k->loaded)
		kallsyms_load_file(k, "/proc/kallsyms");
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

const char *
kallsyms_name(struct kallsyms *k, uint64_t pc, const char **module)
{
	size_t lo = 0, hi;

	*module = kernel_module;
	if (!kallsyms_usable(k) || pc < k->syms[0].addr)
		return "[kernel]";
	/* The last symbol at or below pc. */
	hi = k->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if (k->syms[lo].module)
		*module = k->names + k->syms[lo].module;
	return k->names + k->syms[lo].name;
}
