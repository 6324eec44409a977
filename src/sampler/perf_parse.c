/* SPDX-License-Identifier: MIT */
/* sampler, perf backend: decodes PERF_RECORD_SAMPLE (layout from
 * include/uapi/linux/perf_event.h, in the order the kernel writes the
 * fields) and turns one into our struct rec_sample, registers mapped from
 * perf's numbering to DWARF's; decodes the side-band records the thread
 * body acts on. Pure functions: unit-tested and fuzzed directly. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "perf_internal.h"

/* perf register id (arch/x86/include/uapi/asm/perf_regs.h) -> DWARF
 * number, -1 for the ones DWARF unwinding does not use. */
static const signed char perf_to_dwarf[24] = {
	[0] = CTOP_REG_RAX, [1] = CTOP_REG_RBX, [2] = CTOP_REG_RCX,
	[3] = CTOP_REG_RDX, [4] = CTOP_REG_RSI, [5] = CTOP_REG_RDI,
	[6] = CTOP_REG_RBP, [7] = CTOP_REG_RSP, [8] = CTOP_REG_RIP,
	[9] = -1, [10] = -1, [11] = -1, [12] = -1, [13] = -1, [14] = -1,
	[15] = -1,
	[16] = CTOP_REG_R8, [17] = CTOP_REG_R9, [18] = CTOP_REG_R10,
	[19] = CTOP_REG_R11, [20] = CTOP_REG_R12, [21] = CTOP_REG_R13,
	[22] = CTOP_REG_R14, [23] = CTOP_REG_R15,
};

void
perf__regs_to_dwarf(const uint64_t *packed, uint64_t mask, uint64_t *dwarf)
{
	int id, k = 0;

	memset(dwarf, 0, CTOP_NREGS * sizeof *dwarf);
	/* The kernel packs one u64 per set bit of the mask, lowest bit
	 * first: the index of a register is the popcount below it. */
	for (id = 0; id < 64; id++) {
		if (!(mask & (1ull << id)))
			continue;
		if (id < 24 && perf_to_dwarf[id] >= 0)
			dwarf[perf_to_dwarf[id]] = packed[k];
		k++;
	}
}

/* Cursor over a record: every read is checked against its end. */
struct cur {
	const unsigned char *p, *end;
};

static bool
take(struct cur *c, void *dst, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	return true;
}

static const void *
skip(struct cur *c, size_t n)
{
	const void *at = c->p;

	if ((size_t)(c->end - c->p) < n)
		return NULL;
	c->p += n;
	return at;
}

/* rec: the whole record, header included. Returns 0 or -EINVAL when the
 * record is shorter than its fields say. */
int
perf__parse_sample(const void *rec, size_t len, uint64_t sample_type,
    uint64_t regs_mask, struct perf_sample *out)
{
	const struct perf_event_header *h = rec;
	struct cur c = { (const unsigned char *)rec, (const unsigned char *)rec
	    + len };
	uint32_t pidtid[2];

	memset(out, 0, sizeof *out);
	/* A size below the header would put the end before the cursor. */
	if (len < sizeof *h || h->size < sizeof *h || h->size > len ||
	    !skip(&c, sizeof *h))
		return -EINVAL;
	c.end = (const unsigned char *)rec + h->size;
	out->kernel_ip = (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) ==
	    PERF_RECORD_MISC_KERNEL;
	if ((sample_type & PERF_SAMPLE_IP) && !take(&c, &out->ip, 8))
		return -EINVAL;
	if (sample_type & PERF_SAMPLE_TID) {
		if (!take(&c, pidtid, 8))
			return -EINVAL;
		out->pid = pidtid[0];
		out->tid = pidtid[1];
	}
	if ((sample_type & PERF_SAMPLE_TIME) && !take(&c, &out->time, 8))
		return -EINVAL;
	if (sample_type & PERF_SAMPLE_CALLCHAIN) {
		if (!take(&c, &out->nr, 8) || out->nr > 0xffff ||
		    !(out->chain = skip(&c, out->nr * 8)))
			return -EINVAL;
	}
	if (sample_type & PERF_SAMPLE_REGS_USER) {
		if (!take(&c, &out->abi, 8))
			return -EINVAL;
		/* ABI_NONE: a kernel thread, no user registers follow. */
		if (out->abi != PERF_SAMPLE_REGS_ABI_NONE &&
		    !(out->regs = skip(&c, (size_t)__builtin_popcountll(
		    regs_mask) * 8)))
			return -EINVAL;
		out->regs_mask = regs_mask;
	}
	if (sample_type & PERF_SAMPLE_STACK_USER) {
		if (!take(&c, &out->stack_size, 8))
			return -EINVAL;
		/* size 0: no data and no dyn_size field at all. */
		if (out->stack_size) {
			if (!(out->stack = skip(&c, out->stack_size)) ||
			    !take(&c, &out->dyn_size, 8))
				return -EINVAL;
			if (out->dyn_size > out->stack_size)
				out->dyn_size = out->stack_size;
		}
	}
	return 0;
}

/* The time a record was written at: a sample's TIME field, or the last
 * u64 of a side-band record's sample_id trailer (with sample_id_all and
 * TID, TIME only, ours). 0 when the record has none or another layout:
 * such a record is taken as older than any. */
uint64_t
perf__record_time(const void *rec, size_t len, uint64_t sample_type,
    bool sample_id_all)
{
	const struct perf_event_header *h = rec;
	struct cur c = { (const unsigned char *)rec, (const unsigned char *)rec
	    + len };
	uint64_t t = 0;

	if (len < sizeof *h || h->size < sizeof *h || h->size > len ||
	    !(sample_type & PERF_SAMPLE_TIME))
		return 0;
	if (h->type != PERF_RECORD_SAMPLE) {
		if (!sample_id_all || (sample_type & (PERF_SAMPLE_ID |
		    PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU |
		    PERF_SAMPLE_IDENTIFIER)) || h->size < sizeof *h + 16)
			return 0;
		memcpy(&t, (const char *)rec + h->size - 8, sizeof t);
		return t;
	}
	c.end = (const unsigned char *)rec + h->size;
	skip(&c, sizeof *h);
	if ((sample_type & PERF_SAMPLE_IDENTIFIER) && !skip(&c, 8))
		return 0;
	if ((sample_type & PERF_SAMPLE_IP) && !skip(&c, 8))
		return 0;
	if ((sample_type & PERF_SAMPLE_TID) && !skip(&c, 8))
		return 0;
	if (!take(&c, &t, 8))
		return 0;
	return t;
}

/* Copies the kernel's call chain into the record split by context: the
 * PERF_CONTEXT_* markers ((u64)-4095 and up) are dropped, kernel pcs (any
 * context but the user's) come first, then user pcs when keep_user (no
 * stack copy to unwind instead). Returns the pcs written. */
static size_t
split_chain(const uint64_t *chain, uint64_t nr, bool keep_user,
    struct rec_sample *rec, uint64_t *dst)
{
	uint64_t kernel[PERF_MAX_CHAIN], pc;
	size_t nk = 0, nu = 0, i;
	bool in_user = false;

	for (i = 0; i < nr; i++) {
		memcpy(&pc, chain + i, 8);
		if (pc >= (uint64_t)-4095)
			in_user = pc == (uint64_t)PERF_CONTEXT_USER;
		else if (!in_user)
			kernel[nk++] = pc;
		else if (keep_user)
			dst[nu++] = pc;		/* moved behind the kernel's */
	}
	memmove(dst + nk, dst, nu * 8);
	memcpy(dst, kernel, nk * 8);
	rec->kernel_len = (uint16_t)nk;
	rec->user_len = (uint16_t)nu;
	return nk + nu;
}

/* The user stack pointer of a sample, 0 without one. */
static uint64_t
user_sp(const struct perf_sample *ps)
{
	const uint64_t sp_bit = 1ull << 7;	/* PERF_REG_X86_SP */

	if (!ps->regs || !(ps->regs_mask & sp_bit))
		return 0;
	return ps->regs[__builtin_popcountll(ps->regs_mask & (sp_bit - 1))];
}

/* How many of the sample's valid stack bytes to keep: all of them, but
 * for a thread whose frames all lie below frames_top (the main thread's
 * starting stack pointer, where argc lies; 0: not known), only up to it
 * and PERF_TOP_SLACK bytes past: above it are the arguments, the
 * environment and the auxiliary vector, which no walk reads, and which
 * were most of a shallow stack's copy. A stack pointer not below it, or
 * far below (another stack), keeps everything. */
size_t
perf__stack_keep(const struct perf_sample *ps, uint64_t frames_top)
{
	uint32_t depth = perf__main_depth(ps, frames_top);

	return depth == 0 || depth >= ps->dyn_size ? ps->dyn_size : depth;
}

uint32_t
perf__main_depth(const struct perf_sample *ps, uint64_t frames_top)
{
	uint64_t sp = user_sp(ps);

	if (frames_top == 0 || sp == 0 || sp >= frames_top ||
	    frames_top - sp > PERF_MAIN_DEPTH_MAX)
		return 0;
	return (uint32_t)(frames_top - sp + PERF_TOP_SLACK);
}

/* Fills rec (room for the chain and stack_cap stack bytes after it) and
 * returns the payload length to commit. */
size_t
perf__fill_sample(const struct perf_sample *ps, size_t stack_cap,
    struct rec_sample *rec)
{
	uint64_t nr = ps->nr > PERF_MAX_CHAIN ? PERF_MAX_CHAIN : ps->nr;
	size_t got = ps->dyn_size < stack_cap ? ps->dyn_size : stack_cap;
	uint64_t *chain = (uint64_t *)(rec + 1);
	size_t pcs;

	rec->time_ns = ps->time;
	rec->tid = (int32_t)ps->tid;
	rec->pid = (int32_t)ps->pid;
	rec->reserved = 0;
	rec->flags = ps->kernel_ip ? SAMPLE_IN_KERNEL : 0;
	if (ps->regs) {
		perf__regs_to_dwarf(ps->regs, ps->regs_mask, rec->regs);
	} else {
		memset(rec->regs, 0, sizeof rec->regs);
		if (!ps->kernel_ip)
			rec->regs[CTOP_REG_RIP] = ps->ip;
	}
	rec->stack_addr = rec->regs[CTOP_REG_RSP];
	/* The copy stopped before the size asked for: it hit the end of the
	 * stack (or an unmapped page), so the whole stack is there. */
	if (ps->stack_size && ps->dyn_size < ps->stack_size)
		rec->flags |= SAMPLE_STACK_SHORT;
	rec->weight = 1;
	rec->py_len = 0;
	rec->py_status = REC_PY_NONE;
	pcs = split_chain(ps->chain, nr, got == 0, rec, chain);
	rec->stack_len = (uint32_t)got;
	if (got)
		memcpy(chain + pcs, ps->stack, got);
	return rec_sample_size(rec);
}

/* The u32 at byte `at` of the body (after the header); 0 past its end. */
static uint32_t
body_u32(const unsigned char *body, size_t blen, size_t at)
{
	uint32_t v = 0;

	if (at + 4 <= blen)
		memcpy(&v, body + at, 4);
	return v;
}

/* MMAP2 {pid, tid, addr, len, pgoff, maj, min, ino, ino_generation,
 * prot, flags, filename[] NUL-padded to 8, sample_id}: the mapping of a
 * file, unless the record carries a build id in place of the device and
 * inode (we never ask for that) or the name has no NUL. */
static void
decode_mmap2(const struct perf_event_header *h, const unsigned char *body,
    size_t blen, struct perf_side *out)
{
	const char *name, *nul;
	uint64_t ino;

	if (blen <= 64 || (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID))
		return;
	name = (const char *)body + 64;
	nul = memchr(name, '\0', blen - 64);
	if (!nul)
		return;
	memcpy(&out->addr, body + 8, 8);
	memcpy(&out->len, body + 16, 8);
	memcpy(&out->pgoff, body + 24, 8);
	memcpy(&ino, body + 40, 8);
	out->dev = (uint64_t)body_u32(body, blen, 32) << 32 |
	    body_u32(body, blen, 36);
	out->ino = ino;
	out->prot = body_u32(body, blen, 56);
	out->file = name;
	out->file_len = (size_t)(nul - name);
}

/* rec: the whole record, header included, h->size <= len bytes. Returns
 * out->kind. Layouts: MMAP/MMAP2 {pid, tid, ...}; COMM {pid, tid,
 * comm[]}; FORK/EXIT {pid, ppid, tid, ptid, time}; LOST {id, lost}. */
int
perf__decode_side(const void *rec, size_t len, struct perf_side *out)
{
	const struct perf_event_header *h = rec;
	const unsigned char *body = (const unsigned char *)(h + 1);
	size_t blen, room;

	memset(out, 0, sizeof *out);
	if (len < sizeof *h || h->size < sizeof *h || h->size > len)
		return PERF_SIDE_NONE;
	blen = h->size - sizeof *h;
	switch (h->type) {
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		if (blen >= 8) {
			out->kind = PERF_SIDE_MAPS;
			out->pid = (pid_t)body_u32(body, blen, 0);
		}
		if (h->type == PERF_RECORD_MMAP2)
			decode_mmap2(h, body, blen, out);
		break;
	case PERF_RECORD_COMM:
		if (blen < 9)
			break;
		out->kind = PERF_SIDE_COMM;
		out->pid = (pid_t)body_u32(body, blen, 0);
		out->tid = (pid_t)body_u32(body, blen, 4);
		out->exec = (h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
		room = blen - 8;
		if (room > sizeof out->comm - 1)
			room = sizeof out->comm - 1;
		memcpy(out->comm, body + 8, room);
		break;
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		if (blen < 16)
			break;
		out->kind = h->type == PERF_RECORD_FORK ? PERF_SIDE_FORK :
		    PERF_SIDE_EXIT;
		out->pid = (pid_t)body_u32(body, blen, 0);
		out->ppid = (pid_t)body_u32(body, blen, 4);
		out->tid = (pid_t)body_u32(body, blen, 8);
		break;
	case PERF_RECORD_LOST:
		if (blen >= 16) {
			out->kind = PERF_SIDE_LOST;
			memcpy(&out->lost, body + 8, 8);
		}
		break;
	case PERF_RECORD_THROTTLE:
		out->kind = PERF_SIDE_THROTTLE;
		break;
	default:
		break;
	}
	return out->kind;
}
