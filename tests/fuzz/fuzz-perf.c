/* SPDX-License-Identifier: MIT */
/* Fuzz target for the perf record decoders (src/sampler/perf_parse.c):
 * perf__parse_sample, perf__fill_sample, perf__stack_keep,
 * perf__regs_to_dwarf, perf__decode_side and perf__record_time. The input is a 10-byte prefix that chooses how the
 * events were opened, then one record:
 *   byte 0    sample_type: bit 0 IP, 1 TID, 2 TIME, 3 CALLCHAIN,
 *             4 REGS_USER, 5 STACK_USER; bit 6: the register mask is
 *             bytes 2-9 (else the backend's); bit 7: keep the header's
 *             size as written (else it is set to the record's length)
 *   byte 1    stack room given to perf__fill_sample: 0 for dyn_size (as
 *             the backend does), else 16 bytes per unit
 *   bytes 2-9 a register mask, little-endian
 * The record is copied to a buffer of its exact size, so that a read past
 * it is an ASan report. A walker of the record layout written here (from
 * include/uapi/linux/perf_event.h, without the module's code) says what
 * each decoder must return. */
#include "config.h"

#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sampler/perf_internal.h"

#define PREFIX_LEN 10

/* ------------------------------------------------------------------------
 * The oracle: the record layouts, walked without the module's code
 * ------------------------------------------------------------------------ */

struct want_sample {
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t nr;
	size_t chain_at;		/* offsets into the record; 0 = none */
	uint64_t abi;
	size_t regs_at;
	uint64_t stack_size;
	size_t stack_at;
	uint64_t dyn_size;		/* as written, not clipped */
	bool kernel;
};

static uint64_t
get_u64(const unsigned char *rec, size_t at)
{
	uint64_t v;

	memcpy(&v, rec + at, 8);
	return v;
}

static uint32_t
get_u32(const unsigned char *rec, size_t at)
{
	uint32_t v;

	memcpy(&v, rec + at, 4);
	return v;
}

/* The record's own length from its header, 0 when it has no header or
 * says it is longer than the bytes there are (or shorter than a header). */
static size_t
record_size(const unsigned char *rec, size_t len)
{
	uint16_t size;

	if (len < 8)
		return 0;
	memcpy(&size, rec + 6, 2);
	return size >= 8 && size <= len ? size : 0;
}

/* Walks a PERF_RECORD_SAMPLE: the fields sample_type asks for, in the
 * kernel's order. True when they all fit in the record. */
static bool
oracle_sample(const unsigned char *rec, size_t len, uint64_t type,
    uint64_t mask, struct want_sample *w)
{
	size_t size = record_size(rec, len), at = 8;
	uint16_t misc;

	memset(w, 0, sizeof *w);
	if (size == 0)
		return false;
	memcpy(&misc, rec + 4, 2);
	w->kernel = (misc & 7) == 1;	/* PERF_RECORD_MISC_KERNEL */
#define ROOM(n) ((uint64_t)(size - at) >= (uint64_t)(n))
	if (type & PERF_SAMPLE_IP) {
		if (!ROOM(8))
			return false;
		w->ip = get_u64(rec, at);
		at += 8;
	}
	if (type & PERF_SAMPLE_TID) {
		if (!ROOM(8))
			return false;
		w->pid = get_u32(rec, at);
		w->tid = get_u32(rec, at + 4);
		at += 8;
	}
	if (type & PERF_SAMPLE_TIME) {
		if (!ROOM(8))
			return false;
		w->time = get_u64(rec, at);
		at += 8;
	}
	if (type & PERF_SAMPLE_CALLCHAIN) {
		if (!ROOM(8))
			return false;
		w->nr = get_u64(rec, at);
		at += 8;
		if (w->nr > (size - at) / 8)
			return false;
		w->chain_at = at;
		at += w->nr * 8;
	}
	if (type & PERF_SAMPLE_REGS_USER) {
		if (!ROOM(8))
			return false;
		w->abi = get_u64(rec, at);
		at += 8;
		if (w->abi != 0) {	/* PERF_SAMPLE_REGS_ABI_NONE */
			size_t n = (size_t)__builtin_popcountll(mask) * 8;

			if (!ROOM(n))
				return false;
			w->regs_at = at;
			at += n;
		}
	}
	if (type & PERF_SAMPLE_STACK_USER) {
		if (!ROOM(8))
			return false;
		w->stack_size = get_u64(rec, at);
		at += 8;
		if (w->stack_size) {
			if (!ROOM(w->stack_size) || !ROOM(w->stack_size + 8))
				return false;
			w->stack_at = at;
			at += w->stack_size;
			w->dyn_size = get_u64(rec, at);
		}
	}
#undef ROOM
	return true;
}

/* x86-64 psABI DWARF numbers (the rec_sample order) -> perf register ids
 * of arch/x86/include/uapi/asm/perf_regs.h. */
static const int dwarf_to_perf[17] = {
	0 /* ax */, 3 /* dx */, 2 /* cx */, 1 /* bx */, 4 /* si */,
	5 /* di */, 6 /* bp */, 7 /* sp */, 16, 17, 18, 19, 20, 21, 22,
	23 /* r8-r15 */, 8 /* ip */
};

/* The value of DWARF register d in a block packed by the kernel for mask:
 * one u64 per set bit, lowest first. 0 when the mask lacks it. */
static uint64_t
oracle_reg(const unsigned char *packed, uint64_t mask, int d)
{
	int id = dwarf_to_perf[d];
	uint64_t below = mask & ((1ull << id) - 1);

	if (!(mask >> id & 1))
		return 0;
	return get_u64(packed, (size_t)__builtin_popcountll(below) * 8);
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

static void
check_regs(uint64_t mask)
{
	size_t n = (size_t)__builtin_popcountll(mask);
	uint64_t *packed = malloc(n ? n * 8 : 1), dwarf[CTOP_NREGS];

	if (!packed)
		return;
	for (size_t i = 0; i < n; i++)
		packed[i] = 0x1000 + i;
	perf__regs_to_dwarf(packed, mask, dwarf);
	for (int d = 0; d < CTOP_NREGS; d++)
		fuzz_check(dwarf[d] == oracle_reg((unsigned char *)packed, mask,
		    d), "mask %#llx: DWARF register %d is %#llx",
		    (unsigned long long)mask, d, (unsigned long long)dwarf[d]);
	free(packed);
}

/* p points into the record with n bytes behind it. */
static bool
inside(const void *p, uint64_t n, const unsigned char *rec, size_t size)
{
	const unsigned char *q = p;

	return q >= rec && q <= rec + size && n <= (uint64_t)(rec + size - q);
}

/* The chain as the record should carry it: kernel-side pcs (every context
 * but the user's), then user pcs when there is no stack copy; no markers.
 * Returns the count and sets *nk to the kernel part's. */
static size_t
oracle_chain(const unsigned char *chain, uint64_t nr, bool keep_user,
    uint64_t *out, size_t *nk)
{
	uint64_t user[PERF_MAX_CHAIN];
	size_t k = 0, u = 0;
	bool in_user = false;

	for (uint64_t i = 0; i < nr; i++) {
		uint64_t pc = get_u64(chain, i * 8);

		if (pc >= (uint64_t)-4095)
			in_user = pc == (uint64_t)PERF_CONTEXT_USER;
		else if (!in_user)
			out[k++] = pc;
		else if (keep_user)
			user[u++] = pc;
	}
	memcpy(out + k, user, u * 8);
	*nk = k;
	return k + u;
}

/* perf__stack_keep with a top stack_cap bytes above the sampled sp:
 * never more than the valid bytes; less only as far as the top and the
 * margin. */
static void
check_keep(const struct perf_sample *ps, const struct want_sample *w,
    const unsigned char *rec, uint64_t mask, size_t stack_cap)
{
	uint64_t sp = w->regs_at ? oracle_reg(rec + w->regs_at, mask,
	    CTOP_REG_RSP) : 0;
	size_t keep = perf__stack_keep(ps, sp + stack_cap);

	fuzz_check(keep == ps->dyn_size || (sp != 0 && sp + stack_cap > sp &&
	    keep == stack_cap + PERF_TOP_SLACK && keep < ps->dyn_size),
	    "stack_keep %zu of %llu valid, top %zu above sp", keep,
	    (unsigned long long)ps->dyn_size, stack_cap);
}

static void
check_fill(const struct perf_sample *ps, const struct want_sample *w,
    const unsigned char *rec, uint64_t mask, size_t stack_cap)
{
	uint64_t chain_len = w->nr < PERF_MAX_CHAIN ? w->nr : PERF_MAX_CHAIN;
	uint64_t dyn = w->dyn_size < w->stack_size ? w->dyn_size :
	    w->stack_size;
	size_t stack_len = dyn < stack_cap ? (size_t)dyn : stack_cap;
	uint64_t want_chain[PERF_MAX_CHAIN];
	size_t nk = 0, npc = chain_len == 0 ? 0 : oracle_chain(rec +
	    w->chain_at, chain_len, stack_len == 0, want_chain, &nk);
	size_t cap = sizeof(struct rec_sample) + chain_len * 8 + stack_len;
	size_t want_len = sizeof(struct rec_sample) + npc * 8 + stack_len;
	struct rec_sample *r = malloc(cap);
	uint32_t flags = 0;
	size_t got;

	if (!r)
		return;
	got = perf__fill_sample(ps, stack_cap, r);
	fuzz_check(got == want_len, "fill_sample returns %zu, want %zu", got,
	    want_len);
	fuzz_check(r->kernel_len == nk && r->user_len == npc - nk &&
	    r->stack_len == stack_len, "chain %u+%u stack %u, want %zu+%zu "
	    "and %zu", r->kernel_len, r->user_len, r->stack_len, nk, npc - nk,
	    stack_len);
	fuzz_check(npc == 0 || memcmp(rec_sample_kernel(r), want_chain,
	    npc * 8) == 0, "chain not split as the oracle splits it");
	fuzz_check(stack_len == 0 || memcmp(rec_sample_stack(r),
	    rec + w->stack_at, stack_len) == 0, "stack not copied");
	fuzz_check(r->time_ns == w->time && r->tid == (int32_t)w->tid &&
	    r->weight == 1, "time, tid or weight");
	if (w->kernel)
		flags |= SAMPLE_IN_KERNEL;
	if (w->stack_size && w->dyn_size < w->stack_size)
		flags |= SAMPLE_STACK_SHORT;
	fuzz_check(r->flags == flags, "flags %#x, want %#x", r->flags, flags);
	check_keep(ps, w, rec, mask, stack_cap);
	for (int d = 0; d < CTOP_NREGS; d++) {
		uint64_t want = 0;

		if (w->regs_at)
			want = oracle_reg(rec + w->regs_at, mask, d);
		else if (d == CTOP_REG_RIP && !w->kernel)
			want = w->ip;
		fuzz_check(r->regs[d] == want, "register %d is %#llx, want "
		    "%#llx (mask %#llx)", d, (unsigned long long)r->regs[d],
		    (unsigned long long)want, (unsigned long long)mask);
	}
	fuzz_check(r->stack_addr == r->regs[CTOP_REG_RSP], "stack_addr");
	free(r);
}

static void
check_sample(const unsigned char *rec, size_t len, uint64_t type,
    uint64_t mask, size_t stack_room)
{
	struct perf_sample ps;
	struct want_sample w;
	size_t size = record_size(rec, len);
	bool want = oracle_sample(rec, len, type, mask, &w);
	int err = perf__parse_sample(rec, len, type, mask, &ps);

	fuzz_check(err == 0 || err == -EINVAL, "error %d", err);
	fuzz_check((err == 0) == want, "parse_sample says %d, the layout %s",
	    err, want ? "fits" : "does not fit");
	if (err)
		return;
	fuzz_check(ps.ip == w.ip && ps.pid == w.pid && ps.tid == w.tid &&
	    ps.time == w.time && ps.nr == w.nr && ps.abi == w.abi &&
	    ps.stack_size == w.stack_size && ps.kernel_ip == w.kernel,
	    "a field differs");
	fuzz_check(ps.chain == (w.chain_at ? (const void *)(rec + w.chain_at) :
	    NULL), "chain at %p, want offset %zu", (const void *)ps.chain,
	    w.chain_at);
	fuzz_check(ps.regs == (w.regs_at ? (const void *)(rec + w.regs_at) :
	    NULL), "regs at %p, want offset %zu", (const void *)ps.regs,
	    w.regs_at);
	fuzz_check(ps.stack == (w.stack_at ? rec + w.stack_at : NULL),
	    "stack at %p, want offset %zu", (const void *)ps.stack,
	    w.stack_at);
	/* Said twice, by bounds rather than by offsets. */
	fuzz_check(!ps.chain || inside(ps.chain, ps.nr * 8, rec, size),
	    "chain of %llu outside the record", (unsigned long long)ps.nr);
	fuzz_check(!ps.regs || inside(ps.regs, (uint64_t)__builtin_popcountll(
	    mask) * 8, rec, size), "registers outside the record");
	fuzz_check(!ps.stack || inside(ps.stack, ps.stack_size, rec, size),
	    "stack of %llu outside the record",
	    (unsigned long long)ps.stack_size);
	fuzz_check(ps.dyn_size <= ps.stack_size && ps.stack_size < size,
	    "dyn_size %llu, stack_size %llu, record %zu",
	    (unsigned long long)ps.dyn_size,
	    (unsigned long long)ps.stack_size, size);
	check_fill(&ps, &w, rec, mask, stack_room ? stack_room :
	    (size_t)ps.dyn_size);
}

static void
check_side(const unsigned char *rec, size_t len)
{
	struct perf_side sb, want;
	size_t size = record_size(rec, len), blen = size ? size - 8 : 0;
	uint16_t misc = 0;
	uint32_t type = 0;
	int kind;

	memset(&want, 0, sizeof want);
	if (size) {
		memcpy(&type, rec, 4);
		memcpy(&misc, rec + 4, 2);
	}
	if ((type == PERF_RECORD_MMAP || type == PERF_RECORD_MMAP2) &&
	    blen >= 8) {
		want.kind = PERF_SIDE_MAPS;
		want.pid = (pid_t)get_u32(rec, 8);
	} else if (type == PERF_RECORD_COMM && blen >= 9) {
		size_t n = blen - 8 < 15 ? blen - 8 : 15;

		want.kind = PERF_SIDE_COMM;
		want.pid = (pid_t)get_u32(rec, 8);
		want.tid = (pid_t)get_u32(rec, 12);
		want.exec = (misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
		memcpy(want.comm, rec + 16, n);
	} else if ((type == PERF_RECORD_FORK || type == PERF_RECORD_EXIT) &&
	    blen >= 16) {
		want.kind = type == PERF_RECORD_FORK ? PERF_SIDE_FORK :
		    PERF_SIDE_EXIT;
		want.pid = (pid_t)get_u32(rec, 8);
		want.tid = (pid_t)get_u32(rec, 16);
	} else if (type == PERF_RECORD_LOST && blen >= 16) {
		want.kind = PERF_SIDE_LOST;
		want.lost = get_u64(rec, 16);
	} else if (type == PERF_RECORD_THROTTLE && size) {
		want.kind = PERF_SIDE_THROTTLE;
	}
	/* A file's MMAP2: its mapping, the name inside the record. */
	if (type == PERF_RECORD_MMAP2 && blen > 64 &&
	    !(misc & PERF_RECORD_MISC_MMAP_BUILD_ID) &&
	    memchr(rec + 72, '\0', blen - 64)) {
		want.file = (const char *)rec + 72;
		want.file_len = strlen(want.file);
		want.addr = get_u64(rec, 16);
		want.len = get_u64(rec, 24);
		want.pgoff = get_u64(rec, 32);
		want.dev = (uint64_t)get_u32(rec, 40) << 32 | get_u32(rec, 44);
		want.ino = get_u64(rec, 48);
		want.prot = get_u32(rec, 64);
	}
	kind = perf__decode_side(rec, len, &sb);
	fuzz_check(sb.file == want.file && sb.file_len == want.file_len &&
	    (!sb.file || (sb.addr == want.addr && sb.len == want.len &&
	    sb.pgoff == want.pgoff && sb.dev == want.dev &&
	    sb.ino == want.ino && sb.prot == want.prot)),
	    "MMAP2, %zu bytes: file %p (%zu bytes), want %p (%zu)", size,
	    (const void *)sb.file, sb.file_len, (const void *)want.file,
	    want.file_len);
	fuzz_check(kind == (int)sb.kind && sb.kind == want.kind,
	    "type %u, %zu bytes: kind %d (returned %d), want %d", type, size,
	    sb.kind, kind, want.kind);
	fuzz_check(sb.comm[sizeof sb.comm - 1] == '\0', "comm not ended");
	fuzz_check(sb.pid == want.pid && sb.tid == want.tid &&
	    sb.exec == want.exec && sb.lost == want.lost &&
	    memcmp(sb.comm, want.comm, sizeof sb.comm) == 0,
	    "type %u: pid %d tid %d exec %d lost %llu comm \"%s\", want %d "
	    "%d %d %llu \"%s\"", type, sb.pid, sb.tid, sb.exec,
	    (unsigned long long)sb.lost, sb.comm, want.pid, want.tid,
	    want.exec, (unsigned long long)want.lost, want.comm);
}

/* The time the rings are merged by: a sample's TIME after IP and TID, a
 * side-band record's last u64 (its sample_id trailer: TID, TIME). */
static void
check_time(const unsigned char *rec, size_t len, uint64_t type)
{
	size_t size = record_size(rec, len), at = 8;
	uint64_t want = 0, got;
	uint32_t rtype = 0;

	if (size)
		memcpy(&rtype, rec, 4);
	at += (type & PERF_SAMPLE_IP ? 8 : 0) + (type & PERF_SAMPLE_TID ? 8 : 0);
	if (!size || !(type & PERF_SAMPLE_TIME))
		want = 0;
	else if (rtype == PERF_RECORD_SAMPLE)
		want = size >= at + 8 ? get_u64(rec, at) : 0;
	else
		want = size >= 24 ? get_u64(rec, size - 8) : 0;
	got = perf__record_time(rec, len, type, true);
	fuzz_check(got == want, "record_time %llu, want %llu",
	    (unsigned long long)got, (unsigned long long)want);
	got = perf__record_time(rec, len, type, false);
	fuzz_check(got == (rtype == PERF_RECORD_SAMPLE ? want : 0),
	    "record_time without sample_id_all %llu",
	    (unsigned long long)got);
}

FUZZ_TARGET(perf)
{
	static const uint64_t type_bits[6] = {
		PERF_SAMPLE_IP, PERF_SAMPLE_TID, PERF_SAMPLE_TIME,
		PERF_SAMPLE_CALLCHAIN, PERF_SAMPLE_REGS_USER,
		PERF_SAMPLE_STACK_USER,
	};
	uint64_t type = 0, mask = PERF_REGS_MASK;
	unsigned char *rec;
	size_t len;

	if (size < PREFIX_LEN)
		return 0;
	for (int i = 0; i < 6; i++)
		if (data[0] >> i & 1)
			type |= type_bits[i];
	if (data[0] & 0x40) {
		mask = 0;
		for (int i = 9; i >= 2; i--)
			mask = mask << 8 | data[i];
	}
	check_regs(mask);
	len = size - PREFIX_LEN;
	rec = malloc(len ? len : 1);
	if (!rec)
		return 0;
	memcpy(rec, data + PREFIX_LEN, len);
	if (!(data[0] & 0x80) && len >= 8 && len <= UINT16_MAX) {
		uint16_t sz = (uint16_t)len;

		memcpy(rec + 6, &sz, 2);
	}
	check_sample(rec, len, type, mask, (size_t)data[1] * 16);
	check_side(rec, len);
	check_time(rec, len, type);
	free(rec);
	return 0;
}
