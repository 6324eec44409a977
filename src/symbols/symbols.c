/* SPDX-License-Identifier: MIT */
/* symbols: the module map of one process. We read /proc/PID/maps ourselves,
 * report every mapped ELF file to one long-lived Dwfl, and open the files
 * through /proc/PID/map_files and /proc/PID/root so deleted files and
 * containers work; libdwfl then finds separate debug files. */
#include "config.h"

#include "ctop/symbols.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"
#include "kallsyms.h"

static void
mod_free(struct symbols__mod *m)
{
	if (!m)
		return;
	symbols__mod_free_funcs(m);
	free(m->segs);
	free(m->path);
	free(m->report_name);
	free(m);
}

/* Opens a file the target maps, by its path: through the target's root
 * (a container), else as it is; buf gets the name opened. -1 when
 * neither is a regular file. */
static int
open_target_path(pid_t pid, const char *path, char *buf, size_t size)
{
	int fd;

	snprintf(buf, size, "/proc/%d/root%s", (int)pid, path);
	if ((fd = util_open_regular(buf)) >= 0)
		return fd;
	snprintf(buf, size, "%s", path);
	return util_open_regular(buf);
}

/* Whether fd is m's file (the device and inode the maps gave). */
static bool
fd_is_file_of(int fd, const struct symbols__mod *m)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_ino == m->ino &&
	    ((uint64_t)major(st.st_dev) << 32 | minor(st.st_dev)) == m->dev;
}

/* Dwfl_Callbacks.find_elf: the file as the target sees it. map_files works
 * for deleted files (it needs privileges); /proc/PID/root for files in
 * another mount namespace; the plain path last. */
static int
symbols_find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct symbols__mod *m = *userdata;
	char buf[PATH_MAX + 64];
	int fd;

	if (!m || m->vdso)
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base,
		    file_name, elfp);
	snprintf(buf, sizeof buf, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
	    (int)m->owner->proc_pid, m->map_lo, m->map_hi);
	fd = util_open_regular(buf);
	/* A module made from an MMAP2 record may be loaded after its file
	 * was unmapped and another mapped at its place. */
	if (fd >= 0 && !fd_is_file_of(fd, m)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fd = open_target_path(m->owner->proc_pid, m->path, buf,
		    sizeof buf);
	if (fd < 0)
		return -1;
	/* libdwfl looks for .gnu_debuglink files next to this name: give the
	 * real path (through the target's root) rather than map_files. */
	if (strncmp(buf, "/proc/", 6) == 0 && strstr(buf, "/map_files/"))
		snprintf(buf, sizeof buf, "/proc/%d/root%s",
		    (int)m->owner->proc_pid, m->path);
	*file_name = strdup(buf);
	return fd;
}

/* Dwfl_Callbacks.find_debuginfo: for a debug file with compressed
 * sections, its decompressed copy when there is one: kept on disk
 * between runs (debugstore.c), or, for the symbols of many processes,
 * the one they share (debugcache.c); else what the standard search
 * finds, of which copies are then made. Copies are looked for before
 * the search: when it finds a file by build id, libdwfl keeps its own
 * handle of it, whatever is returned here. libdwfl asks here again for
 * the file a module's DWARF refers to (.gnu_debugaltlink), naming it
 * without a CRC: that file has a build id of its own, not the module's,
 * and is given as found. */
static int
symbols_find_debuginfo(Dwfl_Module *mod, void **userdata,
    const char *modname, Dwarf_Addr base, const char *file_name,
    const char *debuglink_file, GElf_Word debuglink_crc,
    char **debuginfo_file_name)
{
	struct symbols__mod *m = *userdata;
	bool alt = debuglink_file != NULL && debuglink_crc == 0;
	const char *store = m && !alt ? m->owner->opts.debug_cache : NULL;
	struct symbols__debug_cache *c = m && !alt && m->owner->opts.shared ?
	    symbols__shared_debug(m->owner->opts.shared) : NULL;
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr;
	int id_len = c || store ? dwfl_module_build_id(mod, &id, &id_vaddr) : 0;
	int fd;

	if ((fd = symbols__debug_store_find(store, id, id_len,
	    debuginfo_file_name)) >= 0 ||
	    (fd = symbols__debug_copy_find(c, id, id_len,
	    debuginfo_file_name)) >= 0)
		return fd;
	fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base,
	    file_name, debuglink_file, debuglink_crc, debuginfo_file_name);
	/* A copy on disk serves the other processes too. */
	if (!symbols__debug_store_add(store, id, id_len, fd))
		symbols__debug_copy_add(c, id, id_len, fd,
		    *debuginfo_file_name);
	return fd;
}

/* ------------------------------------------------------------------------
 * Reading /proc/PID/maps
 * ------------------------------------------------------------------------ */

bool
symbols__maps_parse(char *line, struct symbols__maps_line *ml)
{
	unsigned long long lo, hi, off, ino;
	unsigned int major, minor;
	char perms[8] = "";	/* %7s of "r" sets two bytes, exec reads 3 */
	int pos = 0;
	size_t len;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &lo, &hi, perms,
	    &off, &major, &minor, &ino, &pos) < 7 || pos == 0)
		return false;
	ml->lo = lo;
	ml->hi = hi;
	ml->off = off;
	ml->dev = (uint64_t)major << 32 | minor;
	ml->ino = ino;
	ml->exec = perms[2] == 'x';
	ml->path = line + pos;
	len = strlen(line + pos);
	while (len && (line[pos + len - 1] == '\n' ||
	    line[pos + len - 1] == ' '))
		line[pos + --len] = '\0';
	if (len > 10 && strcmp(line + pos + len - 10, " (deleted)") == 0)
		line[pos + len - 10] = '\0';
	return true;
}

static int
mods_push(struct symbols__mod ***v, size_t *n, size_t *cap,
    struct symbols__mod *m)
{
	if (util_grow(v, cap, *n + 1, sizeof **v, 64))
		return -ENOMEM;
	(*v)[(*n)++] = m;
	return 0;
}

/* Notes one more mapping of m's file. */
static int
mod_add_seg(struct symbols__mod *m, const struct symbols__maps_line *ml)
{
	if (util_grow(&m->segs, &m->cap_segs, m->n_segs + 1, sizeof *m->segs,
	    4))
		return -ENOMEM;
	m->segs[m->n_segs++] = (struct symbols__seg){ ml->lo, ml->hi,
	    ml->off };
	return 0;
}

bool
symbols__mod_file_off(const struct symbols__mod *m, uint64_t addr,
    uint64_t *off)
{
	for (size_t i = 0; i < m->n_segs; i++) {
		if (addr >= m->segs[i].lo && addr < m->segs[i].hi) {
			*off = addr - m->segs[i].lo + m->segs[i].off;
			return true;
		}
	}
	return false;
}

static struct symbols__mod *
mod_new(struct symbols *s, const struct symbols__maps_line *ml)
{
	struct symbols__mod *m = calloc(1, sizeof *m);
	const char *base;

	if (!m)
		return NULL;
	m->owner = s;
	m->vdso = strcmp(ml->path, "[vdso]") == 0;
	/* libdwfl computes the load bias from where the first PT_LOAD lands,
	 * i.e. where file offset 0 is mapped. */
	m->lo = ml->lo - (m->vdso ? 0 : ml->off);
	m->hi = ml->hi;
	m->map_lo = ml->lo;
	m->map_hi = ml->hi;
	m->dev = ml->dev;
	m->ino = ml->ino;
	m->path = strdup(ml->path);
	if (m->vdso)
		(void)!asprintf(&m->report_name, "[vdso: %d]", (int)s->pid);
	else
		m->report_name = strdup(ml->path);
	base = strrchr(ml->path, '/');
	m->name = symbols__intern(s, base ? base + 1 : ml->path);
	if (!m->path || !m->report_name || !m->name || mod_add_seg(m, ml)) {
		mod_free(m);
		return NULL;
	}
	return m;
}

/* Opens the maps of s->proc_pid. An empty file means the leader is gone
 * (a zombie after pthread_exit, or the whole process): then the maps of
 * a live thread, which shares the address space, and proc_pid follows. */
static FILE *
maps_open(struct symbols *s)
{
	char path[64];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int c;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)s->proc_pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	if ((c = getc(f)) != EOF) {
		ungetc(c, f);
		return f;
	}
	snprintf(path, sizeof path, "/proc/%d/task", (int)s->pid);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		int tid = atoi(de->d_name);
		FILE *g;

		if (tid <= 0 || tid == s->proc_pid)
			continue;
		snprintf(path, sizeof path, "/proc/%d/maps", tid);
		g = fopen(path, "re");
		if (g && (c = getc(g)) != EOF && ungetc(c, g) == c) {
			fclose(f);
			f = g;
			s->proc_pid = tid;
			break;
		}
		if (g)
			fclose(g);
	}
	if (d)
		closedir(d);
	rewind(f);
	return f;
}

/* The most a later segment of one ELF object may sit above where its file
 * offset would put it under the first one's bias: the alignment padding
 * the linker leaves between segments (max-page-size, at most 2 MiB on
 * x86-64, per segment). */
#define SEG_SLACK (64ull << 20)

/* Whether mapping ml (of cur's file, at an offset) is the next segment of
 * the same load of cur. A mapping of the file far from it is a copy of its
 * text mapped on its own (V8 maps its builtins again next to its JIT
 * code): merged, cur's range would swallow the anonymous memory between
 * the two, JIT code included. Unsigned: a copy below wraps and is huge. */
static bool
mod_continues(const struct symbols__mod *cur,
    const struct symbols__maps_line *ml)
{
	return ml->lo >= cur->hi && ml->lo - ml->off - cur->lo < SEG_SLACK;
}

struct anon_list {
	struct symbols__anon *v;
	size_t n, cap;
};

static int
anon_add(struct anon_list *a, const struct symbols__maps_line *ml)
{
	if (util_grow(&a->v, &a->cap, a->n + 1, sizeof *a->v, 16))
		return -ENOMEM;
	a->v[a->n++] = (struct symbols__anon){ .lo = ml->lo, .hi = ml->hi };
	return 0;
}

/* Groups the file-backed mappings of /proc/PID/maps into modules; keeps
 * only files with at least one executable mapping (ELF code), and the
 * vDSO. */
static int
maps_read(struct symbols *s, struct symbols__mod ***out, size_t *n_out)
{
	char *line = NULL;
	size_t linecap = 0, n = 0, cap = 0;
	struct symbols__mod **v = NULL, *cur = NULL;
	struct anon_list anon = { 0 };
	bool cur_exec = false;
	FILE *f;
	int rc = 0;

	f = maps_open(s);
	if (!f)
		return -errno;
	while (rc == 0 && getline(&line, &linecap, f) > 0) {
		struct symbols__maps_line ml;

		if (!symbols__maps_parse(line, &ml))
			continue;
		if (ml.exec && ml.path[0] != '/' && ml.path[0] != '[' &&
		    (rc = anon_add(&anon, &ml)) < 0)
			break;
		if (ml.path[0] != '/' && strcmp(ml.path, "[vdso]") != 0)
			continue;
		if (cur && cur->ino == ml.ino && cur->dev == ml.dev &&
		    strcmp(cur->path, ml.path) == 0 && ml.off != 0 &&
		    mod_continues(cur, &ml)) {
			cur->hi = ml.hi;
			cur_exec |= ml.exec;
			rc = mod_add_seg(cur, &ml);
			continue;
		}
		if (cur && cur_exec)
			rc = mods_push(&v, &n, &cap, cur);
		else
			mod_free(cur);
		cur = rc == 0 ? mod_new(s, &ml) : NULL;
		cur_exec = ml.exec;
		if (rc == 0 && !cur)
			rc = -ENOMEM;
	}
	if (rc == 0 && cur && cur_exec)
		rc = mods_push(&v, &n, &cap, cur);
	else
		mod_free(cur);
	free(line);
	fclose(f);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			mod_free(v[i]);
		free(v);
		free(anon.v);
		return rc;
	}
	free(s->anon_exec);
	s->anon_exec = anon.v;
	s->n_anon_exec = anon.n;
	s->cap_anon_exec = anon.cap;
	*out = v;
	*n_out = n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Reporting to libdwfl
 * ------------------------------------------------------------------------ */

static bool
mod_same(const struct symbols__mod *a, const struct symbols__mod *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->dev == b->dev &&
	    a->ino == b->ino && strcmp(a->path, b->path) == 0;
}

/* Whether n, from a new read, is module o again: the same file loaded at
 * the same place, o's range within n's (a module made from an MMAP2
 * record spans the executable mapping only, a read all of the file's). */
static bool
mod_same_load(const struct symbols__mod *o, const struct symbols__mod *n)
{
	return o->lo == n->lo && o->hi <= n->hi && o->map_lo >= n->map_lo &&
	    o->dev == n->dev && o->ino == n->ino && o->vdso == n->vdso &&
	    strcmp(o->path, n->path) == 0;
}

/* n takes over o's Dwfl_Module, tables and lifetime, and o's name and
 * range as reported, so that libdwfl keeps the same Dwfl_Module (and its
 * ELF, DWARF and unwind tables) for it. o is then freed. */
static void
mod_adopt(struct symbols__mod *n, struct symbols__mod *o)
{
	char *name = n->report_name;

	n->report_name = o->report_name;
	o->report_name = name;
	n->hi = o->hi;
	n->mod = o->mod;
	n->from_ns = o->from_ns;
	n->funcs = o->funcs;
	n->n_funcs = o->n_funcs;
	n->marks = o->marks;
	n->n_marks = o->n_marks;
	n->funcs_loaded = o->funcs_loaded;
	n->fdes = o->fdes;
	n->n_fdes = o->n_fdes;
	n->fdes_loaded = o->fdes_loaded;
	n->plts = o->plts;
	n->n_plts = o->n_plts;
	n->plts_loaded = o->plts_loaded;
	o->funcs = o->marks = NULL;
	o->fdes = NULL;
	o->plts = NULL;
}

/* Same name and range: libdwfl would hand both the same Dwfl_Module. */
static bool
mod_same_slot(const struct symbols__mod *a, const struct symbols__mod *b)
{
	return a->lo == b->lo && a->hi == b->hi &&
	    strcmp(a->report_name, b->report_name) == 0;
}

static bool
mod_overlaps(const struct symbols__mod *a, const struct symbols__mod *b)
{
	return a->lo < b->hi && b->lo < a->hi;
}

static Dwfl *
dwfl_new(struct symbols *s)
{
	return dwfl_begin(&s->callbacks);
}

/* Reports one module; libdwfl keeps a module reported again with the same
 * name and range (and its loaded ELF and DWARF). */
static void
report_one(struct symbols *s, struct symbols__mod *m)
{
	Dwfl_Module *dm;
	void **ud;

	dm = dwfl_report_module(s->dwfl, m->report_name, m->lo, m->hi);
	if (m->mod && m->mod != dm)
		symbols__mod_free_funcs(m);
	m->mod = dm;
	if (!dm)
		return;		/* refused: the module stays unknown */
	dwfl_module_info(dm, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = m;
}

/* Reports the current and the retired modules as the whole list: libdwfl
 * deletes the others at dwfl_report_end. It allows overlapping modules,
 * which is what keeps a retired module's Dwfl_Module alive next to the
 * one mapped at its place since. */
static int
report_all(struct symbols *s)
{
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < s->n_mods; i++)
		report_one(s, s->mods[i]);
	for (size_t i = 0; i < s->n_retired; i++)
		report_one(s, s->retired[i]);
	return dwfl_report_end(s->dwfl, NULL, NULL) == 0 ? 0 : -EIO;
}

/* ------------------------------------------------------------------------
 * Module lifetimes
 *
 * The worker handles a sample some time after its capture, and a maps read
 * in between describes the process as it is now: a library unmapped
 * meanwhile (dlclose) would be missing for a sample taken inside it, whose
 * frames would then be cut loose. So a module that leaves the maps is
 * retired, not freed: it stays reported to libdwfl (its Dwfl_Module, ELF
 * and unwind tables stay valid) with gone_ns, the end of the read that
 * missed it, or the time a mapping told later covered it. Every module has
 * from_ns: 0 for the first read, else the time of its mapping when told
 * (perf's MMAP2, symbols_note_mapping below), else the start of the read
 * that first listed it or the time the sampler saw the maps change
 * (ptrace: REC_MAPS_CHANGED carries it). For a
 * sample captured at t (symbols_set_sample_time), the module of a pc is:
 *   1. the current module covering it, if mapped by then (from_ns <= t);
 *   2. else a retired one covering it with from_ns <= t < gone_ns;
 *   3. else the current one anyway (mapped before the read that found
 *      it: a dlopen seen only by a reload after the sample);
 *   4. else a retired one with t < gone_ns.
 * With perf every file mapping is told in order with the samples, so the
 * rule is exact. With ptrace, between two reads (on the sampler's check
 * of the executable mappings' size, and once a second) which of two
 * modules at one address a sample hit is a guess; the rule takes the one
 * the reads saw at that time.
 * A retired module is freed once a sample later than gone_ns +
 * RETIRED_SLACK_NS was handled: records reach the worker in capture order,
 * except across perf's per-CPU rings, which the sampler drains in turn at
 * least every 50 ms. At most SYMBOLS_RETIRED_MAX are kept (the oldest goes
 * first), so memory stays bounded under any churn.
 * ------------------------------------------------------------------------ */

#define RETIRED_SLACK_NS (1000ull * 1000 * 1000)

/* Cached results may differ for samples on either side of a time in
 * s->bounds: the times where the rule above picks another module. */
static size_t
era_of(const struct symbols *s, uint64_t t)
{
	size_t era = 0;

	for (size_t i = 0; i < s->n_bounds; i++)
		era += s->bounds[i] <= t;
	return era;
}

/* Forgets every cached result (here, and in the unwinder, which follows
 * symbols_generation()). */
void
symbols__bump(struct symbols *s)
{
	s->generation++;
	symbols__cache_clear(s);
}

/* Collects the times where the rule above may pick another module: each
 * retired module's from_ns and gone_ns, and the from_ns of the current
 * modules that share addresses with one. */
static void
bounds_update(struct symbols *s)
{
	const size_t cap = sizeof s->bounds / sizeof s->bounds[0];

	s->n_bounds = 0;
	for (size_t i = 0; i < s->n_retired && s->n_bounds + 2 <= cap; i++) {
		struct symbols__mod *r = s->retired[i];

		s->bounds[s->n_bounds++] = r->from_ns;
		s->bounds[s->n_bounds++] = r->gone_ns;
		for (size_t j = 0; j < s->n_mods && s->n_bounds < cap; j++)
			if (mod_overlaps(r, s->mods[j]))
				s->bounds[s->n_bounds++] = s->mods[j]->from_ns;
	}
	s->era = era_of(s, s->sample_ns);
}

/* Frees retired module i. libdwfl deletes its Dwfl_Module at the next
 * report (nothing finds it meanwhile); the caller bumps the generation so
 * no cache keeps the pointer. */
static void
retired_drop(struct symbols *s, size_t i)
{
	struct symbols__mod *r = s->retired[i];
	void **ud;

	if (r->mod) {
		dwfl_module_info(r->mod, &ud, NULL, NULL, NULL, NULL, NULL,
		    NULL);
		if (*ud == r)
			*ud = NULL;
	}
	mod_free(r);
	memmove(&s->retired[i], &s->retired[i + 1],
	    (s->n_retired - i - 1) * sizeof s->retired[0]);
	s->n_retired--;
}

static void
retired_clear(struct symbols *s)
{
	while (s->n_retired > 0)
		retired_drop(s, s->n_retired - 1);
	s->n_bounds = 0;
	s->era = 0;
}

/* Keeps m, gone from the maps read that ended at gone_ns. */
static void
retire(struct symbols *s, struct symbols__mod *m, uint64_t gone_ns)
{
	if (s->n_retired == SYMBOLS_RETIRED_MAX)
		retired_drop(s, 0);
	m->gone_ns = gone_ns;
	s->retired[s->n_retired++] = m;
}

/* Frees the retired modules no sample still to come can need. */
static void
retired_expire(struct symbols *s)
{
	bool freed = false;

	for (size_t i = 0; i < s->n_retired;) {
		if (s->retired[i]->gone_ns + RETIRED_SLACK_NS <
		    s->max_sample_ns) {
			retired_drop(s, i);
			freed = true;
		} else {
			i++;
		}
	}
	if (freed) {
		symbols__bump(s);
		bounds_update(s);
	}
}

void
symbols_set_sample_time(struct symbols *s, uint64_t time_ns)
{
	size_t era;

	s->sample_ns = time_ns;
	symbols__jit_follow(s);
	if (time_ns > s->max_sample_ns) {
		s->max_sample_ns = time_ns;
		if (s->n_retired > 0)
			retired_expire(s);
	}
	if (s->n_bounds == 0)
		return;
	era = era_of(s, time_ns);
	if (era != s->era) {
		s->era = era;
		symbols__bump(s);
	}
}

/* Whether addr is in m's range. The range libdwfl is told starts where
 * file offset 0 would be mapped, lower than m's first mapping when that
 * one maps the file from an offset (a copy of its text): the memory
 * below is not m's (JIT code often lies there). */
static bool
mod_covers(const struct symbols__mod *m, uint64_t addr)
{
	return addr >= m->lo && addr < m->hi && addr >= m->map_lo;
}

/* A retired module covering addr for a sample at t: one mapped at t if
 * any (`mapped`), else (!mapped) one not yet gone at t. Newest first. */
static struct symbols__mod *
retired_find(const struct symbols *s, uint64_t addr, uint64_t t,
    bool mapped)
{
	for (size_t i = s->n_retired; i > 0; i--) {
		struct symbols__mod *r = s->retired[i - 1];

		if (r->mod && mod_covers(r, addr) &&
		    t < r->gone_ns && (!mapped || r->from_ns <= t))
			return r;
	}
	return NULL;
}

/* Old modules the new read left out: retired, unless a new module takes
 * their name and range (libdwfl cannot hold both): then freed, and when
 * that module is another file, *replaced asks for a new Dwfl. */
static void
reload_drop(struct symbols *s, struct symbols__mod *old,
    struct symbols__mod **mods, size_t n, uint64_t gone_ns, bool *replaced)
{
	for (size_t j = 0; j < n; j++) {
		if (!mod_same_slot(mods[j], old))
			continue;
		*replaced |= !mod_same(mods[j], old);
		mod_free(old);
		return;
	}
	retire(s, old, gone_ns);
}

/* Frees the retired modules whose name and range a new module took (see
 * above). True if any. */
static bool
reload_prune_retired(struct symbols *s, struct symbols__mod **mods,
    size_t n, bool *replaced)
{
	bool any = false;

	for (size_t i = 0; i < s->n_retired;) {
		struct symbols__mod *r = s->retired[i];
		bool gone = false;

		for (size_t j = 0; j < n && !gone; j++) {
			if (!mod_same_slot(mods[j], r))
				continue;
			*replaced |= !mod_same(mods[j], r);
			gone = true;
		}
		if (gone) {
			retired_drop(s, i);
			any = true;
		} else {
			i++;
		}
	}
	return any;
}

/* Starts a new Dwfl: a module of the same name and range as an old one
 * is another file, and libdwfl would keep the stale one. */
static int
dwfl_restart(struct symbols *s)
{
	dwfl_end(s->dwfl);
	s->dwfl = dwfl_new(s);
	for (size_t i = 0; i < s->n_mods; i++) {
		symbols__mod_free_funcs(s->mods[i]);
		s->mods[i]->mod = NULL;
	}
	for (size_t i = 0; i < s->n_retired; i++) {
		symbols__mod_free_funcs(s->retired[i]);
		s->retired[i]->mod = NULL;
	}
	return s->dwfl ? 0 : -ENOMEM;
}

int
symbols_reload(struct symbols *s)
{
	return symbols_reload_at(s, 0);
}

int
symbols_reload_at(struct symbols *s, uint64_t changed_ns)
{
	struct symbols__mod **mods = NULL;
	size_t n = 0;
	bool dropped = false, replaced = false, added;
	uint64_t start, end, from;
	int rc;

	if (!s->dwfl && !(s->dwfl = dwfl_new(s)))
		return -ENOMEM;
	start = util_now_ns();
	rc = maps_read(s, &mods, &n);
	s->last_read_ns = start;
	if (rc < 0)
		return rc;
	end = util_now_ns();
	s->stats.reloads++;
	from = s->reads++ == 0 ? 0 :
	    changed_ns != 0 && changed_ns < start ? changed_ns : start;
	for (size_t j = 0; j < n; j++)
		mods[j]->from_ns = from;
	/* Carry over modules that did not change (their function tables
	 * and lifetimes stay); the others left behind are retired. */
	for (size_t i = 0; i < s->n_mods; i++) {
		struct symbols__mod *old = s->mods[i];
		bool kept = false;

		for (size_t j = 0; j < n && !kept; j++) {
			if (!mod_same_load(old, mods[j]) || mods[j]->mod)
				continue;
			mod_adopt(mods[j], old);
			kept = true;
		}
		if (kept) {
			mod_free(old);
			continue;
		}
		dropped = true;
		reload_drop(s, old, mods, n, end, &replaced);
	}
	dropped |= reload_prune_retired(s, mods, n, &replaced);
	/* A pc of a module new in this read may have been named [unknown]
	 * (and cached so) before: a dlopen seen late. */
	added = false;
	for (size_t j = 0; j < n && s->reads > 1; j++)
		added |= mods[j]->mod == NULL;
	free(s->mods);
	s->mods = mods;
	s->n_mods = n;
	if (replaced && (rc = dwfl_restart(s)) < 0)
		return rc;
	if (dropped || replaced || added)
		symbols__bump(s);
	bounds_update(s);
	symbols__jit_follow(s);
	return report_all(s);
}

/* ------------------------------------------------------------------------
 * Mappings told in order with the samples (perf's MMAP2 records)
 *
 * A maps read describes the process when the worker makes it, which may be
 * after a library was mapped, sampled and unmapped again. A mapping told
 * with its time needs no read: its module is made at once, mapped since
 * that time, and every module it covers ends there. The kernel reports no
 * munmap: a module stays current until a mapping covers it or a read no
 * longer lists it. A module a read found is taken as mapped since that
 * read (symbols_reload_at(s, 0)); when the read came after the mapping,
 * the mapping's record, which follows, moves its start back.
 * ------------------------------------------------------------------------ */

/* Whether any of m's mappings shares an address with [lo, hi). */
static bool
mod_hits(const struct symbols__mod *m, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < m->n_segs; i++)
		if (m->segs[i].lo < hi && lo < m->segs[i].hi)
			return true;
	return false;
}

/* Ends at t the life of the retired modules under [lo, hi) mapped before t:
 * the new mapping took their place. */
static void
retired_end_under(struct symbols *s, uint64_t lo, uint64_t hi, uint64_t t)
{
	for (size_t i = 0; i < s->n_retired; i++) {
		struct symbols__mod *r = s->retired[i];

		if (r->from_ns < t && r->gone_ns > t && mod_hits(r, lo, hi))
			r->gone_ns = t;
	}
}

/* Takes the current modules under [lo, hi) out of the list: retired at t
 * when mapped before it. One a read found after t is the new mapping's
 * successor (its own record is still to come): it stays, and the time it
 * was found is returned, when the new module's life ends; else
 * UINT64_MAX. */
static uint64_t
current_end_under(struct symbols *s, uint64_t lo, uint64_t hi, uint64_t t)
{
	uint64_t until = UINT64_MAX;

	for (size_t i = 0; i < s->n_mods;) {
		struct symbols__mod *c = s->mods[i];

		if (!mod_hits(c, lo, hi)) {
			i++;
		} else if (c->from_ns > t) {
			if (c->from_ns < until)
				until = c->from_ns;
			i++;
		} else {
			memmove(&s->mods[i], &s->mods[i + 1],
			    (s->n_mods - i - 1) * sizeof s->mods[0]);
			s->n_mods--;
			retire(s, c, t);
		}
	}
	return until;
}

/* A name libdwfl knows no other module by in m's range: the same file
 * mapped at the same place again (dlopen, dlclose, dlopen) is another
 * life, and libdwfl would give both lives one Dwfl_Module. */
static int
mod_unique_name(struct symbols *s, struct symbols__mod *m)
{
	bool clash = false;
	char *name;

	for (size_t i = 0; i < s->n_mods && !clash; i++)
		clash = mod_same_slot(s->mods[i], m);
	for (size_t i = 0; i < s->n_retired && !clash; i++)
		clash = mod_same_slot(s->retired[i], m);
	if (!clash)
		return 0;
	if (asprintf(&name, "%s (%" PRIu64 ")", m->path,
	    ++s->report_seq) < 0)
		return -ENOMEM;
	free(m->report_name);
	m->report_name = name;
	return 0;
}

static int
current_insert(struct symbols *s, struct symbols__mod *m)
{
	struct symbols__mod **v;
	size_t at = 0;

	v = realloc(s->mods, (s->n_mods + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	s->mods = v;
	while (at < s->n_mods && s->mods[at]->lo <= m->lo)
		at++;
	memmove(&s->mods[at + 1], &s->mods[at],
	    (s->n_mods - at) * sizeof s->mods[0]);
	s->mods[at] = m;
	s->n_mods++;
	return 0;
}

/* The end of the file's whole load when its executable segment is mapped
 * as m is: the segments after the text (read-only data with the unwind
 * tables, the data) belong to the module, but MMAP2 records tell only the
 * executable mapping. m->hi when the file cannot be read. Only the parts
 * backed by the file count, as in the maps (the rest of .bss is
 * anonymous memory). */
static uint64_t
mapping_load_end(const struct symbols *s, const struct symbols__mod *m)
{
	const uint64_t page = 4096;
	uint64_t off = m->segs[0].off, end = 0, bias = 0;
	char buf[PATH_MAX + 64];
	bool found = false;
	size_t phnum;
	Elf *elf;
	int fd;

	/* Its /proc/PID/map_files entry may be gone already. */
	if ((fd = open_target_path(s->proc_pid, m->path, buf,
	    sizeof buf)) < 0)
		return m->hi;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	for (size_t i = 0; elf && elf_getphdrnum(elf, &phnum) == 0 &&
	    i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if ((ph.p_flags & PF_X) && (ph.p_offset & ~(page - 1)) == off) {
			bias = m->map_lo - (ph.p_vaddr & ~(page - 1));
			found = true;
		}
		if (ph.p_vaddr + ph.p_filesz > end)
			end = ph.p_vaddr + ph.p_filesz;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	end = (end + page - 1) & ~(page - 1);
	if (!found || bias + end <= m->hi)
		return m->hi;
	return bias + end;
}

/* The current module that is this mapping, or NULL. */
static struct symbols__mod *
current_same_load(struct symbols *s, const struct symbols__mod *m)
{
	for (size_t i = 0; i < s->n_mods; i++)
		if (mod_same_load(m, s->mods[i]))
			return s->mods[i];
	return NULL;
}

int
symbols_note_mapping(struct symbols *s, const struct symbols_mapping *map)
{
	struct symbols__maps_line ml = {
		.lo = map->lo, .hi = map->hi, .off = map->off,
		.dev = map->dev, .ino = map->ino, .exec = true,
	};
	struct symbols__mod *m, *same;
	uint64_t t = map->time_ns, until;
	char *path;
	size_t len;
	int rc;

	/* A file, as in the maps: not perf's "//anon". */
	if (!s->dwfl || map->hi <= map->lo || !map->path ||
	    map->path[0] != '/' || map->path[1] == '/')
		return -EINVAL;
	/* As the maps write a file unlinked since. */
	if (!(path = strdup(map->path)))
		return -ENOMEM;
	len = strlen(path);
	if (len > 10 && strcmp(path + len - 10, " (deleted)") == 0)
		path[len - 10] = '\0';
	ml.path = path;
	m = mod_new(s, &ml);
	free(path);
	if (!m)
		return -ENOMEM;
	s->stats.mappings++;
	if ((same = current_same_load(s, m)) != NULL) {
		/* Known from a read: mapped since t, not since the read. */
		mod_free(m);
		if (same->from_ns <= t)
			return 0;
		same->from_ns = t;
		retired_end_under(s, map->lo, map->hi, t);
		symbols__bump(s);
		bounds_update(s);
		return 0;
	}
	m->from_ns = t;
	m->hi = mapping_load_end(s, m);
	until = current_end_under(s, map->lo, map->hi, t);
	retired_end_under(s, map->lo, map->hi, t);
	if ((rc = mod_unique_name(s, m)) < 0) {
		mod_free(m);
		return rc;
	}
	if (until != UINT64_MAX)
		retire(s, m, until);
	else if ((rc = current_insert(s, m)) < 0) {
		mod_free(m);
		return rc;
	}
	symbols__bump(s);
	bounds_update(s);
	return report_all(s);
}

struct symbols *
symbols_new(pid_t pid, const struct symbols_opts *opts, char **cause)
{
	struct symbols *s = calloc(1, sizeof *s);
	int rc;

	if (!s) {
		if (cause)
			*cause = strdup("out of memory");
		return NULL;
	}
	s->pid = s->proc_pid = pid;
	if (opts)
		s->opts = *opts;
	/* debuginfod is governed by DEBUGINFOD_URLS, which the cli unsets
	 * unless --debuginfod; nothing here sets it. */
	s->callbacks.find_elf = symbols_find_elf;
	s->callbacks.find_debuginfo = symbols_find_debuginfo;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	s->dwfl = dwfl_new(s);
	if (!s->dwfl) {
		if (cause)
			(void)!asprintf(cause, "dwfl_begin: %s",
			    dwfl_errmsg(-1));
		free(s);
		return NULL;
	}
	rc = symbols_reload(s);
	if (rc < 0 && s->opts.maps_optional) {
		s->reads = 1;	/* modules told later count from their time */
		rc = 0;
	}
	if (rc < 0) {
		if (cause)
			(void)!asprintf(cause, "cannot read /proc/%d/maps: %s",
			    (int)pid, strerror(-rc));
		symbols_free(s);
		return NULL;
	}
	return s;
}

static void
mods_clear(struct symbols *s)
{
	for (size_t i = 0; i < s->n_mods; i++)
		mod_free(s->mods[i]);
	free(s->mods);
	s->mods = NULL;
	s->n_mods = 0;
}

void
symbols_free(struct symbols *s)
{
	if (!s)
		return;
	mods_clear(s);
	retired_clear(s);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	symbols__jit_free(s);
	free(s->anon_exec);
	symbols__cache_free(s);
	symbols__intern_free(s);
	symbols__interp_free(s);
	kallsyms_free(s->kallsyms);
	free(s);
}

void
symbols_reset(struct symbols *s)
{
	mods_clear(s);
	retired_clear(s);
	s->reads = 0;
	dwfl_end(s->dwfl);
	s->dwfl = dwfl_new(s);
	symbols__jit_free(s);	/* its names are in the pool */
	s->n_anon_exec = 0;
	symbols__cache_free(s);
	symbols__intern_free(s);
	s->generation++;
}

/* The current module covering addr, whatever the sample's time. Most
 * modules start at their first mapping; one whose first mapping is at an
 * offset into the file (a copy of a file's text mapped elsewhere, as V8
 * does with its builtins) starts lower, its range may then hold another
 * module's start and the binary search misses it: a miss looks at all. */
static struct symbols__mod *
current_find(struct symbols *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n_mods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < s->mods[mid]->lo)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > 0 && mod_covers(s->mods[lo - 1], addr) && s->mods[lo - 1]->mod)
		return s->mods[lo - 1];
	for (size_t i = 0; i < s->n_mods; i++) {
		if (s->mods[i]->lo != s->mods[i]->map_lo &&
		    mod_covers(s->mods[i], addr) && s->mods[i]->mod)
			return s->mods[i];
	}
	return NULL;
}

/* The module of addr for the current sample: "Module lifetimes" above. */
struct symbols__mod *
symbols__find_mod(struct symbols *s, uint64_t addr)
{
	struct symbols__mod *m = current_find(s, addr), *r;
	uint64_t t = s->sample_ns;

	if (s->n_retired == 0 || t == 0 || (m && m->from_ns <= t))
		return m;
	if ((r = retired_find(s, addr, t, true)) != NULL)
		return r;
	return m ? m : retired_find(s, addr, t, false);
}

Dwfl_Module *
symbols_module(struct symbols *s, uint64_t addr)
{
	struct symbols__mod *m = symbols__find_mod(s, addr);

	return m ? m->mod : NULL;
}

uint64_t
symbols_module_first(struct symbols *s, uint64_t addr)
{
	struct symbols__mod *m = symbols__find_mod(s, addr);

	return m ? m->map_lo : 0;
}

static struct symbols__mod *remap_origin(struct symbols *s,
    const struct symbols__mod *m, uint64_t pc, uint64_t *opc);

uint64_t
symbols_code_twin(struct symbols *s, uint64_t pc)
{
	struct symbols__mod *m = symbols__find_mod(s, pc);
	uint64_t opc;

	if (m)
		return remap_origin(s, m, pc, &opc) ? opc : 0;
	return symbols__anon_twin(s, pc, &opc) ? opc : 0;
}

bool
symbols_runs_anon_code(const struct symbols *s)
{
	return s->n_anon_exec > 0;
}

bool
symbols_code_at(struct symbols *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n_anon_exec;

	if (symbols__find_mod(s, addr))
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < s->anon_exec[mid].lo)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo > 0 && addr < s->anon_exec[lo - 1].hi;
}

bool
symbols_func_entry(struct symbols *s, uint64_t pc)
{
	struct symbols__mod *m = symbols__find_mod(s, pc);

	return m != NULL && symbols__mod_func_entry(m, pc);
}

/* The kernel image as a module of the profile (pprof's Mapping: its text
 * range and build id, as perf reports [kernel.kallsyms]), once. */
static void
kernel_tell_profile(struct symbols *s, struct kallsyms *ks)
{
	struct profile_module pm = { .name = "[kernel.kallsyms]",
	    .path = "[kernel.kallsyms]", .flags = PROFILE_MOD_FUNCTIONS };
	char hex[2 * 64 + 1];

	if (s->kernel_told || !s->opts.profile)
		return;
	s->kernel_told = true;
	if (!kallsyms_text(ks, &pm.start, &pm.limit))
		return;
	if (kallsyms_build_id(hex, sizeof hex))
		pm.build_id = hex;
	/* Out of memory only costs the Mapping its details. */
	(void)profile_set_module(s->opts.profile, &pm);
}

/* A kernel pc (from a perf call chain): one FRAME_KERNEL frame, named by
 * the shared table when there is one. */
static int
resolve_kernel(struct symbols *s, uint64_t pc, struct frame *f)
{
	struct kallsyms *ks = s->opts.shared ?
	    symbols__shared_kallsyms(s->opts.shared) : s->kallsyms;

	if (ks == NULL)
		ks = s->kallsyms = kallsyms_new();
	memset(f, 0, sizeof *f);
	f->kind = FRAME_KERNEL;
	if (ks == NULL) {
		f->name = "[kernel]";
		return 1;
	}
	kallsyms_keep_in(ks, s->opts.debug_cache);
	f->name = kallsyms_name(ks, pc, &f->module);
	kernel_tell_profile(s, ks);
	return 1;
}

/* Where m is a copy of a file's text mapped on its own (V8 maps its
 * embedded builtins again next to its JIT code; its perf map names
 * neither copy), the module that maps the same file bytes in place, with
 * *opc set to pc's twin there; else NULL. Symbols then name the copy. */
static struct symbols__mod *
remap_origin(struct symbols *s, const struct symbols__mod *m, uint64_t pc,
    uint64_t *opc)
{
	uint64_t off;

	if (m->vdso || m->lo == m->map_lo ||
	    !symbols__mod_file_off(m, pc, &off))
		return NULL;
	for (size_t i = 0; i < s->n_mods; i++) {
		struct symbols__mod *o = s->mods[i];

		if (o == m || o->lo != o->map_lo || !o->mod ||
		    o->dev != m->dev || o->ino != m->ino ||
		    strcmp(o->path, m->path) != 0)
			continue;
		for (size_t k = 0; k < o->n_segs; k++) {
			const struct symbols__seg *g = &o->segs[k];

			if (off >= g->off && off - g->off < g->hi - g->lo) {
				*opc = g->lo + (off - g->off);
				return o;
			}
		}
	}
	return NULL;
}

int
symbols_resolve(struct symbols *s, uint64_t pc, bool exact,
    struct frame *out, int max)
{
	uint64_t key = pc << 1 | (exact ? 1 : 0), opc;
	struct symbols__mod *m, *o;
	int n;

	if (max < 1)
		return 0;
	s->stats.lookups++;
	n = pc ? symbols__cache_get(s, key, out, max) : 0;
	if (n > 0) {
		s->stats.cache_hits++;
		return n;
	}
	if (pc >= KALLSYMS_KERNEL_BASE) {
		n = resolve_kernel(s, pc, out);
		symbols__cache_put(s, key, out, n);
		return n;
	}
	/* JIT code lives outside every module: its perf map names it. Not
	 * cached here (the map changes); symbols_frame_ids' cache follows
	 * symbols_generation(). */
	m = symbols__find_mod(s, pc);
	if (!m && pc && symbols__jit_resolve(s, pc, exact, out)) {
		s->stats.jit++;
		return 1;
	}
	/* Not JIT code the map names: maybe a copy of a module's text. */
	if (!m && pc && (m = symbols__anon_twin(s, pc, &opc)) != NULL) {
		/* Not cached, as JIT names: the mapping may change. */
		return symbols__resolve_mod(s, m, opc, exact, out, max);
	}
	if (!m) {
		s->stats.no_module++;
		out[0] = (struct frame){ .name = "[unknown]",
		    .kind = FRAME_MARKER };
		return 1;
	}
	o = remap_origin(s, m, pc, &opc);
	/* Named in another process already: this one's DWARF stays unread. */
	if (!o && s->opts.shared &&
	    (n = symbols__shared_get(s->opts.shared, m, pc, exact, out,
	    max)) > 0) {
		symbols__cache_put(s, key, out, n);
		return n;
	}
	n = o ? symbols__resolve_mod(s, o, opc, exact, out, max) :
	    symbols__resolve_mod(s, m, pc, exact, out, max);
	if (!o && s->opts.shared)
		symbols__shared_put(s->opts.shared, m, pc, exact, out, n);
	if (pc)
		symbols__cache_put(s, key, out, n);
	return n;
}

/* Interns the frames of a slot in the profile, once. */
static const uint32_t *
slot_ids(struct symbols *s, struct symbols__slot *sl)
{
	uint32_t *ids = s->ids + sl->first;

	if (!sl->interned) {
		for (uint16_t i = 0; i < sl->n; i++)
			ids[i] = profile_intern(s->opts.profile,
			    &s->arena[sl->first + i]);
		sl->interned = true;
	}
	return ids;
}

uint32_t
symbols_frame_ids(struct symbols *s, uint64_t pc, bool exact,
    const uint32_t **ids)
{
	uint64_t key = pc << 1 | (exact ? 1 : 0);
	struct frame f[SYMBOLS_MAX_INLINE];
	struct symbols__slot *sl = key ? symbols__cache_find(s, key) : NULL;
	int n, i;

	if (sl) {
		s->stats.lookups++;
		s->stats.cache_hits++;
		*ids = slot_ids(s, sl);
		return sl->n;
	}
	n = symbols_resolve(s, pc, exact, f, SYMBOLS_MAX_INLINE);
	/* symbols_resolve leaves JIT and unknown pcs out of the cache (a
	 * caller of its own may ask again); here they are cached until
	 * symbols_generation() moves, as the frames are. */
	if (key && !(sl = symbols__cache_find(s, key))) {
		symbols__cache_put(s, key, f, n);
		sl = symbols__cache_find(s, key);
	}
	if (sl) {
		*ids = slot_ids(s, sl);
		return sl->n;
	}
	for (i = 0; i < n; i++)	/* pc 0, or no memory to cache it */
		s->scratch_ids[i] = profile_intern(s->opts.profile, &f[i]);
	*ids = s->scratch_ids;
	return (uint32_t)n;
}

uint64_t
symbols_generation(const struct symbols *s)
{
	return s->generation;
}

void
symbols_get_stats(const struct symbols *s, struct symbols_stats *out)
{
	*out = s->stats;
}
