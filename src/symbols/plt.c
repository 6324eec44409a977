/* SPDX-License-Identifier: MIT */
/* symbols: PLT stubs named "callee@plt", as objdump and perf name them.
 * A stub has no symbol: it is a jump through a GOT slot that the dynamic
 * linker fills with the callee's address, and the relocation of that
 * slot (.rela.plt; .rela.dyn for .plt.got) names the callee. We decode
 * each stub's "jmp *disp(%rip)" (ff 25, after an endbr64 and a bnd prefix
 * in .plt.sec) rather than count entries: the jump's slot ties the stub
 * to its relocation whatever the section's layout. */
#include "config.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* The GOT slot -> symbol name pairs of one relocation section. */
struct slot_name {
	uint64_t slot;
	const char *name;	/* in the ELF's string table */
};

struct plt_build {
	struct slot_name *slots;
	size_t n_slots, cap_slots;
	struct symbols__plt *v;
	size_t n, cap;
};

static int
slot_cmp(const void *a, const void *b)
{
	const struct slot_name *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int
plt_cmp(const void *a, const void *b)
{
	const struct symbols__plt *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Adds the slot of every relocation of a SHT_RELA section that names a
 * symbol. */
static void
slots_add(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct plt_build *b)
{
	Elf_Data *data = elf_getdata(scn, NULL), *symdata;
	Elf_Scn *symscn = elf_getscn(elf, sh->sh_link);
	GElf_Shdr symsh;
	size_t n;

	if (!data || !symscn || !gelf_getshdr(symscn, &symsh) ||
	    !(symdata = elf_getdata(symscn, NULL)) || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		const char *name;

		if (!gelf_getrela(data, (int)i, &r) ||
		    GELF_R_SYM(r.r_info) == 0 ||
		    !gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &sym) ||
		    !(name = elf_strptr(elf, symsh.sh_link, sym.st_name)) ||
		    !*name)
			continue;
		if (util_grow(&b->slots, &b->cap_slots, b->n_slots + 1,
		    sizeof *b->slots, 64))
			return;
		b->slots[b->n_slots++] = (struct slot_name){ r.r_offset, name };
	}
}

static const char *
slot_find(const struct plt_build *b, uint64_t slot)
{
	struct slot_name key = { slot, NULL }, *hit;

	hit = bsearch(&key, b->slots, b->n_slots, sizeof key, slot_cmp);
	return hit ? hit->name : NULL;
}

/* Names the stubs of one PLT section: in each entry, the first
 * "ff 25 disp32" (jmp *disp(%rip)) gives the slot. */
static void
stubs_add(struct symbols *s, Elf_Scn *scn, const GElf_Shdr *sh,
    struct plt_build *b)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	uint64_t ent = sh->sh_entsize >= 8 ? sh->sh_entsize : 16;
	const unsigned char *p;

	if (!data || !data->d_buf || data->d_size < sh->sh_size)
		return;
	p = data->d_buf;
	for (uint64_t at = 0; at + ent <= sh->sh_size; at += ent) {
		const char *name = NULL;
		char buf[512];

		for (uint64_t k = 0; k + 6 <= ent && !name; k++) {
			int32_t disp;

			if (p[at + k] != 0xff || p[at + k + 1] != 0x25)
				continue;
			memcpy(&disp, p + at + k + 2, 4);
			name = slot_find(b, sh->sh_addr + at + k + 6 +
			    (uint64_t)(int64_t)disp);
			if (!name)
				break;
		}
		/* The lazy-binding entries (PLT0, which jumps to ld.so's
		 * resolver, and with IBT the .plt entries that push an index)
		 * have no slot of a symbol: still the PLT, not an unnamed
		 * offset in the module. */
		if (name)
			snprintf(buf, sizeof buf, "%s@plt", name);
		else
			snprintf(buf, sizeof buf, "[plt]");
		if (util_grow(&b->v, &b->cap, b->n + 1, sizeof *b->v, 64))
			return;
		b->v[b->n++] = (struct symbols__plt){ sh->sh_addr + at, ent,
		    symbols__intern(s, buf) };
	}
}

static bool
is_plt(const char *name)
{
	return strcmp(name, ".plt") == 0 || strcmp(name, ".plt.sec") == 0 ||
	    strcmp(name, ".plt.got") == 0;
}

/* Builds m's stub table (file vaddrs) from its main ELF file. */
static void
plt_load(struct symbols *s, struct symbols__mod *m)
{
	struct plt_build b = { 0 };
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	m->plts_loaded = true;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_RELA)
			slots_add(elf, scn, &sh, &b);
	}
	/* qsort's array must not be NULL, even empty (a module without
	 * relocations: a static program, under -a). */
	if (b.n_slots)
		qsort(b.slots, b.n_slots, sizeof *b.slots, slot_cmp);
	while (b.n_slots && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (sh.sh_flags & SHF_EXECINSTR) &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    is_plt(name))
			stubs_add(s, scn, &sh, &b);
	}
	free(b.slots);
	if (b.n)
		qsort(b.v, b.n, sizeof *b.v, plt_cmp);
	m->plts = b.v;
	m->n_plts = b.n;
}

const char *
symbols__plt_name(struct symbols *s, struct symbols__mod *m, uint64_t vaddr)
{
	size_t lo = 0, hi;

	if (!m->plts_loaded)
		plt_load(s, m);
	hi = m->n_plts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vaddr < m->plts[mid].start)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 0 || vaddr - m->plts[lo - 1].start >= m->plts[lo - 1].size)
		return NULL;
	return m->plts[lo - 1].name;
}

void
symbols__plt_free(struct symbols__mod *m)
{
	free(m->plts);
	m->plts = NULL;
	m->n_plts = 0;
	m->plts_loaded = false;
}
