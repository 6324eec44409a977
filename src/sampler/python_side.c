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
#define PY_PROBE_GAP_NS (20ull * 1000 * 1000)	/* probes at most */
#define PY_DELAY_RING 4096			/* delays for percentiles */

struct sampler_py {
	enum sampler_python mode;
	int status;			/* enum python_status; -1: none yet */
	bool due;			/* a probe is wanted */
	bool unsent;			/* REC_PYTHON not yet in the ring */
	uint64_t retry_until;		/* maps changes re-probe until then */
	uint64_t last_probe;
	struct rec_python rec;
	struct python_walker walker;
	struct python_chain chain;
	int last;			/* the last walk's result */
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

struct sampler_py *
sampler__py_new(struct sampler *s)
{
	struct sampler_py *py;

	if (s->opts.python == SAMPLER_PYTHON_OFF)
		return NULL;
	py = calloc(1, sizeof *py);
	if (py == NULL)
		return NULL;
	py->mode = s->opts.python;
	py->status = -1;
	py->due = true;
	py->retry_until = util_now_ns() + PY_RETRY_NS;
	return py;
}

void
sampler__py_free(struct sampler_py *py)
{
	free(py);
}

void
sampler__py_exec(struct sampler *s)
{
	struct sampler_py *py = s->py;

	if (py == NULL)
		return;
	py->status = -1;
	py->due = true;
	py->retry_until = util_now_ns() + PY_RETRY_NS;
}

void
sampler__py_maps(struct sampler *s)
{
	struct sampler_py *py = s->py;

	if (py != NULL && py->status != PYTHON_OK &&
	    py->status != PYTHON_UNSUPPORTED &&
	    util_now_ns() < py->retry_until)
		py->due = true;
}

/* The status line's words for a probe's answer. */
static void
py_set_note(struct sampler *s, const struct sampler_py *py)
{
	char note[sizeof ((struct sampler_stats *)0)->python];

	if (py->status == PYTHON_OK)
		snprintf(note, sizeof note, "%s", py->rec.layout.label);
	else if (py->status == PYTHON_NOT_PYTHON)
		snprintf(note, sizeof note, "%s", py->mode ==
		    SAMPLER_PYTHON_ON ? "python off: not a CPython process" :
		    "");
	else
		snprintf(note, sizeof note, "python off: %s", py->rec.cause);
	pthread_mutex_lock(&s->lock);
	snprintf(s->py_note, sizeof s->py_note, "%s", note);
	pthread_mutex_unlock(&s->lock);
}

static void
py_probe(struct sampler *s, struct sampler_py *py, uint64_t now)
{
	char *cause = NULL;
	int st;

	py->last_probe = now;
	py->due = false;
	memset(&py->rec, 0, sizeof py->rec);
	st = python_probe(s->opts.pid, &py->rec.layout, &cause);
	py->rec.time_ns = now;
	py->rec.status = st;
	if (cause != NULL)
		snprintf(py->rec.cause, sizeof py->rec.cause, "%s", cause);
	free(cause);
	/* A walker's cache belongs to one image. */
	if (st == PYTHON_OK && py->status != PYTHON_OK)
		python_walker_init(&py->walker);
	py->status = st;
	/* The worker needs the layout only: a process that is not Python
	 * (or not one we can read) sends nothing. */
	py->unsent = st == PYTHON_OK;
	py_set_note(s, py);
}

void
sampler__py_tick(struct sampler *s)
{
	struct sampler_py *py = s->py;
	uint64_t now;

	if (py == NULL)
		return;
	now = util_now_ns();
	if (py->due && now - py->last_probe >= PY_PROBE_GAP_NS)
		py_probe(s, py, now);
	if (py->unsent && ring_push(s->ring, REC_PYTHON, &py->rec,
	    sizeof py->rec))
		py->unsent = false;
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
sampler__py_walk(struct sampler *s, pid_t tid, uint64_t capture_ns)
{
	struct sampler_py *py = s->py;
	int err;

	if (py == NULL || py->status != PYTHON_OK || py->unsent)
		return py != NULL ? (py->last = REC_PY_NONE) : REC_PY_NONE;
	err = python_walk(&py->rec.layout, &py->walker, s->opts.pid, tid,
	    &py->chain);
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

bool
sampler__py_active(const struct sampler *s)
{
	return s->py != NULL && s->py->status == PYTHON_OK;
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
sampler_python_delay_percentiles(struct sampler *s, uint64_t *p50,
    uint64_t *p99)
{
	struct sampler_py *py = s->py;

	*p50 = *p99 = 0;
	if (py != NULL)
		sampler__percentiles(py->delay_ring, PY_DELAY_RING,
		    load(&py->delay_n), p50, NULL, p99);
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
	py_probe(s, py, util_now_ns());
	return py->status == PYTHON_OK;
}
