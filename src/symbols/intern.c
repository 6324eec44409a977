/* SPDX-License-Identifier: MIT */
/* symbols: the string pool (every name and file handed out is interned
 * here and lives until symbols_free/reset) and the pc cache, an
 * open-addressing hash map whose values are runs of a frame arena (and of
 * the profile's ids for those frames, symbols_frame_ids(), and location,
 * symbols__frame_loc()). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* Past this many cached pcs the cache starts over: a bound on memory for
 * targets with huge code footprints (JITs), not a tuning knob. */
#define CACHE_MAX_ENTRIES (1u << 20)

static uint64_t
hash_str(const char *str)
{
	uint64_t h = 1469598103934665603ull;

	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ull;
	return h;
}

static uint64_t
hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static int
intern_grow(struct symbols *s)
{
	size_t cap = s->strs_cap ? s->strs_cap * 2 : 1024;
	char **strs = calloc(cap, sizeof *strs);

	if (!strs)
		return -1;
	for (size_t i = 0; i < s->strs_cap; i++) {
		char *str = s->strs[i];
		size_t j;

		if (!str)
			continue;
		for (j = hash_str(str) & (cap - 1); strs[j];
		    j = (j + 1) & (cap - 1))
			;
		strs[j] = str;
	}
	free(s->strs);
	s->strs = strs;
	s->strs_cap = cap;
	return 0;
}

const char *
symbols__intern(struct symbols *s, const char *str)
{
	size_t j;

	if (!str)
		return NULL;
	/* Keep the load under one half so probes stay short. */
	if ((s->strs_used + 1) * 2 > s->strs_cap && intern_grow(s) < 0)
		return NULL;
	for (j = hash_str(str) & (s->strs_cap - 1); s->strs[j];
	    j = (j + 1) & (s->strs_cap - 1)) {
		if (strcmp(s->strs[j], str) == 0)
			return s->strs[j];
	}
	s->strs[j] = strdup(str);
	if (!s->strs[j])
		return NULL;
	s->strs_used++;
	return s->strs[j];
}

void
symbols__intern_free(struct symbols *s)
{
	for (size_t i = 0; i < s->strs_cap; i++)
		free(s->strs[i]);
	free(s->strs);
	s->strs = NULL;
	s->strs_cap = s->strs_used = 0;
}

struct symbols__slot *
symbols__cache_find(struct symbols *s, uint64_t key)
{
	size_t j;

	if (!s->slots_cap)
		return NULL;
	for (j = hash_u64(key) & (s->slots_cap - 1); s->slots[j].key;
	    j = (j + 1) & (s->slots_cap - 1)) {
		if (s->slots[j].key == key)
			return &s->slots[j];
	}
	return NULL;
}

int
symbols__cache_get(struct symbols *s, uint64_t key, struct frame *out,
    int max)
{
	const struct symbols__slot *sl = symbols__cache_find(s, key);
	int n;

	if (!sl)
		return 0;
	n = (int)sl->n < max ? (int)sl->n : max;
	memcpy(out, s->arena + sl->first, (size_t)n * sizeof *out);
	return n;
}

static int
cache_grow(struct symbols *s)
{
	size_t cap = s->slots_cap ? s->slots_cap * 2 : 4096;
	struct symbols__slot *slots = calloc(cap, sizeof *slots);

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->slots_cap; i++) {
		size_t j;

		if (!s->slots[i].key)
			continue;
		for (j = hash_u64(s->slots[i].key) & (cap - 1); slots[j].key;
		    j = (j + 1) & (cap - 1))
			;
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->slots_cap = cap;
	return 0;
}

static int
arena_reserve(struct symbols *s, size_t n)
{
	size_t need = s->arena_len + n, acap = s->arena_cap;
	size_t icap = s->arena_cap;

	/* Two arrays, one capacity: the smaller of the two if one failed. */
	if (util_grow(&s->arena, &acap, need, sizeof *s->arena, 4096) ||
	    util_grow(&s->ids, &icap, need, sizeof *s->ids, 4096))
		return -1;
	s->arena_cap = acap < icap ? acap : icap;
	return 0;
}

void
symbols__cache_put(struct symbols *s, uint64_t key, const struct frame *f,
    int n)
{
	size_t j;

	if (n <= 0)
		return;
	if (s->slots_used >= CACHE_MAX_ENTRIES)
		symbols__cache_clear(s);
	/* Failing to cache only costs time: the caller has its answer. */
	if ((s->slots_used + 1) * 2 > s->slots_cap && cache_grow(s) < 0)
		return;
	if (arena_reserve(s, (size_t)n) < 0)
		return;
	for (j = hash_u64(key) & (s->slots_cap - 1); s->slots[j].key;
	    j = (j + 1) & (s->slots_cap - 1)) {
		if (s->slots[j].key == key)
			return;
	}
	memcpy(s->arena + s->arena_len, f, (size_t)n * sizeof *f);
	s->slots[j].key = key;
	s->slots[j].first = (uint32_t)s->arena_len;
	s->slots[j].n = (uint16_t)n;
	s->slots[j].interned = false;
	s->slots[j].loc = PROFILE_NO_LOC;
	s->arena_len += (size_t)n;
	s->slots_used++;
}

void
symbols__cache_clear(struct symbols *s)
{
	if (s->slots)
		memset(s->slots, 0, s->slots_cap * sizeof *s->slots);
	s->slots_used = 0;
	s->arena_len = 0;
}

void
symbols__cache_free(struct symbols *s)
{
	free(s->slots);
	free(s->arena);
	free(s->ids);
	s->slots = NULL;
	s->arena = NULL;
	s->ids = NULL;
	s->slots_cap = s->slots_used = 0;
	s->arena_len = s->arena_cap = 0;
}

uint32_t
symbols__frame_loc(struct symbols *s, uint64_t pc, bool exact,
    const uint32_t *ids, uint32_t n)
{
	struct symbols__slot *sl = pc ? symbols__cache_find(s,
	    pc << 1 | (exact ? 1 : 0)) : NULL;
	struct profile_line lines[SYMBOLS_MAX_INLINE];
	const struct frame *f;

	if (!sl || !s->opts.profile || sl->n != n || n > SYMBOLS_MAX_INLINE)
		return PROFILE_NO_LOC;
	if (sl->loc != PROFILE_NO_LOC)
		return sl->loc;
	f = s->arena + sl->first;
	/* "[unknown]" is no code we know: no location to give it. */
	if (f[n - 1].kind == FRAME_MARKER)
		return PROFILE_NO_LOC;
	for (uint32_t i = 0; i < n; i++)
		lines[i] = (struct profile_line){ ids[i], f[i].line };
	/* A return address names its call (pc - 1), as symbols_resolve
	 * does; pprof wants an address inside that instruction. */
	sl->loc = profile_intern_loc(s->opts.profile, exact ? pc : pc - 1,
	    lines, n);
	return sl->loc;
}
