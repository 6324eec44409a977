/* SPDX-License-Identifier: MIT */
/* symbols: names every address of one target process with libdwfl. One
 * Dwfl per process, fed by our own reading of /proc/PID/maps (files opened
 * through /proc/PID/root and /proc/PID/map_files), separate debug files,
 * .gnu_debugdata, [vdso]; inline frames as frames of their own; C++ names
 * demangled; a pc->frames cache so no address is resolved twice.
 * Thread: the worker only (libdwfl state is never shared). */
#ifndef CTOP_SYMBOLS_H
#define CTOP_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <elfutils/libdwfl.h>

#include "ctop/profile.h"
#include "ctop/python.h"

struct symbols_shared;

struct symbols_opts {
	bool debuginfod;	/* allow debuginfod (network); off by default */
	struct profile *profile; /* interns what symbols_frame_ids() hands
				  * out; may be NULL without that call */
	bool maps_optional;	/* a process whose maps cannot be read
				 * (gone) starts with no module rather
				 * than failing; its files come later
				 * (symbols_note_mapping) */
	struct symbols_shared *shared;	/* names shared by the symbols of
				 * many processes (-a, --children); NULL:
				 * this one's own */
	const char *debug_cache;	/* where decompressed copies of debug
				 * files are kept between runs (an
				 * absolute path, made when missing);
				 * NULL: none */
};

/* What the symbols of many processes share: the kernel's symbol table
 * (/proc/kallsyms: 120k lines to read, megabytes to hold), loaded on
 * first use, and (shares_code) the names of code by file and offset,
 * bounded, so that a library is named, and its DWARF read, once rather
 * than in every process. Its names are frame ids of profile p. Lent to
 * every symbols made with it, which it must outlive. Worker thread only. */
struct symbols_shared *symbols_shared_new(struct profile *p,
    bool shares_code);
void symbols_shared_free(struct symbols_shared *sh);

/* Separate debug files with compressed sections (Debian's -dbg and
 * -dbgsym) are decompressed once for all the processes that share sh:
 * how many (files), how often a later process's symbols used a copy
 * (reused), and the memory the copies hold (bytes). */
struct symbols_debug_stats {
	uint64_t files, reused, bytes;
};
void symbols_shared_debug_stats(const struct symbols_shared *sh,
    struct symbols_debug_stats *out);

/* Frames one pc may expand to (inlined callees and their function). */
#define SYMBOLS_MAX_INLINE 64

struct symbols_stats {
	uint64_t lookups;	/* symbols_resolve and symbols_frame_ids
				 * calls */
	uint64_t cache_hits;
	uint64_t no_module;	/* pcs outside every known module */
	uint64_t jit;		/* pcs named by the JIT perf map */
	uint64_t no_symbol;	/* pcs in a module without a symbol */
	uint64_t reloads;	/* times /proc/PID/maps was re-read */
	uint64_t mappings;	/* files mapped told by symbols_note_mapping */
};

struct symbols;

/* Reads the target's mappings. Returns NULL and sets *cause (caller frees)
 * when the process cannot be read. */
struct symbols *symbols_new(pid_t pid, const struct symbols_opts *opts,
    char **cause);
void symbols_free(struct symbols *s);

/* Re-reads /proc/PID/maps now (after exec, a REC_MAPS_CHANGED): the only
 * times the maps are read after symbols_new(); a lookup never reads them.
 * Drops modules whose mapping went away or changed and every cached
 * result for their addresses. Returns 0 or -errno. */
int symbols_reload(struct symbols *s);

/* The same, after the sampler saw mappings change at changed_ns
 * (CLOCK_MONOTONIC, as samples' time_ns; 0: unknown): modules new in this
 * read count as mapped since then. Modules gone from the maps are retired
 * rather than dropped, for the samples taken before they went (see
 * symbols_set_sample_time). */
int symbols_reload_at(struct symbols *s, uint64_t changed_ns);

/* A file mapped executable, told in order with the samples (perf's MMAP2
 * records, REC_MMAP): [lo, hi) maps path (device dev, inode ino) from
 * file offset off since time_ns. */
struct symbols_mapping {
	uint64_t lo, hi, off;
	uint64_t dev, ino;
	const char *path;
	uint64_t time_ns;
};

/* Makes the mapping's module known for the samples taken from time_ns
 * on, however soon the file is unmapped again, and ends there the life of
 * every module it covers: a library that comes and goes before the next
 * maps read (dlopen, dlclose) still names its samples, and one mapped at
 * the place of another is not taken for it. Returns 0 or -errno. */
int symbols_note_mapping(struct symbols *s, const struct symbols_mapping *m);

/* Lookups from now on (symbols_resolve, symbols_module) are for a sample
 * captured at time_ns (0: none; current modules only): a module unmapped
 * since, but not before, still answers for it, and where two modules
 * shared an address the one mapped at time_ns does. Frees retired modules
 * that no sample to come can need (later samples than time_ns were seen).
 * May bump symbols_generation(): caches must then be flushed, since
 * samples on either side of a mapping change name one pc differently. */
void symbols_set_sample_time(struct symbols *s, uint64_t time_ns);

/* Forgets everything (exec); symbols_reload() reads the new maps. */
void symbols_reset(struct symbols *s);

/* Names the code at pc. `exact` is true for the sampled ip and for frames
 * interrupted by a signal; false for return addresses (looked up at pc - 1
 * so the call site, not the next line, is named). Writes up to max frames,
 * innermost first: inlined callees (FRAME_INLINE) and then the function
 * containing them (FRAME_FUNC). An address with no symbol gives one frame
 * named "module+0xOFFSET" (offset from the module's load base) or
 * "[unknown]" outside every module, unless the target's JIT perf map
 * (/tmp/perf-PID.map, trusted as ctop-prof(1) says) names it: then one
 * FRAME_JIT frame. Returns the number written (>= 1 when
 * max >= 1). Strings stay valid until symbols_free() or symbols_reset().
 * A pc in code mapped since the last read is "[unknown]" until the
 * sampler's maps-changed event has the maps read again. */
int symbols_resolve(struct symbols *s, uint64_t pc, bool exact,
    struct frame *out, int max);

/* The profile's frame ids naming pc (see symbols_resolve), innermost
 * first, interned in opts.profile once per (pc, exact) and cached with
 * symbols_resolve's results: the one pc cache of the sample's way. A
 * kernel pc (perf's chain) is one FRAME_KERNEL frame named from
 * /proc/kallsyms ("[kernel]" where its addresses are hidden). Sets *ids
 * (valid until the next call) and returns how many, 0 when out of
 * memory. */
uint32_t symbols_frame_ids(struct symbols *s, uint64_t pc, bool exact,
    const uint32_t **ids);

/* The module containing addr, for the unwinder (which finds unwind tables
 * through it), or NULL. */
Dwfl_Module *symbols_module(struct symbols *s, uint64_t addr);

/* The first address of the module containing addr that is its own (its
 * first mapping; the range libdwfl is told may start lower), or 0. */
uint64_t symbols_module_first(struct symbols *s, uint64_t addr);

/* Whether addr is executable memory of the target as of the last maps
 * read: a module's, or an anonymous executable mapping (JIT code). For
 * the unwinder, which takes a frame-pointer step through code without
 * unwind tables only to a return address there. */
bool symbols_code_at(struct symbols *s, uint64_t addr);

/* Whether the process runs code of no file (JIT: executable anonymous
 * memory in its maps as last read; not the vDSO). */
bool symbols_runs_anon_code(const struct symbols *s);

/* Where pc lies in a copy of a module's text (an anonymous mapping with
 * the same bytes, or the file mapped again at an offset), the address of
 * the same byte in the module, whose unwind tables then apply; else 0. */
uint64_t symbols_code_twin(struct symbols *s, uint64_t pc);

/* Whether pc is the first instruction of a function (where a symbol
 * starts), for the unwinder: there the return address is at sp whatever
 * the function's CFI (crt code such as _init has none). */
bool symbols_func_entry(struct symbols *s, uint64_t pc);

/* Increases every time modules are dropped or replaced, so users of
 * symbols_module() know when to flush what they cached per module; also
 * when JIT names already handed out (or missed) may have changed, so a
 * cache of symbols_resolve() results knows to forget them. */
uint64_t symbols_generation(const struct symbols *s);

void symbols_get_stats(const struct symbols *s, struct symbols_stats *out);

/* ---- interpreter frames (interp.c) ------------------------------------ */

/* One sample's stack, built in three steps: begin with its Python chain
 * (NULL: none), the namer of its process's code objects (python.h; NULL:
 * no Python frames; the caller owns it: a forked child's is its own while
 * its native frames are named by the symbols it borrows) and capture
 * time; push its native pcs innermost first, as
 * unwound; end writes the profile ids root first into out (at most cap)
 * and returns how many: each native frame's ids (function, then inlined
 * callees), with each _PyEval_EvalFrameDefault activation replaced by the
 * Python frames it ran (python_merge) when the chain fits the native
 * stack; else the native stack alone, counted in the stats. A Python frame
 * is a FRAME_FUNC named "qualname (file.py:firstlineno)", its file the
 * code's co_filename and its line the line executing. */
void symbols_stack_begin(struct symbols *s, struct python_namer *namer,
    const struct python_chain *chain, uint64_t time_ns);
void symbols_stack_push(struct symbols *s, uint64_t pc, bool exact);
size_t symbols_stack_end(struct symbols *s, uint32_t *out, size_t cap);
/* symbols_stack_end, writing also into locs[i] the profile's location
 * (profile_intern_loc: the pc's address and the frames it names, each
 * with its line there) of the frame out[i] came from; PROFILE_NO_LOC for
 * a Python frame and a pc that has none ("[unknown]"). For
 * profile_add_locs. */
size_t symbols_stack_end_locs(struct symbols *s, uint32_t *out,
    uint32_t *locs, size_t cap);

struct symbols_python_stats {
	uint64_t chains;	/* stacks that came with a Python chain */
	uint64_t merged;	/* ... merged (or fitting without Python) */
	uint64_t mismatch;	/* ... whose chain did not fit: native kept */
	uint64_t truncated;	/* ... whose chain was cut: native kept */
	uint64_t unnamed;	/* ... with a code object the namer could
				 * not read: native kept */
};

void symbols_python_stats(const struct symbols *s,
    struct symbols_python_stats *out);

/* ---- what a file gives for naming (report.c) -------------------------- */

struct symbols_file_report {
	bool elf;		/* an ELF file libdwfl could read */
	int nsyms;		/* symbols it finds (.symtab, else .dynsym,
				 * or the separate debug file's) */
	bool symtab;		/* the file has a full .symtab itself */
	bool dwarf;		/* DWARF found: file:line, inline frames */
	char debugfile[256];	/* the separate file it was found in, or "" */
	char debuglink[128];	/* .gnu_debuglink's name, or "" */
	char build_id[41];	/* hex, or "" */
	bool unwind_tables;	/* .eh_frame or .debug_frame */
};

/* Looks at one file as the worker's Dwfl would (build id and debug link
 * lookups in the standard places). Returns 0, or -errno (-ENOEXEC: not
 * ELF). Thread: any (its own Dwfl). */
int symbols_file_report(const char *path, struct symbols_file_report *r);

/* Whether --debuginfod can work: the debuginfod client library that libdw
 * loads at run time is installed and DEBUGINFOD_URLS names a server.
 * Returns 0, or -ENOENT with *cause (caller frees) saying what is missing
 * and how to fix it. Any thread; call it before the worker starts. */
int symbols_debuginfod_check(char **cause);

#endif
