/* SPDX-License-Identifier: MIT */
/* Unit tests of the symbols module: names in this very process (own code,
 * libc, vDSO, no symbol, pc-1, cache, dlopen after creation and dlclose),
 * then in targets: a stripped binary with a .gnu_debuglink file and a C++
 * template that must come out demangled. A file name from DWARF is
 * absolute. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "ctop/symbols.h"
#include "../tap.h"

#define NSAMPLES 40

__attribute__((noinline, noclone)) int symtest_target(int x);

__attribute__((noinline, noclone)) int
symtest_target(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3 + 1;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The address of a vDSO function, from the vDSO's own dynamic symbols. */
static uint64_t
vdso_func(const char *want)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), addr = 0;
	Elf *elf;
	Elf_Scn *scn = NULL;

	if (!base)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)(uintptr_t)base, 2 * 4096);
	while (elf && (scn = elf_nextscn(elf, scn)) && !addr) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && strcmp(name, want) == 0)
				addr = base + sym.st_value;
		}
	}
	elf_end(elf);
	return addr;
}

/* CLOCK_MONOTONIC, as the samples' time_ns. */
static uint64_t
symbols__test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
test_self(void)
{
	struct symbols_stats st;
	struct symbols *s;
	struct frame f[8];
	char *cause = NULL;
	uint64_t pc, gen, before;
	void *h;
	int n;

	s = symbols_new(getpid(), NULL, &cause);
	ok(s != NULL, "symbols_new on self (%s)", cause ? cause : "ok");
	free(cause);
	if (!s)
		return;
	ok(getenv("DEBUGINFOD_URLS") == NULL,
	    "symbols does not set DEBUGINFOD_URLS");

	pc = (uint64_t)(uintptr_t)&symtest_target;
	n = symbols_resolve(s, pc + 2, true, f, 8);
	ok(n >= 1, "own function resolves");
	is_str(f[n - 1].name, "symtest_target", "own function name");
	is_str(f[n - 1].module, "test-symbols", "own module name");
	is_int(f[n - 1].kind, FRAME_FUNC, "a function frame");
	ok(has_suffix(f[n - 1].file, "test-symbols.c") && f[n - 1].line > 0,
	    "file:line from DWARF (%s:%u)", f[n - 1].file ? f[n - 1].file :
	    "-", f[n - 1].line);
	/* Built out of tree, the line table says ../tests/unit/...: joined
	 * with the CU's comp_dir, it opens from any directory. */
	ok(f[n - 1].file && f[n - 1].file[0] == '/' &&
	    !strstr(f[n - 1].file, "/../") && access(f[n - 1].file, R_OK) == 0,
	    "the file is absolute, without \"..\", and opens (%s)",
	    f[n - 1].file ? f[n - 1].file : "-");

	/* A return address is looked up at pc - 1. */
	n = symbols_resolve(s, pc + 1, false, f, 8);
	is_str(f[n - 1].name, "symtest_target", "return address pc+1 -> pc");
	n = symbols_resolve(s, pc, false, f, 8);
	ok(strcmp(f[n - 1].name, "symtest_target") != 0,
	    "return address at the first byte names the previous code (%s)",
	    f[n - 1].name);

	/* libc's own qsort, not a sanitizer's interceptor of that name. */
	h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	pc = h ? (uint64_t)(uintptr_t)dlsym(h, "qsort") : 0;
	if (h)
		dlclose(h);
	n = symbols_resolve(s, pc, true, f, 8);
	ok(strcmp(f[n - 1].name, "qsort") == 0 ||
	    strcmp(f[n - 1].name, "__libc_qsort") == 0,
	    "libc function name (%s)", f[n - 1].name);
	is_str(f[n - 1].module, "libc.so.6", "libc module name");

	pc = vdso_func("__vdso_clock_gettime");
	if (pc) {
		n = symbols_resolve(s, pc, true, f, 8);
		ok(strstr(f[n - 1].name, "clock_gettime") != NULL,
		    "vDSO function name (%s)", f[n - 1].name);
		is_str(f[n - 1].module, "[vdso]", "vDSO module name");
	} else {
		skip("no vDSO", "vDSO function name");
		skip("no vDSO", "vDSO module name");
	}

	/* The program headers are mapped but belong to no function. */
	pc = getauxval(AT_PHDR);
	n = symbols_resolve(s, pc, true, f, 8);
	is_str(f[0].name, "test-symbols+0x40", "no symbol: module+0xOFFSET");

	symbols_get_stats(s, &st);
	n = symbols_resolve(s, pc, true, f, 8);
	{
		struct symbols_stats st2;

		symbols_get_stats(s, &st2);
		is_int(st2.cache_hits, st.cache_hits + 1, "second lookup hits "
		    "the cache");
	}

	/* A library loaded after the symbols object was created. */
	h = dlopen(capture_target("libdlhot.so"), RTLD_NOW);
	ok(h != NULL, "dlopen libdlhot.so");
	if (h) {
		pc = (uint64_t)(uintptr_t)dlsym(h, "dlhot_spin");
		symbols_get_stats(s, &st);
		/* The maps are read when the sampler says they changed. */
		n = symbols_resolve(s, pc, true, f, 8);
		ok(strcmp(f[0].name, "dlhot_spin") != 0, "not named before "
		    "the maps are read again (%s)", f[0].name);
		symbols_reload(s);
		n = symbols_resolve(s, pc, true, f, 8);
		is_str(f[n - 1].name, "dlhot_spin", "dlopen'ed function named");
		is_str(f[n - 1].module, "libdlhot.so", "its module");
		{
			struct symbols_stats st2;

			symbols_get_stats(s, &st2);
			is_int(st2.reloads, st.reloads + 1, "after one reload");
		}
		gen = symbols_generation(s);
		before = symbols__test_now();
		dlclose(h);
		ok(symbols_reload(s) == 0, "reload after dlclose");
		ok(symbols_generation(s) > gen, "generation bumped on drop");
		n = symbols_resolve(s, pc, true, f, 8);
		ok(strcmp(f[0].name, "dlhot_spin") != 0,
		    "stale name gone after dlclose (%s)", f[0].name);
		/* A sample captured before the dlclose but handled after the
		 * reload still finds the module (retired, not dropped), for
		 * names and for the unwinder; a later one does not. */
		symbols_set_sample_time(s, before);
		n = symbols_resolve(s, pc, true, f, 8);
		is_str(f[n - 1].name, "dlhot_spin",
		    "a sample from before the dlclose is still named");
		ok(symbols_module(s, pc) != NULL,
		    "... and its module found for the unwinder");
		symbols_set_sample_time(s, symbols__test_now());
		n = symbols_resolve(s, pc, true, f, 8);
		ok(strcmp(f[0].name, "dlhot_spin") != 0 &&
		    symbols_module(s, pc) == NULL,
		    "a sample from after it is not (%s)", f[0].name);
		symbols_set_sample_time(s, 0);
	}
	symbols_free(s);
}

/* A library file's executable segment, to be told as an MMAP2 would:
 * its page-aligned file offset and length, and its device and inode. */
struct lib_text {
	char path[4096];
	uint64_t off, len, vaddr, dev, ino;
	uint64_t func;		/* the function's offset from the load base */
	uint64_t eh_hdr;	/* .eh_frame_hdr's, in the read-only data */
};

static bool
lib_text_read(const char *name, const char *func, struct lib_text *lt)
{
	const uint64_t page = 4096;
	struct stat st;
	size_t phnum;
	Dl_info di;
	Elf *elf;
	void *h, *sym;
	int fd;

	memset(lt, 0, sizeof *lt);
	snprintf(lt->path, sizeof lt->path, "%s", capture_target(name));
	/* The function's offset, from a real load. */
	if (!(h = dlopen(lt->path, RTLD_NOW)))
		return false;
	sym = dlsym(h, func);
	if (sym && dladdr(sym, &di))
		lt->func = (uint64_t)((char *)sym - (char *)di.dli_fbase);
	dlclose(h);
	if ((fd = open(lt->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	fstat(fd, &st);
	lt->dev = (uint64_t)major(st.st_dev) << 32 | minor(st.st_dev);
	lt->ino = st.st_ino;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	for (size_t i = 0; elf && elf_getphdrnum(elf, &phnum) == 0 &&
	    i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_GNU_EH_FRAME)
			lt->eh_hdr = ph.p_vaddr;
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		lt->off = ph.p_offset & ~(page - 1);
		lt->vaddr = ph.p_vaddr & ~(page - 1);
		lt->len = ((ph.p_vaddr + ph.p_memsz + page - 1) & ~(page - 1)) -
		    lt->vaddr;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return lt->func != 0 && lt->len != 0;
}

static void
note_lib(struct symbols *s, const struct lib_text *lt, uint64_t base,
    uint64_t t)
{
	struct symbols_mapping m = {
		.lo = base + lt->vaddr, .hi = base + lt->vaddr + lt->len,
		.off = lt->off, .dev = lt->dev, .ino = lt->ino,
		.path = lt->path, .time_ns = t,
	};

	int rc = symbols_note_mapping(s, &m);

	ok(rc == 0, "mapping of %s told at %" PRIu64 " (%d)",
	    strrchr(lt->path, '/') + 1, t, rc);
}

/* The leaf's name for a pc of a sample captured at t. */
static const char *
leaf_at(struct symbols *s, uint64_t pc, uint64_t t)
{
	static struct frame f[8];
	int n;

	symbols_set_sample_time(s, t);
	n = symbols_resolve(s, pc, true, f, 8);
	return n > 0 ? f[n - 1].name : "(none)";
}

/* Mappings told in order with the samples (perf's MMAP2 records): two
 * libraries at one address, one after the other, never in any maps read
 * (the address is made up: names and unwind tables come from the files),
 * then a read that comes after a library was mapped but before its record
 * was handled (issue 20). */
static void
test_mappings(void)
{
	struct symbols *s = symbols_new(getpid(), NULL, NULL);
	const uint64_t base = 0x7e5500000000ull;
	struct lib_text l1, l2;
	uint64_t t0, t1, t2;
	void *h;

	if (!s || !lib_text_read("libdlhot.so", "dlhot_spin", &l1) ||
	    !lib_text_read("libdlhot2.so", "dlhot2_spin", &l2)) {
		ok(0, "mappings: symbols_new and the libraries' segments");
		symbols_free(s);
		return;
	}
	{
		struct symbols_mapping anon = { .lo = base, .hi = base + 4096,
			.path = "//anon", .time_ns = 1 };

		ok(symbols_note_mapping(s, &anon) == -EINVAL,
		    "mappings: perf's //anon (JIT code) is no module");
	}
	t0 = symbols__test_now();
	t1 = t0 + 1000;
	t2 = t0 + 2000;
	note_lib(s, &l1, base, t1);
	note_lib(s, &l2, base, t2);
	is_str(leaf_at(s, base + l1.func, t1 + 500), "dlhot_spin",
	    "mappings: a sample between the two is in the first library");
	ok(l1.eh_hdr && symbols_module(s, base + l1.eh_hdr) != NULL,
	    "mappings: its unwind table, past the text, is in its module");
	is_str(leaf_at(s, base + l2.func, t2 + 500), "dlhot2_spin",
	    "mappings: a sample after the second is in the second");
	ok(strcmp(leaf_at(s, base + l1.func, t1 - 500), "dlhot_spin") != 0,
	    "mappings: a sample before both is in neither");
	/* A read that lists neither (both gone) retires them, for the
	 * samples still to come from their time. */
	ok(symbols_reload(s) == 0, "mappings: a maps read without them");
	is_str(leaf_at(s, base + l1.func, t1 + 500), "dlhot_spin",
	    "mappings: after the read, the first still names its samples");
	is_str(leaf_at(s, base + l2.func, t2 + 500), "dlhot2_spin",
	    "mappings: ... and the second its own");

	/* A fake library at a real one's place, then the real one mapped
	 * and read before its record is handled: the read alone would
	 * take the samples between for the fake one. */
	symbols_set_sample_time(s, 0);
	h = dlopen(l1.path, RTLD_NOW);
	if (!h) {
		ok(0, "mappings: dlopen %s", l1.path);
		symbols_free(s);
		return;
	}
	{
		uint64_t real = (uint64_t)(uintptr_t)dlsym(h, "dlhot_spin") -
		    l1.func;
		uint64_t ta = symbols__test_now(), tf = ta - 1000;

		note_lib(s, &l2, real, tf);
		symbols_reload(s);
		ok(strcmp(leaf_at(s, real + l1.func, ta + 1), "dlhot_spin")
		    != 0, "mappings: before its record, a read's library "
		    "counts from the read on (%s)",
		    leaf_at(s, real + l1.func, ta + 1));
		note_lib(s, &l1, real, ta);
		is_str(leaf_at(s, real + l1.func, ta + 1), "dlhot_spin",
		    "mappings: its record moves its start back to the "
		    "mapping");
		ok(strcmp(leaf_at(s, real + l1.func, tf + 1), "dlhot_spin")
		    != 0, "mappings: the fake one still names the samples "
		    "before it (%s)", leaf_at(s, real + l1.func, tf + 1));
	}
	symbols_set_sample_time(s, 0);
	dlclose(h);
	symbols_free(s);
}

/* Percentage of samples of a target whose leaf function is `want`. */
static void
test_target_leaf(const char *target, const char *want, const char *what)
{
	char *argv[] = { (char *)capture_target(target), NULL };
	struct rec_sample *smp[NSAMPLES];
	struct capture c;
	struct symbols *s;
	int n, hits = 0;

	if (capture_start(&c, argv) < 0) {
		ok(0, "%s: start %s", what, target);
		return;
	}
	s = symbols_new(c.pid, NULL, NULL);
	n = capture_samples(&c, 4096, smp, NSAMPLES);
	capture_stop(&c);
	ok(s && n == NSAMPLES, "%s: %d samples", what, n);
	for (int i = 0; s && i < n; i++) {
		struct frame f[8];
		int k = symbols_resolve(s, smp[i]->regs[CTOP_REG_RIP], true,
		    f, 8);

		if (k > 0 && strcmp(f[k - 1].name, want) == 0)
			hits++;
		else if (k > 0 && i < 3)
			diag("%s: leaf %s", what, f[k - 1].name);
	}
	ok(hits * 100 >= n * 90, "%s: leaf is %s in %d/%d samples", what,
	    want, hits, n);
	for (int i = 0; i < n; i++)
		free(smp[i]);
	symbols_free(s);
}

/* Our mappings of files whose path has part: their size and the kB of
 * them resident as the file's own pages (Rss less Anonymous: a page
 * libelf wrote to is ours, not the file's), from /proc/self/smaps. The
 * size is 0 when none is mapped. */
static void
mapped_file_kb(const char *part, long *size_kb, long *file_kb)
{
	char line[4096];
	FILE *f = fopen("/proc/self/smaps", "re");
	bool in = false;
	long v;

	*size_kb = *file_kb = 0;
	while (f && fgets(line, sizeof line, f)) {
		const char *dash = strchr(line, '-'), *sp = strchr(line, ' ');

		if (dash && sp && dash < sp && strchr(line, ':') > sp)
			in = strstr(line, part) != NULL;
		else if (in && sscanf(line, "Size: %ld kB", &v) == 1)
			*size_kb += v;
		else if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
			*file_kb += v;
		else if (in && sscanf(line, "Anonymous: %ld kB", &v) == 1)
			*file_kb -= v;
	}
	if (f)
		fclose(f);
}

/* Names a pc of this process's libc: when libc has a separate debug file
 * (Debian's libc6-dbg, zlib-compressed), once libdw has inflated it
 * almost none of the file's own pages stay resident (debugpages.c;
 * the few left are its uncompressed sections, read in place), and the
 * name still comes. */
static void
test_debug_pages(void)
{
	struct symbols *s = symbols_new(getpid(), NULL, NULL);
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	/* libc's own qsort, not a sanitizer's interceptor of that name. */
	uint64_t pc = h ? (uint64_t)(uintptr_t)dlsym(h, "qsort") : 0;
	struct frame f[8];
	long size_kb, file_kb;
	int k;

	if (h)
		dlclose(h);
	if (!s) {
		ok(0, "debug pages: symbols_new");
		return;
	}
	k = symbols_resolve(s, pc, true, f, 8);
	mapped_file_kb("/usr/lib/debug/", &size_kb, &file_kb);
	if (size_kb == 0) {
		skip("libc has no separate debug file here (Debian's "
		    "libc6-dbg)", "debug pages: qsort named");
		skip("libc has no separate debug file here", "debug pages: "
		    "libc's debug file's pages given back");
		symbols_free(s);
		return;
	}
	ok(k > 0 && strstr(f[k - 1].name, "qsort") != NULL, "debug pages: "
	    "qsort named (%s)", k > 0 ? f[k - 1].name : "nothing");
	ok(file_kb * 10 <= size_kb, "debug pages: libc's debug file mapped "
	    "(%ld kB) with %ld kB of it resident once its DWARF was read "
	    "(want at most a tenth)", size_kb, file_kb);
	symbols_free(s);
}

/* Two processes of a binary whose debug file is compressed (as Debian's
 * are), named through one symbols_shared: the first makes the file's
 * decompressed copy, the second uses it, and both name the leaf with
 * its line from that DWARF. */
static void
test_debug_copy(void)
{
	char *argv[] = { (char *)capture_target("chain-zstripped"), NULL };
	struct profile *p = profile_new(NULL);
	struct symbols_shared *sh = p ? symbols_shared_new(p, false) : NULL;
	struct symbols_opts so = { .profile = p, .shared = sh };
	struct symbols_debug_stats st;
	uint32_t lines[2] = { 0, 0 };

	for (int run = 0; sh && run < 2; run++) {
		struct rec_sample *smp[NSAMPLES];
		struct capture c;
		struct symbols *s;
		int n;

		if (capture_start(&c, argv) < 0) {
			ok(0, "debug copy: start chain-zstripped");
			break;
		}
		s = symbols_new(c.pid, &so, NULL);
		n = capture_samples(&c, 4096, smp, NSAMPLES);
		capture_stop(&c);
		for (int i = 0; s && i < n; i++) {
			struct frame f[8];
			int k = symbols_resolve(s, smp[i]->regs[CTOP_REG_RIP],
			    true, f, 8);

			if (lines[run] == 0 && k > 0 &&
			    strcmp(f[k - 1].name, "spin") == 0 &&
			    has_suffix(f[k - 1].file, "chain.c"))
				lines[run] = f[k - 1].line;
		}
		for (int i = 0; i < n; i++)
			free(smp[i]);
		symbols_free(s);
	}
	symbols_shared_debug_stats(sh, &st);
	ok(lines[0] > 0 && lines[1] > 0, "debug copy: spin named with its "
	    "line from the compressed debug file in both processes (%u, %u)",
	    lines[0], lines[1]);
	ok(st.files == 1 && st.reused >= 1 && st.bytes > 0, "debug copy: "
	    "decompressed once (%" PRIu64 " files, %" PRIu64 " bytes), used "
	    "again by the second process (%" PRIu64 " times)", st.files,
	    st.bytes, st.reused);
	symbols_shared_free(sh);
	profile_free(p);
}

/* One process of chain-zstripped named with the store dir: spin's line
 * (0: not named with one), and whether, while its symbols lived, the
 * store's copy and the original compressed debug file were mapped. */
struct store_run {
	uint32_t line;
	bool copy_mapped, original_mapped;
};

static struct store_run
store_run(const char *dir)
{
	char *argv[] = { (char *)capture_target("chain-zstripped"), NULL };
	struct symbols_opts so = { .debug_cache = dir };
	struct store_run r = { 0, false, false };
	struct rec_sample *smp[NSAMPLES];
	struct capture c;
	struct symbols *s;
	long size_kb, file_kb;
	int n;

	if (capture_start(&c, argv) < 0)
		return r;
	s = symbols_new(c.pid, &so, NULL);
	n = capture_samples(&c, 4096, smp, NSAMPLES);
	capture_stop(&c);
	for (int i = 0; s && i < n; i++) {
		struct frame f[8];
		int k = symbols_resolve(s, smp[i]->regs[CTOP_REG_RIP], true, f,
		    8);

		if (r.line == 0 && k > 0 && strcmp(f[k - 1].name, "spin") == 0 &&
		    has_suffix(f[k - 1].file, "chain.c"))
			r.line = f[k - 1].line;
	}
	mapped_file_kb(dir, &size_kb, &file_kb);
	r.copy_mapped = size_kb > 0;
	mapped_file_kb(".debug/chain-zstripped.debug", &size_kb, &file_kb);
	r.original_mapped = size_kb > 0;
	for (int i = 0; i < n; i++)
		free(smp[i]);
	symbols_free(s);
	return r;
}

/* The one entry of dir (a malloc'd name), or NULL for none or more. */
static char *
only_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *name = NULL;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    n++ == 0)
			name = strdup(e->d_name);
	if (d)
		closedir(d);
	if (n != 1) {
		free(name);
		name = NULL;
	}
	return name;
}

/* Whether the ELF file at path has a compressed section. */
static bool
has_compressed(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	bool yes = false;

	while (e && (scn = elf_nextscn(e, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
			yes = true;
	elf_end(e);
	if (fd >= 0)
		close(fd);
	return yes;
}

/* Decompressed copies kept on disk between runs (debugstore.c): the
 * first process's symbols make the copy of chain-zstripped's compressed
 * debug file, the second's map it instead of the original; both name
 * spin with its line. A store others may write or reached through a
 * link is not used; a link or a wrong file planted at the copy's name
 * is replaced, its target untouched. */
static void
test_debug_store(void)
{
	char base[] = "/tmp/ctop-store.XXXXXX", dir[256], path[600], *name;
	struct store_run r1, r2, r;
	struct stat st;
	int fd;

	elf_version(EV_CURRENT);
	if (mkdtemp(base) == NULL) {
		ok(0, "debug store: a temporary directory");
		return;
	}
	snprintf(dir, sizeof dir, "%s/cache/debug", base);
	r1 = store_run(dir);
	name = only_entry(dir);
	snprintf(path, sizeof path, "%s/%s", dir, name ? name : "?");
	ok(r1.line > 0 && r1.original_mapped && name != NULL &&
	    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0777) == 0600 && !has_compressed(path),
	    "debug store: the first run names spin at line %u from the "
	    "compressed file and leaves a decompressed copy (%s)", r1.line,
	    name ? name : "none");
	if (stat(dir, &st) != 0)
		st.st_mode = 0;
	ok((st.st_mode & 0777) == 0700, "debug store: the store made private "
	    "(%o)", (unsigned)(st.st_mode & 0777));
	r2 = store_run(dir);
	ok(r2.line > 0 && r2.copy_mapped && !r2.original_mapped,
	    "debug store: the second run reads the copy, not the original "
	    "(line %u, copy %s, original %s)", r2.line,
	    r2.copy_mapped ? "mapped" : "not mapped",
	    r2.original_mapped ? "mapped" : "not mapped");

	/* A link planted at the copy's name: replaced, not followed. */
	snprintf(dir, sizeof dir, "%s/s2", base);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/victim", base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		(void)!write(fd, "keep", 4);
		close(fd);
	}
	snprintf(path, sizeof path, "%s/s2/%s", base, name ? name : "?");
	(void)!symlink("../victim", path);
	r = store_run(dir);
	r = store_run(dir);
	ok(r.line > 0 && r.copy_mapped && lstat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && stat(strcat(strcpy(path, base),
	    "/victim"), &st) == 0 && st.st_size == 4, "debug store: a link "
	    "at the copy's name is replaced by the copy, its target kept");

	/* A store others may write, and one reached through a link. */
	snprintf(dir, sizeof dir, "%s/open", base);
	mkdir(dir, 0700);
	chmod(dir, 0777);
	r = store_run(dir);
	name = (free(name), only_entry(dir));
	ok(r.line > 0 && name == NULL, "debug store: a directory others may "
	    "write is not used (spin still at line %u)", r.line);
	snprintf(path, sizeof path, "%s/real", base);
	mkdir(path, 0700);
	snprintf(dir, sizeof dir, "%s/link", base);
	(void)!symlink("real", dir);
	r = store_run(dir);
	name = (free(name), only_entry(path));
	ok(r.line > 0 && name == NULL, "debug store: a store reached through "
	    "a link is not used");
	if (geteuid() == 0) {
		snprintf(dir, sizeof dir, "%s/theirs", base);
		mkdir(dir, 0700);
		(void)!chown(dir, 65534, 65534);
		r = store_run(dir);
		name = (free(name), only_entry(dir));
		ok(r.line > 0 && name == NULL, "debug store: another user's "
		    "directory is not used");
	} else
		skip("needs root to give a directory away", "debug store: "
		    "another user's directory");
	free(name);
	snprintf(path, sizeof path, "rm -rf '%s'", base);
	(void)!system(path);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A reload with nothing changed keeps every module (no generation bump):
 * cheap enough for a worker to call every second in ptrace mode. */
static void
test_reload_cost(void)
{
	struct symbols *s = symbols_new(getpid(), NULL, NULL);
	uint64_t gen;
	double t0;

	if (!s) {
		ok(0, "reload cost: symbols_new");
		return;
	}
	gen = symbols_generation(s);
	t0 = now_us();
	for (int i = 0; i < 20; i++)
		symbols_reload(s);
	diag("symbols_reload with nothing changed: %.0f us",
	    (now_us() - t0) / 20);
	is_int(symbols_generation(s), gen, "unchanged maps: same generation");
	symbols_free(s);
}

/* symbols_frame_ids: the profile's ids through the one pc cache; a kernel
 * pc is one FRAME_KERNEL frame. */
static void
test_frame_ids(void)
{
	struct profile *p = profile_new(NULL);
	struct symbols_opts o = { .profile = p };
	struct symbols *s = p ? symbols_new(getpid(), &o, NULL) : NULL;
	uint64_t pc = (uint64_t)(uintptr_t)symtest_target;
	struct symbols_stats a, b;
	const uint32_t *ids;
	uint32_t n, id0;
	const struct frame *f;

	if (!s) {
		ok(0, "frame ids: symbols_new with a profile");
		profile_free(p);
		return;
	}
	n = symbols_frame_ids(s, pc + 2, true, &ids);
	f = n ? profile_frame(p, ids[n - 1]) : NULL;
	ok(n >= 1 && f && strcmp(f->name, "symtest_target") == 0 &&
	    f->kind == FRAME_FUNC, "frame ids: the pc's function interned "
	    "(%s)", f ? f->name : "none");
	id0 = n ? ids[n - 1] : 0;
	symbols_get_stats(s, &a);
	n = symbols_frame_ids(s, pc + 2, true, &ids);
	symbols_get_stats(s, &b);
	ok(n >= 1 && ids[n - 1] == id0 && b.cache_hits == a.cache_hits + 1,
	    "frame ids: the second lookup hits the cache, same id");
	n = symbols_frame_ids(s, 0xffffffff81000010ull, true, &ids);
	f = n == 1 ? profile_frame(p, ids[0]) : NULL;
	ok(f && f->kind == FRAME_KERNEL && f->name[0] != '\0',
	    "frame ids: a kernel pc is one kernel frame (%s)",
	    f ? f->name : "none");
	symbols_free(s);
	profile_free(p);
}

int
main(void)
{
	int rc;

	test_self();
	test_frame_ids();
	test_reload_cost();
	test_mappings();
	rc = capture_probe();
	if (rc < 0) {
		skip(strerror(-rc), "ptrace of a child not permitted here: "
		    "target tests");
		return done_testing();
	}
	test_target_leaf("chain-stripped", "spin",
	    "stripped binary + .gnu_debuglink");
	test_debug_copy();
	test_debug_store();
	test_debug_pages();
	test_target_leaf("cxxtmpl", "ns::Worker<int>::run()",
	    "C++ template demangled");
	return done_testing();
}
