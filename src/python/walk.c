/* SPDX-License-Identifier: MIT */
/* python walk: one thread's Python frames, read by the sampler. No
 * allocation, no stdio, no locks: only process_vm_readv into the caller's
 * buffers, with every loop bounded, so it may run while the thread is
 * stopped under ptrace or right after a perf sample. */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>

#include "internal.h"

/* Bounds on what a scan for a thread state may visit: a corrupt or
 * changing list must not keep the sampler (a read is about 1 us).
 * Threads beyond the first MAX_TSTATES are not found. */
#define MAX_INTERPS 64
#define MAX_TSTATES 1024
/* The bytes of a thread state or a frame header we read at most. */
#define TS_SPAN_MAX 512
#define FRAME_SPAN_MAX 256
#define PAGE 4096ull
/* How far below the window a frame still counts as the same data stack
 * chunk (CPython's first chunk is 16 KiB, later ones larger). */
#define NEAR_BELOW (256u * 1024)

int
python__read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
}

void
python_walker_init(struct python_walker *w)
{
	memset(w, 0, offsetof(struct python_walker, window));
}

static int
walker_read(struct python_walker *w, pid_t pid, uint64_t addr, void *buf,
    size_t len)
{
	w->reads++;
	return python__read(pid, addr, buf, len);
}

/* Refills the window so that it ends at addr + len: the page(s) holding
 * [addr, addr + len) first, then whole pages below, in one call with one
 * iovec each. The kernel stops at the first unreadable page, so what was
 * read is always a contiguous range ending at addr + len. */
static int
window_fill(struct python_walker *w, pid_t pid, uint64_t addr, size_t len)
{
	struct iovec local[PYTHON_WINDOW / PAGE + 1];
	struct iovec remote[PYTHON_WINDOW / PAGE + 1];
	uint64_t hi = addr + len, base = hi - PYTHON_WINDOW;
	uint64_t lo = addr & ~(PAGE - 1), got_lo = hi;
	size_t i, n = 0;
	ssize_t got;

	w->win_lo = w->win_hi = hi;
	while (lo >= base && hi > lo && n < sizeof local / sizeof local[0]) {
		local[n].iov_base = w->window + (lo - base);
		local[n].iov_len = hi - lo;
		remote[n].iov_base = (void *)(uintptr_t)lo;
		remote[n].iov_len = hi - lo;
		n++;
		hi = lo;
		lo -= PAGE;
	}
	if (n == 0)
		return -EFAULT;
	w->reads++;
	got = process_vm_readv(pid, local, n, remote, n, 0);
	if (got < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	for (i = 0; i < n && (size_t)got >= remote[i].iov_len; i++) {
		got -= (ssize_t)remote[i].iov_len;
		got_lo = (uint64_t)(uintptr_t)remote[i].iov_base;
	}
	w->win_lo = got_lo;
	return got_lo <= addr ? 0 : -EFAULT;
}

/* Reads a frame header through the window. A frame just below the
 * window is the data stack going on rootwards: refill there. A frame
 * elsewhere is read alone (*stray), keeping the window: a generator's
 * frame (in its object on the heap) and 3.12+'s shim frames (on the C
 * stack) come one at a time between data stack frames. When a stray
 * frame is itself on a data stack (w->strays, set by the caller, who
 * knows its owner), the chain moved to an older chunk, mapped elsewhere:
 * the next miss refills. */
static int
frame_read(struct python_walker *w, pid_t pid, uint64_t addr, void *buf,
    size_t len, bool *stray)
{
	*stray = false;
	if (addr < w->win_lo || addr + len > w->win_hi || addr + len < addr) {
		bool near = w->win_lo == w->win_hi || w->strays > 0 ||
		    (addr < w->win_lo && w->win_lo - addr < NEAR_BELOW);

		if (!near || addr < PYTHON_WINDOW ||
		    window_fill(w, pid, addr, len) < 0) {
			*stray = true;
			return walker_read(w, pid, addr, buf, len);
		}
	}
	memcpy(buf, w->window + (addr - (w->win_hi - PYTHON_WINDOW)), len);
	return 0;
}

static size_t
span_of(uint16_t a, uint16_t b, uint16_t c)
{
	uint16_t m = a > b ? a : b;

	return (size_t)(m > c ? m : c) + 8;
}

static unsigned
slot_of(pid_t tid)
{
	return (unsigned)tid % PYTHON_TID_SLOTS;
}

static void
cache_put(struct python_walker *w, pid_t tid, uint64_t tstate)
{
	w->slot[slot_of(tid)].tid = tid;
	w->slot[slot_of(tid)].tstate = tstate;
}

/* Walks interpreters -> thread states for native_thread_id == tid,
 * remembering every thread state seen; ts receives the found state's
 * span. Returns 0 or -ENOENT / -EFAULT / -ESRCH. */
static int
tstate_scan(const struct python_layout *l, struct python_walker *w,
    pid_t pid, pid_t tid, unsigned char *ts, size_t span)
{
	uint64_t interp, t, head, found = 0;
	unsigned ni, nt = 0;
	int rc;

	w->scans++;
	if ((rc = walker_read(w, pid, l->runtime + l->rt_interp_head,
	    &interp, 8)) < 0)
		return rc;
	for (ni = 0; interp && ni < MAX_INTERPS; ni++) {
		if ((rc = walker_read(w, pid, interp + l->is_threads_head,
		    &t, 8)) < 0)
			return rc;
		for (head = t; t && nt < MAX_TSTATES && !found; nt++) {
			pid_t seen;

			if ((rc = walker_read(w, pid, t, ts, span)) < 0)
				return rc;
			seen = (pid_t)python__u64(ts, l->ts_native_tid);
			cache_put(w, seen, t);
			if (seen == tid) {
				found = t;
			} else {
				uint64_t next = python__u64(ts, l->ts_next);

				/* Looped back: read mid-change. */
				if (next == head || next == t)
					break;
				t = next;
			}
		}
		if (found)
			return 0;
		if ((rc = walker_read(w, pid, interp + l->is_next,
		    &interp, 8)) < 0)
			return rc;
	}
	return -ENOENT;
}

/* The thread state of tid: from the cache when its native_thread_id
 * still says tid (thread states are freed and reused), else by a scan. */
static int
tstate_find(const struct python_layout *l, struct python_walker *w,
    pid_t pid, pid_t tid, unsigned char *ts, size_t span)
{
	unsigned s = slot_of(tid);
	int rc;

	if (w->slot[s].tid == tid && w->slot[s].tstate) {
		rc = walker_read(w, pid, w->slot[s].tstate, ts, span);
		if (rc == -ESRCH)
			return rc;
		if (rc == 0 && (pid_t)python__u64(ts, l->ts_native_tid) == tid)
			return 0;
		w->slot[s].tstate = 0;
	}
	return tstate_scan(l, w, pid, tid, ts, span);
}

/* The leaf frame's address from the thread state's span. */
static int
leaf_frame(const struct python_layout *l, struct python_walker *w,
    pid_t pid, const unsigned char *ts, uint64_t *frame)
{
	uint64_t p = python__u64(ts, l->ts_frame);

	if (l->cf_current == PYTHON_NO_FIELD || !p) {
		*frame = p;
		return 0;
	}
	/* 3.11, 3.12: tstate->cframe->current_frame. */
	return walker_read(w, pid, p + l->cf_current, frame, 8);
}

/* The instruction index of a frame: prev_instr/instr_ptr relative to the
 * code object's bytecode, in 2-byte code units; -1 when implausible. */
static int32_t
frame_lasti(const struct python_layout *l, uint64_t code, uint64_t instr)
{
	uint64_t start = code + l->co_code_adaptive;

	if (instr < start || instr - start >= (1ull << 30))
		return -1;
	return (int32_t)((instr - start) / 2);
}

/* Appends the frame whose header is h; false when it has no code. */
static bool
chain_push(const struct python_layout *l, struct python_chain *out,
    uint64_t frame, const unsigned char *h)
{
	struct python_frame *f = &out->frames[out->n];
	uint64_t code = python__u64(h, l->fr_code);

	code &= ~(uint64_t)l->code_tag_mask;
	if (!code)
		return false;
	out->n++;
	out->root = frame;
	f->code = code;
	f->lasti = frame_lasti(l, f->code, python__u64(h, l->fr_instr));
	f->flags = 0;
	if (l->fr_is_entry != PYTHON_NO_FIELD && h[l->fr_is_entry]) {
		f->flags |= PYTHON_FRAME_ENTRY;
		out->nentry++;
	}
	return true;
}

/* A shim frame (3.12+) closes one _PyEval_EvalFrameDefault activation:
 * the frame read just before it was that activation's entry frame. */
static void
chain_mark_entry(struct python_chain *out)
{
	struct python_frame *f;

	if (out->n == 0)
		return;
	f = &out->frames[out->n - 1];
	if (!(f->flags & PYTHON_FRAME_ENTRY)) {
		f->flags |= PYTHON_FRAME_ENTRY;
		out->nentry++;
	}
}

static int
chain_walk(const struct python_layout *l, struct python_walker *w,
    pid_t pid, uint64_t frame, struct python_chain *out)
{
	unsigned char h[FRAME_SPAN_MAX];
	size_t span = span_of(l->fr_previous, l->fr_code, l->fr_instr);
	unsigned steps;
	int rc;

	if (l->fr_owner + 1u > span)
		span = l->fr_owner + 1u;
	if (l->fr_is_entry != PYTHON_NO_FIELD && l->fr_is_entry + 1u > span)
		span = l->fr_is_entry + 1u;
	/* Shims at most double the steps: one per activation. */
	for (steps = 0; frame && steps < 2 * PYTHON_MAX_DEPTH; steps++) {
		uint8_t owner;
		bool stray;

		if (out->n == PYTHON_MAX_DEPTH) {
			out->flags |= PYTHON_CHAIN_TRUNCATED;
			return 0;
		}
		if ((rc = frame_read(w, pid, frame, h, span, &stray)) < 0)
			return rc;
		owner = h[l->fr_owner];
		/* FRAME_OWNED_BY_THREAD (0): on the thread's data stack. */
		w->strays = stray && owner == 0;
		if (owner >= l->owner_shim_lo && owner <= l->owner_shim_hi)
			chain_mark_entry(out);
		else if (owner > 3 || !chain_push(l, out, frame, h))
			return -EFAULT;	/* not a frame: changed under us */
		frame = python__u64(h, l->fr_previous);
	}
	if (frame)
		out->flags |= PYTHON_CHAIN_TRUNCATED;
	return 0;
}

int
python_walk(const struct python_layout *l, struct python_walker *w,
    pid_t pid, pid_t tid, struct python_chain *out)
{
	unsigned char ts[TS_SPAN_MAX];
	size_t span = span_of(l->ts_next, l->ts_native_tid, l->ts_frame);
	uint64_t frame;
	int rc;

	out->n = out->nentry = 0;
	out->flags = 0;
	out->root = 0;
	w->win_lo = w->win_hi = 0;	/* frames changed since the last walk */
	w->strays = 0;
	if (span > sizeof ts)
		return -EINVAL;
	if ((rc = tstate_find(l, w, pid, tid, ts, span)) < 0)
		return rc;
	if ((rc = leaf_frame(l, w, pid, ts, &frame)) < 0)
		return rc;
	return chain_walk(l, w, pid, frame, out);
}
