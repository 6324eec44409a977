/* SPDX-License-Identifier: MIT */
/* symbols: a separate debug file's pages given back once libdw has
 * inflated its compressed sections. Debian's -dbg and -dbgsym files are
 * zlib-compressed; libdw inflates every debug section into its own memory
 * when it first reads the DWARF, and from then on reads only that copy,
 * while libelf's mapping of the file stays resident: 4 MiB for libc6-dbg
 * (issue 17, goal 4), never read again (our function table was built from
 * the file's symbol table before). Only pages of the file itself are
 * dropped: a page libelf wrote to (its mapping is private and writable)
 * is anonymous memory, which MADV_DONTNEED would lose, and is kept. A
 * page dropped by mistake costs only a fault: it is read again from the
 * file. */
#include "config.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)
#define PAGEMAP_FILE (1ull << 61)	/* a file page or shared anon */

/* Our mappings of one file, from /proc/self/maps. */
struct file_maps {
	uintptr_t lo[8], hi[8];
	size_t n;
};

static bool
in_maps(const struct file_maps *fm, const void *p)
{
	for (size_t i = 0; i < fm->n; i++)
		if ((uintptr_t)p >= fm->lo[i] && (uintptr_t)p < fm->hi[i])
			return true;
	return false;
}

/* True when libdw reads dw's .debug_info from a copy of its own (the
 * section was compressed and is inflated), not from the file's mapping:
 * libdw reads an uncompressed section in place, and dropping its pages
 * would only make them fault again. (Once inflated, a section's header
 * no longer says it was compressed: where its data lies tells.) */
static bool
debug_info_copied(Dwarf *dw, const struct file_maps *fm)
{
	Elf *elf = dwarf_getelf(dw);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	if (elf == NULL || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		const char *name = gelf_getshdr(scn, &sh) ?
		    elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		Elf_Data *d;

		if (name && strcmp(name, ".debug_info") == 0)
			return (d = elf_getdata(scn, NULL)) != NULL &&
			    d->d_buf != NULL && !in_maps(fm, d->d_buf);
	}
	return false;
}

/* Drops the file pages of [lo, hi) of our own memory, keeping anonymous
 * and swapped ones: pagemap says which is which, 512 pages a read. */
static void
drop_file_pages(int pagemap, uintptr_t lo, uintptr_t hi)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t e[512];
	uintptr_t run = 0;	/* start of the run of droppable pages, 0: none */
	uintptr_t a = lo;	/* pages before a were looked at */

	while (a < hi) {
		size_t want = (hi - a) / page, got;
		ssize_t n;

		if (want > 512)
			want = 512;
		n = pread(pagemap, e, want * sizeof e[0],
		    (off_t)(a / page * sizeof e[0]));
		if (n <= 0)
			break;
		got = (size_t)n / sizeof e[0];
		for (size_t i = 0; i < got; i++, a += page) {
			bool file = (e[i] & PAGEMAP_PRESENT) &&
			    !(e[i] & PAGEMAP_SWAPPED) && (e[i] & PAGEMAP_FILE);

			if (file && run == 0)
				run = a;
			else if (!file && run != 0) {
				(void)madvise((void *)run, a - run, MADV_DONTNEED);
				run = 0;
			}
		}
	}
	/* Up to a only: a pagemap read that failed told nothing of the rest. */
	if (run != 0)
		(void)madvise((void *)run, a - run, MADV_DONTNEED);
}

/* fm: the mappings of the file st is of (symbols.c's maps parser). */
static void
maps_of(const struct stat *st, struct file_maps *fm)
{
	uint64_t dev = (uint64_t)major(st->st_dev) << 32 | minor(st->st_dev);
	char line[4096];
	FILE *maps = fopen("/proc/self/maps", "re");
	struct symbols__maps_line ml;

	fm->n = 0;
	while (maps && fgets(line, sizeof line, maps) && fm->n < 8) {
		if (symbols__maps_parse(line, &ml) && ml.ino == st->st_ino &&
		    ml.dev == dev) {
			fm->lo[fm->n] = (uintptr_t)ml.lo;
			fm->hi[fm->n++] = (uintptr_t)ml.hi;
		}
	}
	if (maps)
		fclose(maps);
}

void
symbols__debug_pages_drop(Dwfl_Module *mod)
{
	const char *main_file = NULL, *debug_file = NULL;
	struct stat dst, mst;
	struct file_maps fm;
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	int pagemap;

	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &main_file,
	    &debug_file);
	if (dw == NULL || debug_file == NULL || stat(debug_file, &dst) != 0 ||
	    (main_file && stat(main_file, &mst) == 0 &&
	    mst.st_dev == dst.st_dev && mst.st_ino == dst.st_ino))
		return;
	maps_of(&dst, &fm);
	if (fm.n == 0 || !debug_info_copied(dw, &fm))
		return;
	if ((pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	for (size_t i = 0; i < fm.n; i++)
		drop_file_pages(pagemap, fm.lo[i], fm.hi[i]);
	close(pagemap);
}
