/* SPDX-License-Identifier: MIT */
/* kallsyms: a sorted table of the kernel's text symbols, read once from
 * /proc/kallsyms, looked up by binary search. */
#include "config.h"

#include "kallsyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Adds one "ADDR TYPE NAME [MODULE]" line if it names text. */
static void
add_line(struct kallsyms *k, char *line)
{
	char *type, *name, *mod, *end;
	uint64_t addr = strtoull(line, &end, 16);
	struct ksym s;

	type = strtok(end, " \t\n");
	name = strtok(NULL, " \t\n");
	mod = strtok(NULL, " \t\n");
	if (name && !mod && strcmp(name, "_stext") == 0)
		k->stext = addr;
	else if (name && !mod && strcmp(name, "_etext") == 0)
		k->etext = addr;
	if (!type || !name || addr == 0 || (type[0] != 't' && type[0] != 'T'))
		return;
	if (util_grow(&k->syms, &k->cap, k->n + 1, sizeof *k->syms, 65536))
		return;
	s.addr = addr;
	s.name = names_add(k, name, strlen(name));
	s.module = 0;
	if (mod) {
		size_t len = strlen(mod);

		/* "[ext4]" -> "ext4" */
		if (len >= 2 && mod[0] == '[' && mod[len - 1] == ']')
			s.module = names_add(k, mod + 1, len - 2);
	}
	if (s.name == UINT32_MAX || s.module == UINT32_MAX)
		return;
	k->syms[k->n++] = s;
}

static void
kallsyms_load(struct kallsyms *k)
{
	char line[512];
	FILE *f;

	k->loaded = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	/* A /proc file's stdio buffer is 1 KiB: 5300 reads for 120000
	 * symbols, a third of the load's time; 64 KiB makes it 85. */
	setvbuf(f, NULL, _IOFBF, 64 * 1024);
	/* Offset 0 is a real string ("") so that module 0 means none. */
	names_add(k, "", 0);
	while (fgets(line, sizeof line, f))
		add_line(k, line);
	fclose(f);
	qsort(k->syms, k->n, sizeof *k->syms, ksym_cmp);
}

bool
kallsyms_usable(struct kallsyms *k)
{
	if (!k->loaded)
		kallsyms_load(k);
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
