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

/* One ELF object mapped into the target (every mapping of one file). */
struct symbols__mod {
	uint64_t lo, hi;	/* reported range: first start to last end */
	uint64_t map_lo, map_hi; /* first mapping, for /proc/PID/map_files */
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
};

/* A cached resolution: frames[first .. first + n) of the frame arena. */
struct symbols__slot {
	uint64_t key;		/* pc << 1 | exact; 0 = empty */
	uint32_t first;
	uint32_t n;
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

	/* string pool: open addressing over malloc'd strings */
	char **strs;
	size_t strs_cap, strs_used;

	/* pc -> frames cache */
	struct symbols__slot *slots;
	size_t slots_cap, slots_used;
	struct frame *arena;
	size_t arena_len, arena_cap;

	uint64_t generation;
	uint64_t last_miss_reload_ns;
	struct symbols_stats stats;
};

/* intern.c */
const char *symbols__intern(struct symbols *s, const char *str);
void symbols__intern_free(struct symbols *s);
int symbols__cache_get(struct symbols *s, uint64_t key, struct frame *out,
    int max);
void symbols__cache_put(struct symbols *s, uint64_t key,
    const struct frame *f, int n);
void symbols__cache_clear(struct symbols *s);
void symbols__cache_free(struct symbols *s);

/* resolve.c */
int symbols__resolve_mod(struct symbols *s, struct symbols__mod *m,
    uint64_t pc, bool exact, struct frame *out, int max);
void symbols__mod_free_funcs(struct symbols__mod *m);

/* One line of /proc/PID/maps. */
struct symbols__maps_line {
	uint64_t lo, hi, off;
	uint64_t dev;		/* major << 32 | minor */
	uint64_t ino;
	bool exec;		/* the third letter of the perms is 'x' */
	const char *path;	/* into the line: "" for anonymous memory */
};

/* symbols.c */
struct symbols__mod *symbols__find_mod(struct symbols *s, uint64_t addr);
/* Parses one line (NUL-terminated, its '\n' optional) in place: the path
 * loses its trailing newline and spaces and one " (deleted)". False when
 * the fields before the path are not there. */
bool symbols__maps_parse(char *line, struct symbols__maps_line *ml);

#endif
