/* SPDX-License-Identifier: MIT */
/* sampler: the Python side of a sample. The probe (python_probe) runs on
 * the sampler thread between samples: once after the attach, and after
 * each exec; a launched interpreter maps libpython3.X.so only after its
 * exec, so maps changes in the 3 s after one probe again until CPython is
 * found. Each sample then walks the sampled thread's chain (python_walk:
 * no allocation, process_vm_readv only) into one buffer, appended to the
 * sample record after its stack bytes (record.h). The worker learns the
 * layout from a REC_PYTHON record, in order with the samples. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/python.h"
#include "ctop/util.h"
#include "internal.h"

#define PY_RETRY_NS (3000ull * 1000 * 1000)	/* re-probe after an exec */
#define PY_PROBE_GAP_NS (20ull * 1000 * 1000)	/* probes of one process */
#define PY_CHILD_GAP_NS (2ull * 1000 * 1000)	/* children's probes at most */
#define PY_DELAY_RING 4096			/* delays for percentiles */
#define PY_PROCS 64				/* processes probed at once */
#define PY_SEEN 512				/* code objects sent, per process */

/* What the probe found in one process: the target's, or with --children
 * a descendant's, probed once it is sampled (a short-lived child that
 * never is costs nothing). */
struct py_proc {
	pid_t pid;
	int status;			/* enum python_status; -1: none yet */
	bool due;			/* a probe is wanted */
	bool unsent;			/* REC_PYTHON not yet in the ring */
	uint64_t retry_until;		/* maps changes re-probe until then */
	uint64_t last_probe;
	uint64_t used;			/* the clock at its last walk */
	struct rec_python rec;
	struct python_walker walker;
	struct {
		uint64_t code, fp;	/* fp 0: a forget was sent */
	} seen[PY_SEEN];		/* code objects sent (REC_PY_CODE) */
};

struct sampler_py {
	enum sampler_python mode;
	bool children;			/* other processes are probed too */
	struct py_proc *procs[PY_PROCS];	/* [0]: the target */
	size_t n;
	uint64_t clock;
	uint64_t last_child_probe;
	struct py_proc *cur;		/* the last walk's process */
	struct python_chain chain;
	int last;			/* the last walk's result */
	struct rec_py_code code_rec;	/* a capture, before its push */
	uint64_t fps[PYTHON_MAX_DEPTH];	/* the chain's fingerprints */
	_Atomic uint64_t walks, noent, fault, nospace;
	_Atomic uint64_t delay_n;
	_Atomic uint64_t delay_ring[PY_DELAY_RING];
};

static uint64_t
load(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
bump(_Atomic uint64_t *v)
{
	atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
}

/* A probe is due in p now, and maps changes probe again for 3 s. */
static void
proc_reset(struct py_proc *p, uint64_t now)
{
	p->status = -1;
	p->due = true;
	p->unsent = false;
	p->retry_until = now + PY_RETRY_NS;
	memset(p->seen, 0, sizeof p->seen);	/* another image's codes */
}

static struct py_proc *
proc_new(pid_t pid)
{
	struct py_proc *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->pid = pid;
	proc_reset(p, util_now_ns());
	return p;
}

static struct py_proc *
proc_find(struct sampler_py *py, pid_t pid)
{
	for (size_t i = 0; i < py->n; i++)
		if (py->procs[i]->pid == pid)
			return py->procs[i];
	return NULL;
}

static void
proc_drop(struct sampler_py *py, size_t i)
{
	if (py->cur == py->procs[i])
		py->cur = NULL;
	free(py->procs[i]);
	py->procs[i] = py->procs[--py->n];
}

/* A child's entry, made (the least recently walked child's dropped when
 * the table is full) unless children are not probed. */
static struct py_proc *
proc_get(struct sampler_py *py, pid_t pid)
{
	struct py_proc *p = proc_find(py, pid);
	size_t old = 1;

	if (p != NULL || !py->children)
		return p;
	if (py->n == PY_PROCS) {
		for (size_t i = 2; i < py->n; i++)
			if (py->procs[i]->used < py->procs[old]->used)
				old = i;
		proc_drop(py, old);
	}
	if ((p = proc_new(pid)) == NULL)
		return NULL;
	py->procs[py->n++] = p;
	return p;
}

struct sampler_py *
sampler__py_new(struct sampler *s)
{
	struct sampler_py *py;

	if (s->opts.python == SAMPLER_PYTHON_OFF)
		return NULL;
	py = calloc(1, sizeof *py);
	if (py == NULL || (py->procs[0] = proc_new(s->opts.pid)) == NULL) {
		free(py);
		return NULL;
	}
	py->n = 1;
	py->mode = s->opts.python;
	py->children = s->opts.children;
	return py;
}

void
sampler__py_free(struct sampler_py *py)
{
	if (py == NULL)
		return;
	while (py->n > 0)
		proc_drop(py, py->n - 1);
	free(py);
}

void
sampler__py_exec(struct sampler *s, pid_t pid)
{
	struct py_proc *p;

	if (s->py != NULL && (p = proc_find(s->py, pid)) != NULL)
		proc_reset(p, util_now_ns());
}

void
sampler__py_maps(struct sampler *s, pid_t pid)
{
	struct py_proc *p;

	if (s->py == NULL || (p = proc_find(s->py, pid)) == NULL)
		return;
	if (p->status != PYTHON_OK && p->status != PYTHON_UNSUPPORTED &&
	    util_now_ns() < p->retry_until)
		p->due = true;
}

void
sampler__py_gone(struct sampler *s, pid_t pid)
{
	struct sampler_py *py = s->py;

	if (py == NULL || pid == s->opts.pid)
		return;
	for (size_t i = 1; i < py->n; i++)
		if (py->procs[i]->pid == pid) {
			proc_drop(py, i);
			return;
		}
}

/* The status line's words for a probe's answer: the target's, or a
 * child's CPython when the target runs none (--children -- make). */
static void
py_set_note(struct sampler *s, const struct sampler_py *py,
    const struct py_proc *p)
{
	const struct py_proc *t = py->procs[0];
	char note[sizeof ((struct sampler_stats *)0)->python];

	if (p != t && (t->status == PYTHON_OK || p->status != PYTHON_OK))
		return;
	/* The target found no CPython (again): a child's still counts. */
	for (size_t i = 1; p == t && p->status != PYTHON_OK && i < py->n; i++)
		if (py->procs[i]->status == PYTHON_OK)
			p = py->procs[i];
	if (p->status == PYTHON_OK)
		snprintf(note, sizeof note, "%s", p->rec.layout.label);
	else if (p->status == PYTHON_NOT_PYTHON)
		snprintf(note, sizeof note, "%s", py->mode ==
		    SAMPLER_PYTHON_ON ? "python off: not a CPython process" :
		    "");
	else
		snprintf(note, sizeof note, "python off: %s", p->rec.cause);
	pthread_mutex_lock(&s->lock);
	snprintf(s->py_note, sizeof s->py_note, "%s", note);
	pthread_mutex_unlock(&s->lock);
}

static void
py_probe(struct sampler *s, struct sampler_py *py, struct py_proc *p,
    uint64_t now)
{
	char *cause = NULL;
	int st;

	p->last_probe = now;
	p->due = false;
	memset(&p->rec, 0, sizeof p->rec);
	st = python_probe(p->pid, &p->rec.layout, &cause);
	p->rec.time_ns = now;
	p->rec.status = st;
	p->rec.pid = p->pid;
	if (cause != NULL)
		snprintf(p->rec.cause, sizeof p->rec.cause, "%s", cause);
	free(cause);
	/* A walker's cache belongs to one image. */
	if (st == PYTHON_OK && p->status != PYTHON_OK)
		python_walker_init(&p->walker);
	p->status = st;
	/* The worker needs the layout only: a process that is not Python
	 * (or not one we can read) sends nothing. */
	p->unsent = st == PYTHON_OK;
	py_set_note(s, py, p);
}

/* Whether p's probe may run now: its own gap since its last one, and
 * for a child the children's gap since any child's (500 new processes a
 * second must not each cost a probe at once). */
static bool
probe_allowed(struct sampler_py *py, const struct py_proc *p, uint64_t now)
{
	if (now - p->last_probe < PY_PROBE_GAP_NS)
		return false;
	return p == py->procs[0] ||
	    now - py->last_child_probe >= PY_CHILD_GAP_NS;
}

void
sampler__py_tick(struct sampler *s)
{
	struct sampler_py *py = s->py;
	struct py_proc *p;
	uint64_t now;

	if (py == NULL)
		return;
	now = util_now_ns();
	for (size_t i = 0; i < py->n; i++) {
		p = py->procs[i];
		if (p->due && probe_allowed(py, p, now)) {
			py_probe(s, py, p, now);
			if (i > 0)
				py->last_child_probe = now;
		}
		if (p->unsent && ring_push(s->ring, REC_PYTHON, &p->rec,
		    sizeof p->rec))
			p->unsent = false;
	}
}

static void
note_delay(struct sampler_py *py, uint64_t capture_ns)
{
	uint64_t now = util_now_ns(), n = load(&py->delay_n);

	if (capture_ns == 0 || now < capture_ns)
		return;
	atomic_store_explicit(&py->delay_ring[n % PY_DELAY_RING],
	    now - capture_ns, memory_order_relaxed);
	atomic_store_explicit(&py->delay_n, n + 1, memory_order_relaxed);
}

int
sampler__py_walk(struct sampler *s, pid_t pid, pid_t tid,
    uint64_t capture_ns)
{
	struct sampler_py *py = s->py;
	struct py_proc *p;
	int err;

	if (py == NULL)
		return REC_PY_NONE;
	py->cur = p = proc_get(py, pid);
	if (p == NULL || p->status != PYTHON_OK || p->unsent)
		return py->last = REC_PY_NONE;
	p->used = ++py->clock;
	err = python_walk(&p->rec.layout, &p->walker, pid, tid, &py->chain);
	note_delay(py, capture_ns);
	if (err == 0) {
		bump(&py->walks);
		return py->last = REC_PY_OK;
	}
	if (err == -ENOENT)
		bump(&py->noent);
	else if (err == -EFAULT)
		bump(&py->fault);
	return py->last = err;
}

/* Sends code of p as the worker should know it: a capture of it now, or
 * (fp 0) a forget; false when the ring is full. */
static bool
send_code(struct sampler *s, struct py_proc *p, uint64_t code, uint64_t fp)
{
	struct rec_py_code *r = &s->py->code_rec;

	memset(r, 0, offsetof(struct rec_py_code, cap));
	r->time_ns = util_now_ns();
	r->pid = p->pid;
	if (fp == 0 ||
	    python_code_capture(&p->rec.layout, p->pid, code, &r->cap) < 0) {
		r->cap.code = code;
		r->cap.head_len = 0;
	}
	return ring_push(s->ring, REC_PY_CODE, r, sizeof *r);
}

/* Before a sample's record, the code objects of its Python chain that the
 * worker does not have as they are now (new to it, or the address holds
 * other code since it was sent) captured and pushed as REC_PY_CODE: the
 * worker names the sample from what the sampler saw, however late it gets
 * to it (the first seconds of a run reading debug information; a process
 * gone by then; a code object freed and its address reused by other code
 * meanwhile). One read of the chain's headers per sample; a capture costs
 * two more and 1.9 KiB of ring, once per code object. False: the ring is
 * full, and the sample is to be dropped with them. */
bool
sampler__py_codes(struct sampler *s)
{
	struct sampler_py *py = s->py;
	struct py_proc *p;
	uint64_t code, fp;
	size_t slot;

	if (py == NULL || py->last != REC_PY_OK || (p = py->cur) == NULL)
		return true;
	python_chain_fingerprints(&p->rec.layout, p->pid, &py->chain, py->fps);
	for (uint16_t i = 0; i < py->chain.n; i++) {
		code = py->chain.frames[i].code;
		fp = py->fps[i];
		slot = (size_t)(code >> 4) * 0x9e3779b97f4a7c15ull >> 40 &
		    (PY_SEEN - 1);
		if (code == 0 ||
		    (p->seen[slot].code == code && p->seen[slot].fp == fp))
			continue;
		if (!send_code(s, p, code, fp))
			return false;
		p->seen[slot].code = code;
		p->seen[slot].fp = fp;
	}
	return true;
}

bool
sampler__py_active(const struct sampler *s)
{
	if (s->py == NULL)
		return false;
	for (size_t i = 0; i < s->py->n; i++)
		if (s->py->procs[i]->status == PYTHON_OK)
			return true;
	return false;
}

size_t
sampler__py_room(const struct sampler *s, size_t len)
{
	const struct sampler_py *py = s->py;
	size_t room;

	if (py == NULL || py->last != REC_PY_OK)
		return 0;
	room = ((len + 7) & ~(size_t)7) - len +
	    python_chain_size(py->chain.n);
	if (len + room > ring_max_record(s->ring)) {
		bump(&((struct sampler_py *)py)->nospace);
		return 0;
	}
	return room;
}

size_t
sampler__py_append(struct sampler *s, struct rec_sample *rec, size_t len,
    size_t cap, int status)
{
	struct sampler_py *py = s->py;
	size_t off = (len + 7) & ~(size_t)7, size;

	rec->py_len = 0;
	rec->py_status = status;
	if (py == NULL || status != REC_PY_OK)
		return len;
	size = python_chain_size(py->chain.n);
	if (off + size > cap) {
		rec->py_status = REC_PY_NONE;
		return len;
	}
	memset((unsigned char *)rec + len, 0, off - len);
	memcpy((unsigned char *)rec + off, &py->chain, size);
	rec->py_len = (uint32_t)size;
	return off + size;
}

void
sampler__py_stats(struct sampler *s, struct sampler_stats *out)
{
	struct sampler_py *py = s->py;

	pthread_mutex_lock(&s->lock);
	snprintf(out->python, sizeof out->python, "%s", s->py_note);
	pthread_mutex_unlock(&s->lock);
	if (py == NULL)
		return;
	out->py_walks = load(&py->walks);
	out->py_noent = load(&py->noent);
	out->py_fault = load(&py->fault);
	out->py_nospace = load(&py->nospace);
}

void
sampler_python_delays(struct sampler *s, uint64_t *p50, uint64_t *mean,
    uint64_t *p99)
{
	struct sampler_py *py = s->py;
	uint64_t n, i, sum = 0;

	*p50 = *mean = *p99 = 0;
	if (py == NULL)
		return;
	n = load(&py->delay_n);
	sampler__percentiles(py->delay_ring, PY_DELAY_RING, n, p50, NULL, p99);
	if (n > PY_DELAY_RING)
		n = PY_DELAY_RING;
	for (i = 0; i < n; i++)
		sum += load(&py->delay_ring[i]);
	if (n > 0)
		*mean = sum / n;
}

/* --backend auto: perf reads a thread's Python chain after the sample,
 * which misses a stack that changes in between (measured on ctop-demo.py:
 * 45% of its samples did not fit and lost their Python frames); ptrace
 * reads it in the same stop. So a CPython target gets ptrace. */
bool
sampler__py_wants_ptrace(struct sampler *s)
{
	struct sampler_py *py = s->py;

	if (py == NULL)
		return false;
	if (s->opts.launched)
		return s->opts.python_hint;
	/* The first probe, done now: sampler__py_tick does not repeat it. */
	py_probe(s, py, py->procs[0], util_now_ns());
	return py->procs[0]->status == PYTHON_OK;
}
