/* SPDX-License-Identifier: MIT */
/* symbols: what one file gives for naming, as libdwfl finds it (for the
 * permission doctor, --check): its symbols, DWARF (here or in a separate
 * debug file found by build id or .gnu_debuglink), its build id and its
 * unwind tables. The same lookup the worker's Dwfl makes, offline. */
#include "config.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctop/symbols.h"
#include "ctop/util.h"

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* The main file's own sections: a full .symtab, unwind tables, the
 * name of its debug link. */
static void
scan_sections(Elf *elf, struct symbols_file_report *r)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			r->symtab = true;
		else if (strcmp(name, ".eh_frame") == 0 ||
		    strcmp(name, ".debug_frame") == 0)
			r->unwind_tables = true;
		else if (strcmp(name, ".gnu_debuglink") == 0) {
			Elf_Data *d = elf_getdata(scn, NULL);

			if (d && d->d_size > 0)
				snprintf(r->debuglink, sizeof r->debuglink,
				    "%.*s", (int)strnlen(d->d_buf, d->d_size),
				    (const char *)d->d_buf);
		}
	}
}

static void
put_build_id(Dwfl_Module *m, struct symbols_file_report *r)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(m, &bits, &vaddr), i;

	for (i = 0; i < len && 2 * i + 2 < (int)sizeof r->build_id; i++)
		snprintf(r->build_id + 2 * i, 3, "%02x", bits[i]);
}

int
symbols_file_report(const char *path, struct symbols_file_report *r)
{
	const char *debugfile = NULL;
	Dwfl_Module *m;
	Dwarf_Addr bias;
	Elf *elf;
	Dwfl *d;
	int fd;

	memset(r, 0, sizeof *r);
	/* A regular file only: never a FIFO or a device planted at a path
	 * the target maps. */
	if ((fd = util_open_regular(path)) < 0)
		return fd;
	d = dwfl_begin(&offline_callbacks);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	/* On success the Dwfl owns fd (closed by dwfl_end). */
	m = dwfl_report_offline(d, "", path, fd);
	if (!m)
		close(fd);
	dwfl_report_end(d, NULL, NULL);
	if (!m || !(elf = dwfl_module_getelf(m, &bias))) {
		dwfl_end(d);
		return -ENOEXEC;
	}
	r->elf = true;
	scan_sections(elf, r);
	put_build_id(m, r);
	r->nsyms = dwfl_module_getsymtab(m);
	if (r->nsyms < 0)
		r->nsyms = 0;
	r->dwarf = dwfl_module_getdwarf(m, &bias) != NULL;
	dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (debugfile && strcmp(debugfile, path) != 0)
		snprintf(r->debugfile, sizeof r->debugfile, "%s", debugfile);
	dwfl_end(d);
	return 0;
}
