/* SPDX-License-Identifier: MIT */
/* Function bounds from .eh_frame, for modules without a symbol for a pc.
 *
 * Debian's shared libraries ship without their local symbols (they are
 * in the -dbg packages): a pc in a static function of libc has no name.
 * Naming it "libc.so.6+0xOFFSET" by its own address would give every
 * sampled address of one function a row of its own and spread its time
 * over dozens of rows. Every function has an FDE in .eh_frame, though,
 * and .eh_frame_hdr lists their start addresses, sorted: naming the pc by
 * the start of its FDE groups a function's addresses into one frame and
 * keeps neighbouring functions apart. */
#include "config.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PE_OMIT 0xff
#define PE_DATAREL_SDATA4 0x3b	/* the table encoding every linker uses */
#define PE_UDATA4 0x03
#define PE_SDATA4 0x0b
#define PE_UDATA8 0x04

/* The module's file bytes, addressed by file vaddr through PT_LOAD. */
struct image {
	Elf *elf;
	const unsigned char *raw;
	size_t rawsize;
};

static bool
image_read(const struct image *im, uint64_t vaddr, void *dst, size_t len)
{
	size_t phnum;

	if (elf_getphdrnum(im->elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		uint64_t off;

		if (!gelf_getphdr(im->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    vaddr < ph.p_vaddr || vaddr + len > ph.p_vaddr + ph.p_filesz)
			continue;
		off = ph.p_offset + (vaddr - ph.p_vaddr);
		if (off + len > im->rawsize)
			return false;
		memcpy(dst, im->raw + off, len);
		return true;
	}
	return false;
}

static bool
read_s32(const struct image *im, uint64_t vaddr, int64_t *out)
{
	int32_t v;

	if (!image_read(im, vaddr, &v, sizeof v))
		return false;
	*out = v;
	return true;
}

/* The file vaddr of .eh_frame_hdr (PT_GNU_EH_FRAME), 0 if none. */
static uint64_t
eh_frame_hdr(Elf *elf)
{
	size_t phnum;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) &&
		    ph.p_type == PT_GNU_EH_FRAME)
			return ph.p_vaddr;
	}
	return 0;
}

/* The [lo, hi) an FDE covers, when its pc_begin is the pcrel sdata4 that
 * gcc and clang emit on x86-64 and agrees with the table's start `want`;
 * false otherwise (the entry is then left out, never guessed). */
static bool
fde_range(const struct image *im, uint64_t fde, uint64_t want,
    struct symbols__fde *out)
{
	uint32_t len, range;
	int64_t rel;

	if (!image_read(im, fde, &len, sizeof len) || len == 0 ||
	    len == 0xffffffffu || !read_s32(im, fde + 8, &rel) ||
	    !image_read(im, fde + 12, &range, sizeof range))
		return false;
	if (fde + 8 + (uint64_t)rel != want || range == 0)
		return false;
	out->lo = want;
	out->hi = want + range;
	return true;
}

/* Reads the sorted table of .eh_frame_hdr into m->fdes (file vaddrs). */
static void
fde_load(struct symbols__mod *m)
{
	struct image im = { 0 };
	GElf_Addr bias;
	unsigned char h[4];
	uint64_t hdr, table, count = 0;
	size_t count_size;

	m->fdes_loaded = true;
	im.elf = dwfl_module_getelf(m->mod, &bias);
	if (im.elf == NULL ||
	    (im.raw = (const unsigned char *)elf_rawfile(im.elf,
	    &im.rawsize)) == NULL || (hdr = eh_frame_hdr(im.elf)) == 0 ||
	    !image_read(&im, hdr, h, sizeof h))
		return;
	/* version 1; eh_frame_ptr as sdata4 (skipped); fde_count udata4 or
	 * udata8; a datarel sdata4 table */
	count_size = h[2] == PE_UDATA4 ? 4 : h[2] == PE_UDATA8 ? 8 : 0;
	if (h[0] != 1 || (h[1] != PE_SDATA4 && h[1] != (PE_SDATA4 | 0x10)) ||
	    h[3] != PE_DATAREL_SDATA4 || count_size == 0 ||
	    !image_read(&im, hdr + 8, &count, count_size) || count == 0 ||
	    count > (1u << 24))
		return;
	table = hdr + 8 + count_size;
	m->fdes = calloc(count, sizeof *m->fdes);
	if (m->fdes == NULL)
		return;
	for (uint64_t i = 0; i < count; i++) {
		int64_t start, fde;

		if (!read_s32(&im, table + 8 * i, &start) ||
		    !read_s32(&im, table + 8 * i + 4, &fde))
			break;
		if (fde_range(&im, hdr + (uint64_t)fde, hdr + (uint64_t)start,
		    &m->fdes[m->n_fdes]))
			m->n_fdes++;
	}
}

bool
symbols__fde_start(struct symbols__mod *m, uint64_t vaddr, uint64_t *start)
{
	size_t lo = 0, hi;

	if (!m->fdes_loaded)
		fde_load(m);
	hi = m->n_fdes;
	/* The last FDE starting at or before vaddr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->fdes[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || vaddr >= m->fdes[lo - 1].hi)
		return false;
	*start = m->fdes[lo - 1].lo;
	return true;
}

void
symbols__fde_free(struct symbols__mod *m)
{
	free(m->fdes);
	m->fdes = NULL;
	m->n_fdes = 0;
	m->fdes_loaded = false;
}
