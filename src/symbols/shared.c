/* SPDX-License-Identifier: MIT */
/* symbols: what the symbols of many processes share (symbols.h,
 * struct symbols_shared): the kernel's names, and the names of code by
 * file and offset. A library's function is the same in every process
 * that maps its file: named once, its frames are the profile's ids, and
 * a process sampled there later needs no DWARF of its own (under -a,
 * reading a small program's and libc's debug info again for each new
 * process was most of the worker's time and about 4 MiB each). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kallsyms.h"

/* Names kept (a slot per file offset): past half of them the table is
 * emptied and fills again with what is sampled now. */
#define SHARED_SLOTS 65536u
#define SHARED_IDS (SHARED_SLOTS * 4)

struct shared_slot {
	uint64_t dev, ino, key;		/* key: file offset << 1 | exact */
	uint32_t first;			/* in ids[] and lines[] */
	uint16_t n;			/* 0: empty slot */
};

struct symbols_shared {
	struct kallsyms *ks;
	struct symbols__debug_cache *debug;
	struct profile *profile;
	bool shares_code;
	struct shared_slot *tab;
	size_t used;
	uint32_t *ids, *lines;
	uint32_t n_ids;
};

struct symbols_shared *
symbols_shared_new(struct profile *p, bool shares_code)
{
	struct symbols_shared *sh = calloc(1, sizeof *sh);

	if (sh == NULL)
		return NULL;
	sh->profile = p;
	sh->shares_code = shares_code;
	sh->ks = kallsyms_new();
	sh->debug = symbols__debug_cache_new();
	if (shares_code) {
		sh->tab = calloc(SHARED_SLOTS, sizeof *sh->tab);
		sh->ids = malloc(SHARED_IDS * sizeof *sh->ids);
		sh->lines = malloc(SHARED_IDS * sizeof *sh->lines);
	}
	if (sh->ks == NULL || sh->debug == NULL || (shares_code &&
	    (sh->tab == NULL || sh->ids == NULL || sh->lines == NULL))) {
		symbols_shared_free(sh);
		return NULL;
	}
	return sh;
}

void
symbols_shared_free(struct symbols_shared *sh)
{
	if (sh == NULL)
		return;
	kallsyms_free(sh->ks);
	symbols__debug_cache_free(sh->debug);
	free(sh->tab);
	free(sh->ids);
	free(sh->lines);
	free(sh);
}

struct kallsyms *
symbols__shared_kallsyms(struct symbols_shared *sh)
{
	return sh->ks;
}

struct symbols__debug_cache *
symbols__shared_debug(struct symbols_shared *sh)
{
	return sh->debug;
}

void
symbols_shared_debug_stats(const struct symbols_shared *sh,
    struct symbols_debug_stats *out)
{
	symbols__debug_cache_stats(sh ? sh->debug : NULL, &out->files,
	    &out->reused, &out->bytes);
}

static size_t
slot_hash(uint64_t dev, uint64_t ino, uint64_t key)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full)
	    ^ (key * 0x165667b19e3779f9ull);

	return (size_t)(h ^ (h >> 29)) & (SHARED_SLOTS - 1);
}

/* The slot of (dev, ino, key): its own, or the empty one it would take. */
static struct shared_slot *
slot_find(struct symbols_shared *sh, uint64_t dev, uint64_t ino,
    uint64_t key)
{
	size_t i = slot_hash(dev, ino, key);
	struct shared_slot *sl;

	for (;; i = (i + 1) & (SHARED_SLOTS - 1)) {
		sl = &sh->tab[i];
		if (sl->n == 0 || (sl->key == key && sl->ino == ino &&
		    sl->dev == dev))
			return sl;
	}
}

/* Only a file's own code: not the vDSO, not a file without an inode. */
static bool
shared_key(const struct symbols_shared *sh, const struct symbols__mod *m,
    uint64_t pc, bool exact, uint64_t *key)
{
	uint64_t off;

	if (!sh->shares_code || m->vdso || m->ino == 0 || !symbols__mod_file_off(m, pc, &off))
		return false;
	*key = off << 1 | (exact ? 1 : 0);
	return true;
}

int
symbols__shared_get(struct symbols_shared *sh, const struct symbols__mod *m,
    uint64_t pc, bool exact, struct frame *out, int max)
{
	const struct frame *f;
	struct shared_slot *sl;
	uint64_t key;

	if (!shared_key(sh, m, pc, exact, &key))
		return 0;
	sl = slot_find(sh, m->dev, m->ino, key);
	if (sl->n == 0 || sl->n > max)
		return 0;
	for (uint16_t i = 0; i < sl->n; i++) {
		if ((f = profile_frame(sh->profile, sh->ids[sl->first + i])) ==
		    NULL)
			return 0;
		out[i] = *f;
		/* The frame keeps the line first seen; this address's is
		 * the one its location wants. */
		out[i].line = sh->lines[sl->first + i];
	}
	return sl->n;
}

void
symbols__shared_put(struct symbols_shared *sh, const struct symbols__mod *m,
    uint64_t pc, bool exact, const struct frame *f, int n)
{
	struct shared_slot *sl;
	uint64_t key;

	if (n <= 0 || n > UINT16_MAX || !shared_key(sh, m, pc, exact, &key))
		return;
	if (sh->used >= SHARED_SLOTS / 2 || sh->n_ids + (uint32_t)n >
	    SHARED_IDS) {
		memset(sh->tab, 0, SHARED_SLOTS * sizeof *sh->tab);
		sh->used = 0;
		sh->n_ids = 0;
	}
	sl = slot_find(sh, m->dev, m->ino, key);
	if (sl->n != 0)
		return;
	for (int i = 0; i < n; i++) {
		uint32_t id = profile_intern(sh->profile, &f[i]);

		if (id == PROFILE_NO_FRAME)
			return;
		sh->ids[sh->n_ids + (uint32_t)i] = id;
		sh->lines[sh->n_ids + (uint32_t)i] = f[i].line;
	}
	*sl = (struct shared_slot){ m->dev, m->ino, key, sh->n_ids,
	    (uint16_t)n };
	sh->n_ids += (uint32_t)n;
	sh->used++;
}
