/* SPDX-License-Identifier: MIT */
/* symbols internals shared by the files of the module: the module map read
 * from /proc/PID/maps, the per-module function table, the string pool and
 * the pc->frames cache. Not part of the public interface. */
#ifndef CTOP_SYMBOLS_INTERNAL_H
#define CTOP_SYMBOLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <elfutils/libdwfl.h>

#include "ctop/symbols.h"

/* One function of a module's symbol table, sorted by start. */
struct symbols__func {
	uint64_t start;		/* runtime address */
	uint64_t size;
	const char *name;	/* interned, demangled */
};

/* The code an .eh_frame FDE covers: [lo, hi), file vaddrs. */
struct symbols__fde {
	uint64_t lo, hi;
};

/* One PLT stub: [start, start + size), file vaddrs. */
struct symbols__plt {
	uint64_t start, size;
	const char *name;	/* interned "callee@plt" */
};

/* One mapping of a module's file: [lo, hi) holds its bytes from off. */
struct symbols__seg {
	uint64_t lo, hi, off;
};

/* An executable mapping of no file: JIT code, or a copy of a module's
 * text (remap.c tells which, once). */
struct symbols__anon {
	uint64_t lo, hi;
	bool checked;
	uint64_t dev, ino;	/* the copied module's file; ino 0: none */
	uint64_t twin_lo;	/* where the module maps those bytes */
};

/* Separate debug files kept decompressed for every process's symbols
 * (debugcache.c). */
struct symbols__debug_cache;
struct symbols__debug_cache *symbols__debug_cache_new(void);
void symbols__debug_cache_free(struct symbols__debug_cache *c);
/* A descriptor of the decompressed copy of the debug file of the module
 * with build id id (len bytes), and its path in *name (malloc'd), or -1:
 * none kept (c may be NULL). */
int symbols__debug_copy_find(struct symbols__debug_cache *c,
    const unsigned char *id, int len, char **name);
/* fd (at path name) is the debug file of the module with build id id: a
 * decompressed copy of it is kept when it has compressed sections. fd
 * stays the caller's. */
void symbols__debug_copy_add(struct symbols__debug_cache *c,
    const unsigned char *id, int len, int fd, const char *name);
void symbols__debug_cache_stats(const struct symbols__debug_cache *c,
    uint64_t *made, uint64_t *reused, uint64_t *bytes);
/* Whether the ELF file in fd has a compressed section. */
bool symbols__debug_wants_copy(int fd);
/* Writes into the empty file out the ELF file in fd (size bytes) with
 * its compressed sections decompressed. 0 or -1. */
int symbols__debug_decompress_into(int fd, off_t size, int out);
/* debugstore.c: decompressed copies of debug files kept in the
 * directory dir (made when missing) between runs. A descriptor of the
 * copy of the debug file with build id id, its path in *path
 * (malloc'd), or -1: none there (dir may be NULL). */
int symbols__debug_store_find(const char *dir, const unsigned char *id,
    int len, char **path);
/* fd is the debug file with build id id: a copy of it is kept when it
 * has compressed sections; true when one was made. fd stays the
 * caller's. */
bool symbols__debug_store_add(const char *dir, const unsigned char *id,
    int len, int fd);
/* The store's directory (--debug-cache): dir and its missing parents
 * made (0700), dir opened; -1 unless it is a directory (not a link)
 * owned by us that no one else may write. */
int symbols__store_open(const char *dir);
/* The bytes of the regular files in the store dirfd. */
uint64_t symbols__store_bytes(int dirfd);
/* What the store may take of the disk in all; past it, nothing new. */
#define SYMBOLS_STORE_BYTES_MAX (1ull << 30)
/* kallkeep.c: the kernel image's text symbols kept in the store from
 * one run to the next, by the kernel's build id: their offsets from
 * _text and their names, no address of the running kernel (KASLR moves
 * the image as a whole at each boot; its layout is the build's). */
struct symbols__kimage {
	uint32_t n;		/* symbols */
	const uint32_t *off;	/* their offsets from _text, ascending */
	const uint32_t *name;	/* their names' offsets in names (and a
				 * flag of kallsyms.c's in the top bit) */
	const char *names;	/* strings, each ended by a NUL */
	uint32_t n_names;	/* bytes of names */
	uint32_t stext, etext;	/* _stext's and _etext's offsets; 0: none */
	void *block;		/* read: the memory of the above */
};
/* The table kept in dir for the kernel with build id id (hex): true
 * when there is one of ours, whole and well formed; free it after. */
bool symbols__kimage_read(const char *dir, const char *id,
    struct symbols__kimage *img);
void symbols__kimage_free(struct symbols__kimage *img);
/* Keeps img in dir for the kernel with build id id; true when written
 * (under a temporary name, renamed into place). */
bool symbols__kimage_write(const char *dir, const char *id,
    const struct symbols__kimage *img);
/* id's len bytes in lower-case hex into hex (2 * len + 1 bytes). */
void symbols__hex(const unsigned char *id, int len, char *hex);
/* The shared debug cache of sh. */
struct symbols__debug_cache *symbols__shared_debug(struct symbols_shared *sh);
/* Once mod's DWARF is read: the pages of its separate debug file that
 * libdw no longer reads (its compressed sections, inflated) given back
 * (debugpages.c). */
void symbols__debug_pages_drop(Dwfl_Module *mod);

/* One ELF object mapped into the target (every mapping of one file). */
struct symbols__mod {
	uint64_t lo, hi;	/* reported range: first start to last end */
	uint64_t map_lo, map_hi; /* first mapping, for /proc/PID/map_files */
	struct symbols__seg *segs;	/* its lines of the maps, in order */
	size_t n_segs, cap_segs;
	uint64_t dev, ino;
	char *path;		/* as in the maps, less " (deleted)" */
	char *report_name;	/* the name given to libdwfl */
	const char *name;	/* interned basename, for frames */
	bool vdso;
	Dwfl_Module *mod;
	struct symbols *owner;
	struct symbols__func *funcs;
	size_t n_funcs;
	struct symbols__func *marks;	/* size-0 functions (asm labels) */
	size_t n_marks;
	bool funcs_loaded;
	struct symbols__fde *fdes;	/* sorted, from .eh_frame_hdr */
	size_t n_fdes;
	bool fdes_loaded;
	struct symbols__plt *plts;	/* sorted, from the PLT sections */
	size_t n_plts;
	bool plts_loaded;
	bool profiled;		/* told to the profile (profile_set_module) */
	bool dwarf_read;	/* its DWARF read once (debugpages.c) */
	/* Lifetime, CLOCK_MONOTONIC like the samples' time_ns (symbols.c
	 * "Module lifetimes"): mapped since from_ns (0: before we looked);
	 * a retired module was seen gone at gone_ns. */
	uint64_t from_ns, gone_ns;
};

/* One named range of JIT code from a perf map: [start, end). */
struct symbols__jit {
	uint64_t start, end;
	const char *name;	/* stable for the table's life (interned) */
	uint64_t seq;		/* order in the file: a later entry wins */
};

/* Disjoint ranges sorted by start, for binary search. */
struct symbols__jit_table {
	struct symbols__jit *v;
	size_t n;
	uint64_t next_seq;
};

#define SYMBOLS_PERFMAP_MAX_MISSED 32
#define SYMBOLS_RETIRED_MAX 32

/* The state of following /tmp/perf-PID.map (perfmap.c). */
struct symbols__perfmap {
	struct symbols__jit_table table;
	uint64_t dev, ino;	/* the file read so far */
	uint64_t offset;	/* bytes of it consumed (whole lines) */
	bool skip_line;		/* inside an over-long line: skip to '\n' */
	bool capped_said;
	uint64_t last_read_ns;	/* 0 = never tried */
	/* pcs that found no entry since names were last invalidated: a
	 * caller may have cached them as [unknown]. Past the array, any
	 * growth of the map counts as naming one. */
	uint64_t missed[SYMBOLS_PERFMAP_MAX_MISSED];
	size_t n_missed;
	bool missed_many;
	bool named;		/* a JIT name was handed out since then */
	char *why_said;		/* the last refusal logged (said once) */
	const char *module;	/* interned "perf-NSPID.map" */
};

/* A cached resolution: frames[first .. first + n) of the frame arena and,
 * once interned, the profile's ids of those frames at the same indexes of
 * the id arena. */
struct symbols__slot {
	uint64_t key;		/* pc << 1 | exact; 0 = empty */
	uint32_t first;
	uint16_t n;
	bool interned;		/* ids[first .. first + n) are set */
	uint32_t loc;		/* the profile's location of pc, once
				 * interned; PROFILE_NO_LOC until then */
};

struct symbols {
	pid_t pid;
	pid_t proc_pid;		/* whose /proc files are read: pid, or a live
				 * thread of it when the leader is a zombie
				 * (its maps, root and map_files are gone) */
	struct symbols_opts opts;
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;

	struct symbols__mod **mods;	/* sorted by lo */
	size_t n_mods;
	/* Modules gone from the maps that samples taken before they went
	 * may still need; oldest first, at most SYMBOLS_RETIRED_MAX. */
	struct symbols__mod *retired[SYMBOLS_RETIRED_MAX];
	size_t n_retired;
	/* Times at which the module a lookup picks may change (see
	 * symbols_set_sample_time); samples on either side of one must
	 * not share cached results. */
	uint64_t bounds[3 * SYMBOLS_RETIRED_MAX];
	size_t n_bounds;
	size_t era;		/* bounds <= the current sample's time */
	uint64_t sample_ns;	/* the sample being looked up; 0: none */
	uint64_t max_sample_ns;	/* the latest sample time seen */
	uint64_t reads;		/* maps reads since the last reset */
	uint64_t report_seq;	/* for names libdwfl knows no module by */
	uint64_t last_read_ns;	/* when the last maps read began */

	/* string pool: open addressing over malloc'd strings */
	char **strs;
	size_t strs_cap, strs_used;

	/* The pc cache: pc -> frames, and their profile ids */
	struct symbols__slot *slots;
	size_t slots_cap, slots_used;
	struct frame *arena;
	uint32_t *ids;			/* as long as arena */
	size_t arena_len, arena_cap;
	uint32_t scratch_ids[SYMBOLS_MAX_INLINE]; /* for an uncached pc */

	struct kallsyms *kallsyms;	/* kernel pcs; loaded on first one */
	bool kernel_told;	/* the kernel's module told the profile */

	struct symbols__perfmap jit;
	/* Executable mappings of no file (JIT code), from the last maps
	 * read, in address order. */
	struct symbols__anon *anon_exec;
	size_t n_anon_exec, cap_anon_exec;

	uint64_t generation;
	struct symbols_stats stats;
	struct symbols__interp *interp;	/* interp.c; NULL until used */
};

/* interp.c */
void symbols__interp_free(struct symbols *s);

/* intern.c */
const char *symbols__intern(struct symbols *s, const char *str);
void symbols__intern_free(struct symbols *s);
int symbols__cache_get(struct symbols *s, uint64_t key, struct frame *out,
    int max);
/* The slot of key, or NULL. */
struct symbols__slot *symbols__cache_find(struct symbols *s, uint64_t key);
void symbols__cache_put(struct symbols *s, uint64_t key,
    const struct frame *f, int n);
void symbols__cache_clear(struct symbols *s);
/* The profile's location of (pc, exact), whose frame ids symbols_frame_ids
 * just gave (ids[0..n)): interned once per cached pc; PROFILE_NO_LOC for
 * a pc not cached, an unknown one, or out of memory. */
uint32_t symbols__frame_loc(struct symbols *s, uint64_t pc, bool exact,
    const uint32_t *ids, uint32_t n);
void symbols__cache_free(struct symbols *s);

/* shared.c: struct symbols_shared (symbols.h). The names of m's code at
 * pc, as another process's symbols put them (0: none yet, or not a
 * file's code); put: the names this one found. */
struct kallsyms *symbols__shared_kallsyms(struct symbols_shared *sh);
int symbols__shared_get(struct symbols_shared *sh,
    const struct symbols__mod *m, uint64_t pc, bool exact, struct frame *out,
    int max);
void symbols__shared_put(struct symbols_shared *sh,
    const struct symbols__mod *m, uint64_t pc, bool exact,
    const struct frame *f, int n);

/* resolve.c */
int symbols__resolve_mod(struct symbols *s, struct symbols__mod *m,
    uint64_t pc, bool exact, struct frame *out, int max);
void symbols__mod_free_funcs(struct symbols__mod *m);
/* Whether pc is where a symbol of m (sized or an asm label) starts. */
bool symbols__mod_func_entry(struct symbols__mod *m, uint64_t pc);

/* fde.c */
bool symbols__fde_start(struct symbols__mod *m, uint64_t vaddr,
    uint64_t *start);
void symbols__fde_free(struct symbols__mod *m);

/* remap.c */
/* When pc lies in an anonymous executable mapping whose bytes are a copy
 * of a current module's executable mapping of the same size, that module,
 * with *opc set to pc's twin in it; else NULL. */
struct symbols__mod *symbols__anon_twin(struct symbols *s, uint64_t pc,
    uint64_t *opc);

/* plt.c */
/* The "callee@plt" name of the PLT stub at file vaddr, or NULL. */
const char *symbols__plt_name(struct symbols *s, struct symbols__mod *m,
    uint64_t vaddr);
void symbols__plt_free(struct symbols__mod *m);

/* perfmap.c: JIT perf maps. The parser and the table are pure (fuzzed);
 * the reader opens the target's map under the trust rule of ctop-prof(1). */
#define SYMBOLS_PERFMAP_MAX_LINE 4096	/* longer lines are skipped */
#define SYMBOLS_PERFMAP_MAX_BYTES (64ull << 20) /* read no further */

/* Called for each valid line: name[0, name_len) holds no NUL and is not
 * NUL-terminated. A negative return stops the parse. */
typedef int (*symbols__perfmap_fn)(void *ctx, uint64_t start, uint64_t size,
    const char *name, size_t name_len);

/* Parses the complete ('\n'-terminated) lines of buf[0, len): each
 * "START SIZE NAME" (hex, optional 0x; blanks between; NAME the rest of
 * the line less trailing blanks and CR; SIZE > 0; no wrap past 2^64)
 * goes to fn, other lines and lines longer than SYMBOLS_PERFMAP_MAX_LINE
 * are skipped. Returns the bytes consumed: up to the last '\n' (or to
 * the line on which fn failed). */
size_t symbols__perfmap_parse(const char *buf, size_t len,
    symbols__perfmap_fn fn, void *ctx);

/* Adds batch[0, n) (file order; reordered and numbered here) over the
 * table: where ranges overlap, the later entry wins. Sets *overlap when
 * any range overlapped another. Returns 0 or -ENOMEM (table unchanged). */
int symbols__jit_table_add(struct symbols__jit_table *t,
    struct symbols__jit *batch, size_t n, bool *overlap);
/* The entry containing pc, or NULL. */
const struct symbols__jit *symbols__jit_table_find(
    const struct symbols__jit_table *t, uint64_t pc);
void symbols__jit_table_free(struct symbols__jit_table *t);

/* Names a pc outside every module from the target's perf map (read
 * lazily, followed as it grows, rate-limited): one FRAME_JIT frame, 1;
 * or 0 when the map has no entry for it. */
int symbols__jit_resolve(struct symbols *s, uint64_t pc, bool exact,
    struct frame *out);
/* Re-reads the map if due, once it was used or missed: a pc whose
 * [unknown] is cached is never asked about again, so growth and a late
 * map are noticed here, called before each sample (symbols_set_sample_time)
 * and on each maps read. At most every 100 ms while pcs missed, else 1 s. */
void symbols__jit_follow(struct symbols *s);
void symbols__jit_free(struct symbols *s);

/* One line of /proc/PID/maps. */
struct symbols__maps_line {
	uint64_t lo, hi, off;
	uint64_t dev;		/* major << 32 | minor */
	uint64_t ino;
	bool exec;		/* the third letter of the perms is 'x' */
	const char *path;	/* into the line: "" for anonymous memory */
};

/* symbols.c */
/* Moves symbols_generation() and empties the pc cache. */
void symbols__bump(struct symbols *s);
struct symbols__mod *symbols__find_mod(struct symbols *s, uint64_t addr);
/* The file offset of runtime address addr of m, from the mapping that
 * holds it; false when none of m's mappings does. */
bool symbols__mod_file_off(const struct symbols__mod *m, uint64_t addr,
    uint64_t *off);
/* Parses one line (NUL-terminated, its '\n' optional) in place: the path
 * loses its trailing newline and spaces and one " (deleted)". False when
 * the fields before the path are not there. */
bool symbols__maps_parse(char *line, struct symbols__maps_line *ml);

#endif
