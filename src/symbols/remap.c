/* SPDX-License-Identifier: MIT */
/* symbols: a module's text copied into anonymous memory and run from
 * there (Node.js's --use-largepages copies its text to huge pages; a
 * program may do it by hand). Such a mapping has no file, and no perf map
 * names it, yet its code is the module's: when its size is that of one of
 * the module's executable mappings and sampled chunks of its bytes equal
 * the file's, pcs in it are named as their twins in the module. Decided
 * once per mapping and maps read: a few KiB read from the target
 * (process_vm_readv: a read, the target never stops) and from the file. */
#include "config.h"

#include <string.h>
#include <sys/uio.h>

#include "internal.h"

/* Bytes compared at the start, the middle and the end of the mapping. */
#define CHUNK 1024

/* Whether the len bytes at addr in the target equal file[off, off+len). */
static bool
same_bytes(pid_t pid, uint64_t addr, const unsigned char *file,
    size_t filesize, uint64_t off, size_t len)
{
	unsigned char buf[CHUNK];
	struct iovec local = { buf, len }, remote = { (void *)addr, len };

	if (len > sizeof buf || off > filesize || filesize - off < len)
		return false;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return false;
	return memcmp(buf, file + off, len) == 0;
}

/* Whether mapping a holds a copy of module m's mapping g. */
static bool
is_copy(struct symbols *s, const struct symbols__anon *a,
    struct symbols__mod *m, const struct symbols__seg *g)
{
	uint64_t size = a->hi - a->lo, at[3];
	const unsigned char *raw;
	size_t rawsize, len = size < CHUNK ? (size_t)size : CHUNK;
	GElf_Addr bias;
	Elf *elf;

	if (g->hi - g->lo != size || !m->mod ||
	    !(elf = dwfl_module_getelf(m->mod, &bias)) ||
	    !(raw = (const unsigned char *)elf_rawfile(elf, &rawsize)))
		return false;
	at[0] = 0;
	at[1] = size / 2 & ~(uint64_t)(CHUNK - 1);
	at[2] = size - len;
	for (int i = 0; i < 3; i++) {
		if (!same_bytes(s->pid, a->lo + at[i], raw, rawsize,
		    g->off + at[i], len))
			return false;
	}
	return true;
}

/* Finds, once, the module mapping whose copy a is. */
static void
anon_check(struct symbols *s, struct symbols__anon *a)
{
	a->checked = true;
	for (size_t i = 0; i < s->n_mods; i++) {
		struct symbols__mod *m = s->mods[i];

		for (size_t k = 0; k < m->n_segs; k++) {
			if (!is_copy(s, a, m, &m->segs[k]))
				continue;
			a->dev = m->dev;
			a->ino = m->ino;
			a->twin_lo = m->segs[k].lo;
			return;
		}
	}
}

struct symbols__mod *
symbols__anon_twin(struct symbols *s, uint64_t pc, uint64_t *opc)
{
	struct symbols__anon *a = NULL;
	struct symbols__mod *m;

	for (size_t i = 0; i < s->n_anon_exec && !a; i++) {
		if (pc >= s->anon_exec[i].lo && pc < s->anon_exec[i].hi)
			a = &s->anon_exec[i];
	}
	if (!a)
		return NULL;
	if (!a->checked)
		anon_check(s, a);
	if (a->ino == 0)
		return NULL;
	*opc = a->twin_lo + (pc - a->lo);
	m = symbols__find_mod(s, *opc);
	return m && m->dev == a->dev && m->ino == a->ino ? m : NULL;
}
