/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map from a code address to its frame ids. */
#include "config.h"

#include "pc_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"

#define PC_CACHE_MIN_SLOTS 4096

static uint64_t
pc_cache_key(uint64_t pc, bool exact)
{
	/* +1 keeps key 0 free to mean "empty" even for pc 0. */
	return ((pc << 1) | (exact ? 1 : 0)) + 1;
}

static size_t
pc_cache_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key;
}

void
pc_cache_init(struct pc_cache *c)
{
	memset(c, 0, sizeof *c);
}

void
pc_cache_fini(struct pc_cache *c)
{
	free(c->slots);
	free(c->ids);
	memset(c, 0, sizeof *c);
}

void
pc_cache_clear(struct pc_cache *c)
{
	if (c->slots != NULL)
		memset(c->slots, 0, (c->mask + 1) * sizeof *c->slots);
	c->used = 0;
	c->n_ids = 0;
}

bool
pc_cache_get(const struct pc_cache *c, uint64_t pc, bool exact,
    const uint32_t **ids, uint32_t *count)
{
	uint64_t key = pc_cache_key(pc, exact);
	size_t i;

	if (c->slots == NULL)
		return false;
	for (i = pc_cache_hash(key) & c->mask;; i = (i + 1) & c->mask) {
		if (c->slots[i].key == 0)
			return false;
		if (c->slots[i].key == key) {
			*ids = c->ids + c->slots[i].first;
			*count = c->slots[i].count;
			return true;
		}
	}
}

static int
pc_cache_grow(struct pc_cache *c)
{
	size_t n = c->slots ? (c->mask + 1) * 2 : PC_CACHE_MIN_SLOTS;
	struct pc_cache_slot *old = c->slots, *slots;
	size_t old_n = c->slots ? c->mask + 1 : 0, i, j;

	slots = calloc(n, sizeof *slots);
	if (slots == NULL)
		return -ENOMEM;
	for (i = 0; i < old_n; i++) {
		if (old[i].key == 0)
			continue;
		for (j = pc_cache_hash(old[i].key) & (n - 1); slots[j].key;
		    j = (j + 1) & (n - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	c->slots = slots;
	c->mask = n - 1;
	return 0;
}

int
pc_cache_put(struct pc_cache *c, uint64_t pc, bool exact,
    const uint32_t *ids, uint32_t count)
{
	uint64_t key = pc_cache_key(pc, exact);
	size_t i;

	/* Keep the load under 1/2 so probes stay short. */
	if (c->slots == NULL || (c->used + 1) * 2 > c->mask + 1)
		if (pc_cache_grow(c) < 0)
			return -ENOMEM;
	if (util_grow(&c->ids, &c->cap_ids, c->n_ids + count, sizeof *c->ids,
	    16384))
		return -ENOMEM;
	for (i = pc_cache_hash(key) & c->mask; c->slots[i].key != 0;
	    i = (i + 1) & c->mask)
		if (c->slots[i].key == key)
			return 0;
	memcpy(c->ids + c->n_ids, ids, count * sizeof *ids);
	c->slots[i].key = key;
	c->slots[i].first = (uint32_t)c->n_ids;
	c->slots[i].count = count;
	c->n_ids += count;
	c->used++;
	return 0;
}
