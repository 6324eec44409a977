/* SPDX-License-Identifier: MIT */
/* symbols: naming one pc inside a known module. Function names come from a
 * sorted table built once per module (libdwfl's own lookup is a linear
 * scan); inline frames and file:line from DWARF when the module has it,
 * walked the way eu-stack -i does. */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* The C++ runtime's demangler (libstdc++, linked through DEMANGLE_LIBS);
 * declared here so C code need not include <cxxabi.h>. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
    int *status);

void
symbols__hex(const unsigned char *id, int len, char *hex)
{
	for (int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	hex[2 * (len > 0 ? len : 0)] = '\0';
}

/* How many earlier entries to try when a pc is past the end of the
 * nearest function: covers functions nested in others (rare). */
#define NESTED_TRIES 4
/* A size-0 function symbol (an asm label like __restore_rt, or crt code
 * such as __do_global_dtors_aux, which dlclose runs) names the bytes from
 * its start up to the next symbol, as perf does, but at most this many,
 * never past the end of its section (_init's .init is followed by the
 * PLT), and only where no sized function lies between: PLT stubs and
 * padding after a sized function are not given a neighbour's name.
 * MARK_SPAN_UNKNOWN when its section cannot be read. A mark's size in
 * m->marks is the span it names. */
#define MARK_SPAN 256
#define MARK_SPAN_UNKNOWN 16

struct func_tmp {
	uint64_t start, size, mark_span;
	const char *name;	/* in the ELF string table */
	int rank;		/* 0 global, 1 weak, 2 local: lower wins */
};

/* The bytes a size-0 symbol at addr names (above): up to the end of its
 * section, at most MARK_SPAN. */
static uint64_t
mark_span(Elf *elf, GElf_Word shndx, Dwarf_Addr bias, uint64_t addr)
{
	Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
	GElf_Shdr sh;
	uint64_t end;

	if (scn == NULL || gelf_getshdr(scn, &sh) == NULL)
		return MARK_SPAN_UNKNOWN;
	end = sh.sh_addr + bias + sh.sh_size;
	if (end <= addr)
		return MARK_SPAN_UNKNOWN;
	return end - addr < MARK_SPAN ? end - addr : MARK_SPAN;
}

static int
func_cmp(const void *a, const void *b)
{
	const struct func_tmp *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	/* Prefer the alias with fewer leading underscores (qsort_r over
	 * __qsort_r would be nice, but stable is what matters). */
	return strcmp(x->name, y->name);
}

static int
sym_rank(unsigned char info)
{
	switch (GELF_ST_BIND(info)) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

void
symbols__mod_free_funcs(struct symbols__mod *m)
{
	free(m->funcs);
	free(m->marks);
	m->funcs = NULL;
	m->marks = NULL;
	m->n_funcs = 0;
	m->n_marks = 0;
	m->funcs_loaded = false;
	symbols__fde_free(m);	/* read from the same Dwfl_Module */
	symbols__plt_free(m);
}

/* Builds the module's function table: sized STT_FUNC/IFUNC symbols of the
 * best symbol table libdwfl finds (.symtab, the debug file's, the
 * .gnu_debugdata one, else .dynsym), one name per address. */
static void
mod_load_funcs(struct symbols__mod *m)
{
	struct func_tmp *tmp;
	size_t n = 0, out = 0;
	int nsyms;

	m->funcs_loaded = true;
	nsyms = dwfl_module_getsymtab(m->mod);
	if (nsyms <= 1)
		return;
	tmp = malloc((size_t)nsyms * sizeof *tmp);
	if (!tmp)
		return;
	for (int i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Dwarf_Addr bias = 0;
		Elf *elf = NULL;
		const char *name;
		int type;

		name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx,
		    &elf, &bias);
		if (!name || !*name || shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		tmp[n++] = (struct func_tmp){ .start = addr,
		    .size = sym.st_size, .name = name,
		    .rank = sym_rank(sym.st_info),
		    .mark_span = sym.st_size ? 0 :
		    mark_span(elf, shndx, bias, addr) };
	}
	qsort(tmp, n, sizeof *tmp, func_cmp);
	m->funcs = malloc((n ? n : 1) * sizeof *m->funcs);
	m->marks = malloc((n ? n : 1) * sizeof *m->marks);
	if (!m->funcs || !m->marks) {
		free(tmp);
		symbols__mod_free_funcs(m);
		m->funcs_loaded = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct symbols__func f = { tmp[i].start, tmp[i].size,
		    tmp[i].name };

		if (!f.size) {
			f.size = tmp[i].mark_span;
			if (!m->n_marks || m->marks[m->n_marks - 1].start !=
			    f.start)
				m->marks[m->n_marks++] = f;
		} else if (!out || m->funcs[out - 1].start != f.start) {
			m->funcs[out++] = f;
		}
	}
	m->n_funcs = out;
	free(tmp);
}

/* The last entry of v[0..n) starting at or below pc, or n when none. */
static size_t
func_floor(const struct symbols__func *v, size_t n, uint64_t pc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < v[mid].start)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo ? lo - 1 : n;
}

/* Whether marks[i], the last mark at or below pc, names pc: within its
 * span, and no sized function starts between the mark and pc. */
static bool
mark_covers(const struct symbols__mod *m, size_t i, uint64_t pc)
{
	uint64_t start = m->marks[i].start;
	size_t f = func_floor(m->funcs, m->n_funcs, pc);

	if (pc - start >= m->marks[i].size)
		return false;
	return f >= m->n_funcs || m->funcs[f].start <= start;
}

/* The function containing pca; else an asm label just at or below pc
 * (for a return address pc = pca + 1: a signal frame's return address is
 * the first byte of __restore_rt, so pca is before it). */
static const struct symbols__func *
mod_find_func(struct symbols__mod *m, uint64_t pca, uint64_t pc)
{
	size_t i;

	if (!m->funcs_loaded)
		mod_load_funcs(m);
	i = func_floor(m->funcs, m->n_funcs, pca);
	for (size_t k = 0; i < m->n_funcs && k < NESTED_TRIES; k++, i--) {
		const struct symbols__func *f = &m->funcs[i];

		if (pca - f->start < f->size)
			return f;
		if (i == 0)
			break;
	}
	i = func_floor(m->marks, m->n_marks, pc);
	if (i < m->n_marks && mark_covers(m, i, pc))
		return &m->marks[i];
	return NULL;
}

bool
symbols__mod_func_entry(struct symbols__mod *m, uint64_t pc)
{
	const struct symbols__func *f = mod_find_func(m, pc, pc);

	return f != NULL && f->start == pc;
}

/* The name to show for a symbol (demangled, without a version suffix),
 * and in *raw the symbol as linked where it differs (the C++ mangled
 * name, which pprof's system_name keeps), else NULL. */
static const char *
intern_demangled(struct symbols *s, const char *name, const char **raw)
{
	const char *r, *at;
	char *d, buf[512];
	int status = -1;

	*raw = NULL;
	/* .symtab spells versioned symbols "name@@GLIBC_2.34": keep the
	 * name, the version is noise in a profile. */
	at = name ? strchr(name, '@') : NULL;
	if (at && at > name && (size_t)(at - name) < sizeof buf) {
		memcpy(buf, name, (size_t)(at - name));
		buf[at - name] = '\0';
		name = buf;
	}
	if (!name || name[0] != '_' || name[1] != 'Z')
		return symbols__intern(s, name);
	d = __cxa_demangle(name, NULL, NULL, &status);
	r = symbols__intern(s, status == 0 && d ? d : name);
	if (status == 0 && d)
		*raw = symbols__intern(s, name);
	free(d);
	return r;
}

/* The name of a DWARF function (an inlined one through its abstract
 * origin): the linkage name, demangled (the mangled one in *raw), else
 * DW_AT_name. */
static const char *
die_name(struct symbols *s, Dwarf_Die *die, const char **raw)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name,
	    &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die,
		    DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_diename(die);
	*raw = NULL;
	return name ? intern_demangled(s, name, raw) : NULL;
}

/* The line a function's DIE (or its abstract origin's) declares it at;
 * 0 when DWARF does not say. */
static uint32_t
die_decl_line(Dwarf_Die *die)
{
	int line = 0;

	return dwarf_decl_line(die, &line) == 0 && line > 0 ?
	    (uint32_t)line : 0;
}

static bool
is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	    tag == DW_TAG_entry_point;
}

/* A source file as its CU's line table names it, made absolute. libdw
 * gives a file of a relative directory entry (a build out of tree names
 * ../src/x.c) relative to the CU's compilation directory: left so, the UI
 * would look for it from wherever ctop-prof runs. The join resolves ".."
 * lexically (util_path_join) so that one header named from two CUs is
 * one string. An absolute name stays as the debug info gives it. So does
 * any name under a relative comp_dir (-fdebug-prefix-map=DIR=., as
 * distributions build): nothing makes it absolute, and libdw has already
 * put that comp_dir before the names of directory entry 0. */
static const char *
src_file(struct symbols *s, Dwarf_Die *cudie, const char *name)
{
	Dwarf_Attribute attr;
	const char *dir, *out;
	char *joined;

	if (!name || name[0] == '/')
		return symbols__intern(s, name);
	/* _integrate: a split unit's comp_dir is on its skeleton. */
	dir = dwarf_formstring(dwarf_attr_integrate(cudie, DW_AT_comp_dir,
	    &attr));
	if (!dir || dir[0] != '/')
		return symbols__intern(s, name);
	joined = util_path_join(dir, name);
	out = symbols__intern(s, joined ? joined : name);
	free(joined);
	return out;
}

/* Where an inlined instance was called from: its caller's file:line. */
static void
call_site(struct symbols *s, Dwarf_Die *cudie, Dwarf_Die *inl,
    const char **file, uint32_t *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	Dwarf_Files *files;
	size_t nfiles;

	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &v) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && v < nfiles)
		*file = src_file(s, cudie, dwarf_filesrc(files, v, NULL,
		    NULL));
	else
		*file = NULL;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &v) == 0)
		*line = (uint32_t)v;
	else
		*line = 0;
}

/* Inline frames (innermost first) ending with the containing function,
 * from the DWARF scopes of pca. Returns the frames written, 0 without
 * DWARF for pca. */
static int
resolve_dwarf(struct symbols *s, struct symbols__mod *m, uint64_t pca,
    const char *func_name, const char *func_raw, struct frame *out, int max)
{
	Dwarf_Addr bias;
	Dwarf_Die *cudie, *scopes = NULL, *chain = NULL, *die = NULL;
	Dwfl_Line *dl;
	const char *file = NULL, *raw;
	int nscopes, nchain, n = 0, line = 0;

	cudie = dwfl_module_addrdie(m->mod, pca, &bias);
	if (!m->dwarf_read) {
		m->dwarf_read = true;
		symbols__debug_pages_drop(m->mod);
	}
	if (!cudie)
		return 0;
	nscopes = dwarf_getscopes(cudie, pca - bias, &scopes);
	for (int i = 0; i < nscopes && !die; i++) {
		if (is_function_tag(dwarf_tag(&scopes[i])))
			die = &scopes[i];
	}
	nchain = die ? dwarf_getscopes_die(die, &chain) : 0;
	dl = dwfl_module_getsrc(m->mod, pca);
	if (dl)
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
	/* dl is in cudie's line table: both are found by pca's CU. */
	file = src_file(s, cudie, file);
	for (int i = 0; i < nchain && n < max; i++) {
		Dwarf_Die *sc = &chain[i];
		int tag = dwarf_tag(sc);
		uint32_t call_line;

		if (!is_function_tag(tag))
			continue;
		if (tag != DW_TAG_inlined_subroutine) {
			const char *name = func_name;

			raw = func_raw;
			if (!name)
				name = die_name(s, sc, &raw);
			out[n++] = (struct frame){ .name = name,
			    .module = m->name, .file = file,
			    .line = (uint32_t)line, .kind = FRAME_FUNC,
			    .start_line = die_decl_line(sc),
			    .system_name = raw };
			break;
		}
		out[n] = (struct frame){ .name = die_name(s, sc, &raw),
		    .module = m->name, .file = file, .line = (uint32_t)line,
		    .kind = FRAME_INLINE, .start_line = die_decl_line(sc) };
		out[n++].system_name = raw;
		call_site(s, cudie, sc, &file, &call_line);
		line = (int)call_line;
	}
	/* A nameless inline frame is worse than none: drop the DWARF view. */
	for (int i = 0; i < n; i++) {
		if (!out[i].name)
			n = 0;
	}
	free(scopes);
	free(chain);
	return n;
}

/* Runtime address minus file vaddr for m's code. */
static GElf_Addr
mod_bias(struct symbols__mod *m)
{
	GElf_Addr bias = 0;

	if (!dwfl_module_getelf(m->mod, &bias))
		bias = m->lo;
	return bias;
}

/* Tells the profile what m is, once, when a pc in it is first named:
 * the mapping that holds pc (its executable one), its path and build id,
 * and what it gives for naming, as pprof's Mapping says. */
static void
mod_tell_profile(struct symbols *s, struct symbols__mod *m, uint64_t pc)
{
	struct profile_module pm = { .name = m->name, .path = m->path };
	const unsigned char *bits;
	GElf_Addr vaddr, bias;
	char hex[2 * 64 + 1];
	int len;

	if (m->profiled || !s->opts.profile)
		return;
	m->profiled = true;
	for (size_t i = 0; i < m->n_segs; i++)
		if (pc >= m->segs[i].lo && pc < m->segs[i].hi) {
			pm.start = m->segs[i].lo;
			pm.limit = m->segs[i].hi;
			pm.offset = m->segs[i].off;
		}
	len = dwfl_module_build_id(m->mod, &bits, &vaddr);
	if (len > 0 && len <= 64) {
		symbols__hex(bits, len, hex);
		pm.build_id = hex;
	}
	if (m->n_funcs || m->n_marks)
		pm.flags |= PROFILE_MOD_FUNCTIONS;
	if (dwfl_module_getdwarf(m->mod, &bias))
		pm.flags |= PROFILE_MOD_LINES;
	/* Out of memory only costs the pprof's Mapping its details. */
	(void)profile_set_module(s->opts.profile, &pm);
}

int
symbols__resolve_mod(struct symbols *s, struct symbols__mod *m, uint64_t pc,
    bool exact, struct frame *out, int max)
{
	/* A return address points after the call: name the call itself. */
	uint64_t pca = exact || pc == 0 ? pc : pc - 1;
	const struct symbols__func *f = mod_find_func(m, pca, pc);
	const char *raw = NULL;
	const char *name = f ? intern_demangled(s, f->name, &raw) : NULL;
	int n;

	n = resolve_dwarf(s, m, pca, name, raw, out, max);
	mod_tell_profile(s, m, pc);
	if (n > 0 && out[n - 1].kind == FRAME_FUNC)
		return n;
	if (n >= max)
		return n;
	if (!name)
		name = symbols__plt_name(s, m, pca - mod_bias(m));
	if (!name) {
		GElf_Addr bias = mod_bias(m);
		uint64_t at;
		char buf[512];

		/* Every address of one unnamed function gets one name: the
		 * start of its FDE (fde.c), else the address itself. */
		at = pca - bias;
		symbols__fde_start(m, at, &at);
		/* Named by file offset, as perf does: the same in every
		 * process and in every mapping of the file. */
		symbols__mod_file_off(m, at + bias, &at);
		snprintf(buf, sizeof buf, "%s+0x%" PRIx64, m->name, at);
		name = symbols__intern(s, buf);
		s->stats.no_symbol++;
	}
	out[n++] = (struct frame){ .name = name ? name : "[unknown]",
	    .module = m->name, .kind = FRAME_FUNC, .system_name = raw };
	return n;
}
