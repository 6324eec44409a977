/* SPDX-License-Identifier: MIT */
/* pc_cache: (pc, exact) -> the interned frame ids that name it, innermost
 * first. The worker resolves each address once; later samples of the same
 * address cost one hash probe. Thread: the worker. */
#ifndef CTOP_WORKER_PC_CACHE_H
#define CTOP_WORKER_PC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc_cache_slot {
	uint64_t key;		/* pc << 1 | exact; 0 = empty */
	uint32_t first;		/* index into ids */
	uint32_t count;
};

struct pc_cache {
	struct pc_cache_slot *slots;
	size_t mask;		/* slots - 1, a power of two minus one */
	size_t used;
	uint32_t *ids;
	size_t n_ids, cap_ids;
};

void pc_cache_init(struct pc_cache *c);
void pc_cache_fini(struct pc_cache *c);
/* Forgets every entry (maps changed, exec). */
void pc_cache_clear(struct pc_cache *c);

/* Returns true and sets *ids and *count when (pc, exact) is cached. */
bool pc_cache_get(const struct pc_cache *c, uint64_t pc, bool exact,
    const uint32_t **ids, uint32_t *count);

/* Stores count ids for (pc, exact). Returns 0 or -ENOMEM. */
int pc_cache_put(struct pc_cache *c, uint64_t pc, bool exact,
    const uint32_t *ids, uint32_t count);

#endif
