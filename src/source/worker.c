/* SPDX-License-Identifier: MIT */
/* The live source's worker thread: drains the ring, turns raw samples into
 * stacks of frame ids (unwind -> symbols -> profile), and publishes views. */
#include "config.h"

#include "children.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctop/python.h"
#include "ctop/record.h"
#include "ctop/symbols.h"
#include "ctop/util.h"

#define WORKER_MAX_FRAMES 4096		/* unwound pcs per sample */
#define WORKER_MAX_IDS 16384		/* frame ids per stack, inlines too */
#define WORKER_BATCH 4096		/* records per drain round */
#define WORKER_PYNAME_SLOTS 256		/* threads whose Python name was
					 * asked, direct-mapped by tid */
/* -a: processes with symbols and an unwinder of their own at once. A
 * state holds a Dwfl, its modules' tables and caches: about 1 MiB for a
 * small C program (measured, see docs/ARCHITECTURE.md), more with big
 * libraries; 64 bounds the worker to tens of MiB on a machine of
 * thousands of processes, and covers the busy ones of most. */
#define WORKER_ALL_STATES 64
#define WORKER_REACH_BUCKET 256		/* the walks' reach histogram */
#define WORKER_REACH_BUCKETS 258	/* up to 64 KiB and above */

struct worker {
	struct ring *ring;
	struct sampler *sampler;
	struct source_live_opts opts;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	uint64_t drain_until_ns;	/* set before stop; 0 = no limit */
	uint64_t calm_ns;		/* from then on a recording may nap
					 * long (worker_unhurried); worker
					 * thread */
	atomic_bool has_readers;	/* a UI or batch printer reads views */

	/* Worker-thread state. */
	struct symbols *symbols;
	struct unwinder *unwinder;
	struct children children;	/* --children: the other processes */
	struct symbols_shared *shared;	/* names shared by them */
	bool children_ready;
	struct profile *profile;
	uint8_t *proc_sampled;		/* -a: by process frame id, 1 once it
					 * had a sample (the header's count) */
	size_t proc_sampled_cap;
	uint32_t process_frame;
	uint32_t truncated_frame;
	uint32_t incomplete_frame;
	char comm[64];
	struct unwind_frame *uframes;
	uint32_t *ids;
	uint32_t *locs;		/* each id's location (for pprof) */
	bool symbols_failed;
	struct python_namer *py_namer;	/* the target's code objects'
					 * names (NULL: not CPython) */
	struct {			/* thread names from threading: */
		int32_t tid;		/* asked once per outermost frame */
		uint64_t root;
	} pyname[WORKER_PYNAME_SLOTS];

	/* Shared with main, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a view asked for, or stop: ends a
					 * nap (worker_nap) */
	struct pview *published;
	struct pview_params want;
	bool reset_requested;
	bool refresh_requested;
	bool exited;
	int exit_status;
	char message[256];
	struct source_summary summary;
	uint64_t reach_hist[WORKER_REACH_BUCKETS];
};

/* Reads /proc/PID/comm: the name the process frame gets; false when the
 * process is gone (buf then says pid-N). */
static bool
read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(buf, size, "pid-%d", (int)pid);
		return false;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static void
worker_set_message(struct worker *w, const char *msg)
{
	pthread_mutex_lock(&w->lock);
	snprintf(w->message, sizeof w->message, "%s", msg);
	pthread_mutex_unlock(&w->lock);
}

static uint32_t
intern_marker(struct profile *p, const char *name, uint8_t kind)
{
	struct frame f = { .name = name, .kind = kind };

	return profile_intern(p, &f);
}

/* The target's top-level frame: its name, or "PID comm" when other
 * processes have theirs beside it (--children). */
static uint32_t
worker_process_frame(struct worker *w)
{
	if (w->opts.children)
		return children_process_frame(w->profile, w->opts.pid, w->comm);
	return intern_marker(w->profile, w->comm, FRAME_PROCESS);
}

static void
worker_intern_fixed_frames(struct worker *w)
{
	w->process_frame = worker_process_frame(w);
	w->truncated_frame = intern_marker(w->profile, "[truncated]",
	    FRAME_MARKER);
	w->incomplete_frame = intern_marker(w->profile, "[incomplete]",
	    FRAME_MARKER);
}

struct worker *
worker_new(struct ring *ring, struct sampler *sampler,
    const struct source_live_opts *opts, char **cause)
{
	struct worker *w = calloc(1, sizeof *w);

	*cause = NULL;
	if (w == NULL)
		goto nomem;
	w->ring = ring;
	w->sampler = sampler;
	w->opts = *opts;
	if (w->opts.publish_s <= 0)
		w->opts.publish_s = 1.0;
	pthread_mutex_init(&w->lock, NULL);
	util_cond_init_monotonic(&w->wake);
	w->uframes = calloc(WORKER_MAX_FRAMES, sizeof *w->uframes);
	w->ids = calloc(WORKER_MAX_IDS, sizeof *w->ids);
	w->locs = calloc(WORKER_MAX_IDS, sizeof *w->locs);
	/* The log keeps a minute: the header's sparkline (the w windows
	 * take at most 30 s of it). */
	w->profile = profile_new(&(struct profile_limits){ .window_s =
	    PVIEW_SPARK_S });
	if (w->uframes == NULL || w->ids == NULL || w->locs == NULL ||
	    w->profile == NULL)
		goto nomem;
	if (opts->all)
		snprintf(w->comm, sizeof w->comm, "all");
	else
		read_comm(opts->pid, w->comm, sizeof w->comm);
	worker_intern_fixed_frames(w);
	return w;
nomem:
	worker_free(w);
	*cause = strdup("out of memory");
	return NULL;
}

/* Symbols and the unwinder are made on first use, in the worker thread,
 * since libdwfl and libunwind state must stay on this thread. */
static bool
worker_ensure_symbols(struct worker *w)
{
	/* A target gone before its first record (a short program behind a
	 * busy worker) starts with no module: the files it mapped come as
	 * REC_MMAP, from the kernel (perf) or the sampler's reads. */
	struct symbols_opts so = { .debuginfod = w->opts.debuginfod,
		.profile = w->profile, .maps_optional = true,
		.debug_cache = w->opts.debug_cache };
	char *cause = NULL, msg[256];

	if (w->unwinder != NULL)
		return true;
	if (w->symbols_failed)
		return false;
	w->symbols = symbols_new(w->opts.pid, &so, &cause);
	if (w->symbols != NULL)
		w->unwinder = unwind_new(w->symbols, &cause);
	if (w->unwinder != NULL)
		unwind_set_method(w->unwinder, w->opts.unwind);
	if (w->unwinder == NULL) {
		snprintf(msg, sizeof msg, "cannot read symbols: %s",
		    cause ? cause : "unknown error");
		worker_set_message(w, msg);
		free(cause);
		symbols_free(w->symbols);
		w->symbols = NULL;
		w->symbols_failed = true;
		return false;
	}
	return true;
}

/* Builds the root-first id list of one unwound stack; symbols merges
 * the sample's Python chain (NULL: none) into it. */
/* What a sample is unwound and named with: the target's state, or a
 * child's (--children). */
struct wproc {
	struct symbols *symbols;
	struct unwinder *unwinder;
	struct python_namer *namer;	/* its Python code's names, or NULL */
	uint32_t process_frame;
	bool target;
};

static size_t
worker_build_stack(struct worker *w, const struct wproc *pr, int n,
    enum unwind_end end, const struct rec_sample *s)
{
	size_t k = 0;
	int i;

	w->ids[k++] = pr->process_frame;
	if (end == UNWIND_TRUNCATED || end == UNWIND_MAX_DEPTH)
		w->ids[k++] = w->truncated_frame;
	else if (end != UNWIND_COMPLETE && end != UNWIND_JOINED)
		w->ids[k++] = w->incomplete_frame;
	for (i = 0; i < (int)k; i++)	/* no code address */
		w->locs[i] = PROFILE_NO_LOC;
	symbols_stack_begin(pr->symbols, pr->namer, rec_sample_python(s),
	    s->time_ns);
	for (i = 0; i < n; i++)
		symbols_stack_push(pr->symbols, w->uframes[i].pc,
		    w->uframes[i].exact);
	return k + symbols_stack_end_locs(pr->symbols, w->ids + k,
	    w->locs + k, WORKER_MAX_IDS - k);
}

static bool
worker_is_child(const struct worker *w, int32_t pid)
{
	if (w->opts.all)
		return pid > 0;
	return w->opts.children && pid != 0 && pid != w->opts.pid;
}

/* --children: the table, made on first use, after the target's state
 * (which it lends to children forked without an exec). */
static bool
worker_children(struct worker *w)
{
	struct symbols_opts so = { .debuginfod = w->opts.debuginfod,
		.profile = w->profile, .debug_cache = w->opts.debug_cache };

	if (w->children_ready)
		return true;
	/* One kernel table for every process (loading /proc/kallsyms per
	 * process cost -a two thirds of the worker's time); under -a the
	 * names of the code of files many processes map too. */
	if (w->shared == NULL)
		w->shared = symbols_shared_new(w->profile, w->opts.all);
	so.shared = w->shared;
	/* -a has no target: no state to lend, a bound on states. */
	if (w->opts.all)
		children_init(&w->children, w->profile, &so, w->opts.unwind,
		    NULL, NULL, WORKER_ALL_STATES);
	else if (worker_ensure_symbols(w))
		children_init(&w->children, w->profile, &so, w->opts.unwind,
		    w->symbols, w->unwinder, 0);
	else
		return false;
	w->children_ready = true;
	return true;
}

static struct child *
worker_child(struct worker *w, pid_t pid)
{
	return worker_children(w) ? children_get(&w->children, pid) : NULL;
}

/* The state to unwind and name sample s with; false when there is none
 * (the target's symbols could not be read, a child gone unseen). */
static bool
worker_proc_of(struct worker *w, const struct rec_sample *s,
    struct wproc *pr)
{
	struct child *c;

	if (worker_is_child(w, s->pid)) {
		if ((c = worker_child(w, s->pid)) == NULL)
			return false;
		*pr = (struct wproc){ c->symbols, c->unwinder, c->namer,
		    c->process_frame, false };
		return true;
	}
	if (!worker_ensure_symbols(w))
		return false;
	*pr = (struct wproc){ w->symbols, w->unwinder, w->py_namer,
	    w->process_frame, true };
	return true;
}

/* A probe's answer (REC_PYTHON): a namer for the process's code objects,
 * the target's or a child's own (a forked child that borrows its parent's
 * symbols has memory of its own from the fork). */
static void
worker_python(struct worker *w, const struct rec_python *py)
{
	const struct python_layout *l = py->status == PYTHON_OK ?
	    &py->layout : NULL;

	if (worker_is_child(w, py->pid)) {
		if (worker_children(w))
			children_python(&w->children, py->pid, l);
		return;
	}
	python_namer_free(w->py_namer);
	w->py_namer = l != NULL ? python_namer_new(w->opts.pid, l) : NULL;
}

/* A code object the sampler captured (REC_PY_CODE), learnt by the namer
 * of its process. */
static void
worker_python_code(struct worker *w, const struct rec_py_code *r)
{
	struct python_namer *n = w->py_namer;
	struct child *c;

	if (worker_is_child(w, r->pid))
		n = worker_children(w) &&
		    (c = children_get(&w->children, r->pid)) != NULL ?
		    c->namer : NULL;
	if (n != NULL)
		python_namer_learn(n, &r->cap, python_epoch(r->time_ns));
}

/* The Python figures of the summary, what naming sample s added to the
 * counts of its process's symbols (before: those counts before it);
 * under w->lock. */
static void
worker_python_summary(struct worker *w, const struct rec_sample *s,
    const struct symbols_python_stats *before,
    const struct symbols_python_stats *after)
{
	if (s->py_status == REC_PY_NONE)
		return;
	w->summary.py_samples++;
	w->summary.py_chains += after->chains - before->chains;
	w->summary.py_merged += after->merged - before->merged;
	w->summary.py_mismatch += after->mismatch - before->mismatch +
	    after->truncated - before->truncated;
	w->summary.py_unnamed += after->unnamed - before->unnamed;
}

/* A Python thread started by threading: the name it was given becomes
 * its thread's name (the T key), asked again only when the thread's
 * outermost frame changes (a new thread with a reused tid). */
static void
worker_python_thread_name(struct worker *w, struct python_namer *namer,
    const struct rec_sample *s)
{
	const struct python_chain *c = rec_sample_python(s);
	size_t slot = (uint32_t)s->tid % WORKER_PYNAME_SLOTS;
	char name[64];

	if (namer == NULL || c == NULL || c->n == 0 ||
	    s->tid == w->opts.pid || s->tid == s->pid ||
	    (w->pyname[slot].tid == s->tid && w->pyname[slot].root == c->root))
		return;
	w->pyname[slot].tid = s->tid;
	w->pyname[slot].root = c->root;
	if (python_thread_name(namer, c, python_epoch(s->time_ns), name,
	    sizeof name) == 0 && name[0] != '\0')
		profile_set_thread_name(w->profile, s->tid, name);
}

/* -a: the header's and summary's process count; under w->lock. A
 * process counts once per "PID comm" frame, however often its state was
 * evicted and made again. */
static void
worker_all_summary(struct worker *w, uint32_t process_frame)
{
	size_t old = w->proc_sampled_cap;

	if (process_frame >= old) {
		if (util_grow(&w->proc_sampled, &w->proc_sampled_cap,
		    (size_t)process_frame + 1, 1, 256) < 0)
			return;
		memset(w->proc_sampled + old, 0, w->proc_sampled_cap - old);
	}
	if (!w->proc_sampled[process_frame]) {
		w->proc_sampled[process_frame] = 1;
		w->summary.procs++;
	}
}

/* -a: the states' figures after a drain round (an exec makes one, an
 * exit frees one, without a sample); under w->lock. */
static void
worker_all_states(struct worker *w)
{
	struct symbols_debug_stats d;

	if (!w->opts.all || !w->children_ready)
		return;
	w->summary.states = (unsigned)w->children.n_own;
	w->summary.states_max = (unsigned)w->children.max_own;
	w->summary.states_made = w->children.made;
	w->summary.evicted = w->children.evicted;
	symbols_shared_debug_stats(w->shared, &d);
	w->summary.debug_files = d.files;
	w->summary.debug_reused = d.reused;
	w->summary.debug_bytes = d.bytes;
}

/* --stack-size auto: how deep the walk read into the copy, for the
 * sampler (the only thing told back to it: stack_need.h), and the
 * figures of the summary. */
static void
worker_note_reach(struct worker *w, const struct wproc *pr,
    const struct rec_sample *s, enum unwind_end end)
{
	uint32_t reach = unwind_last_reach(pr->unwinder);
	size_t b = reach / WORKER_REACH_BUCKET;

	if (s->stack_len == 0)
		return;
	/* A joined walk ran out of its copy too: of the short ones, the
	 * sampler counts those at the size it asks for the whole. */
	if (w->opts.stack_need) {
		stack_need_note(w->opts.stack_need, reach, s->stack_len,
		    end == UNWIND_TRUNCATED || end == UNWIND_JOINED,
		    unwind_last_unjoined(pr->unwinder));
		if (unwind_take_join_fail(pr->unwinder))
			stack_need_join_failed(w->opts.stack_need);
	}
	pthread_mutex_lock(&w->lock);
	w->reach_hist[b < WORKER_REACH_BUCKETS ? b :
	    WORKER_REACH_BUCKETS - 1]++;
	w->summary.copy_bytes += s->stack_len;
	w->summary.copies++;
	pthread_mutex_unlock(&w->lock);
}

static void
worker_handle_sample(struct worker *w, const struct rec_sample *s)
{
	struct symbols_python_stats py_before, py_after;
	uint64_t weight = s->weight ? s->weight : 1;
	enum unwind_end end;
	struct wproc pr;
	size_t k;
	int n;

	if (!worker_proc_of(w, s, &pr))
		return;
	/* Modules as they were at capture: one unmapped since (dlclose)
	 * still names and unwinds this sample's frames. */
	symbols_set_sample_time(pr.symbols, s->time_ns);
	n = unwind_sample(pr.unwinder, s, w->uframes, WORKER_MAX_FRAMES, &end);
	worker_note_reach(w, &pr, s, end);
	if (n <= 0)
		return;
	symbols_python_stats(pr.symbols, &py_before);
	k = worker_build_stack(w, &pr, n, end, s);
	symbols_python_stats(pr.symbols, &py_after);
	if (profile_add_locs(w->profile, s->tid, s->time_ns, w->ids, w->locs,
	    k, weight) < 0)
		return;
	worker_python_thread_name(w, pr.namer, s);
	pthread_mutex_lock(&w->lock);
	if (w->opts.all)
		worker_all_summary(w, pr.process_frame);
	worker_python_summary(w, s, &py_before, &py_after);
	w->summary.samples += weight;
	w->summary.weight_sq += (double)weight * weight;
	w->summary.ends[end]++;
	pthread_mutex_unlock(&w->lock);
}

/* The target exec'd; comm: the new program's name as the sampler read it
 * at the exec, for a process gone when the worker gets here (else the
 * name now, which the program may have set since: prctl). */
static void
worker_handle_exec(struct worker *w, const char *comm)
{
	if (w->symbols != NULL) {
		symbols_reset(w->symbols);
		symbols_reload(w->symbols);
	}
	if (w->unwinder != NULL)
		unwind_flush(w->unwinder);
	/* Python frames wait for the new image's probe. */
	python_namer_free(w->py_namer);
	w->py_namer = NULL;
	if (!read_comm(w->opts.pid, w->comm, sizeof w->comm) &&
	    comm[0] != '\0')
		snprintf(w->comm, sizeof w->comm, "%s", comm);
	w->process_frame = worker_process_frame(w);
	/* The thread that exec'd is the process's only one now, and has the
	 * new program's name (T showed a launched program as ctop-prof). */
	profile_set_thread_name(w->profile, w->opts.pid, w->comm);
	memset(w->pyname, 0, sizeof w->pyname);
}

/* A file mapped executable (perf's MMAP2): its module is known for the
 * samples that follow at once, without a maps read, which might come after
 * the file is unmapped again. */
static void
worker_handle_mmap(struct worker *w, const struct rec_mmap *m, size_t len)
{
	struct symbols_mapping map;
	struct symbols *sym;
	struct child *c;

	if ((map.path = rec_mmap_path(m, len)) == NULL)
		return;
	if (worker_is_child(w, m->pid)) {
		/* A file of its own: no longer its parent's image. */
		if (!worker_children(w) ||
		    (c = children_own(&w->children, m->pid)) == NULL)
			return;
		sym = c->symbols;
	} else if (worker_ensure_symbols(w)) {
		/* Made now if not yet (they are on the first sample): a file
		 * mapped and unmapped before it would be in no read. */
		sym = w->symbols;
	} else {
		return;
	}
	map.lo = m->addr;
	map.hi = m->addr + m->len;
	map.off = m->pgoff;
	map.dev = m->dev;
	map.ino = m->ino;
	map.time_ns = m->time_ns;
	symbols_note_mapping(sym, &map);
}

/* A child's maps changed (ptrace, which sees no mmap: its executable
 * mappings grew or shrank): its image is its own from now on, read again
 * (a state made just now has read them already). */
static void
worker_child_maps(struct worker *w, const struct rec_thread *t)
{
	struct child *c;
	bool had_own;

	if (!worker_children(w))
		return;
	c = children_get(&w->children, t->pid);
	had_own = c != NULL && c->own;
	if ((c = children_own(&w->children, t->pid)) != NULL && had_own)
		symbols_reload_at(c->symbols, t->time_ns);
}

static void
worker_handle_record(struct worker *w, uint32_t type, const void *data,
    size_t len)
{
	const struct rec_thread *t = data;
	const struct rec_exit *e = data;
	char msg[96], comm[sizeof t->comm + 1];

	switch (type) {
	case REC_SAMPLE:
		if (len >= sizeof(struct rec_sample))
			worker_handle_sample(w, data);
		break;
	case REC_THREAD_NEW:
	case REC_THREAD_NAME:
		if (len >= sizeof *t && t->comm[0] != '\0')
			profile_set_thread_name(w->profile, t->tid, t->comm);
		break;
	case REC_EXEC:
		comm[0] = '\0';
		if (len >= sizeof *t) {
			memcpy(comm, t->comm, sizeof t->comm);
			comm[sizeof t->comm] = '\0';
		}
		if (len >= sizeof *t && worker_is_child(w, t->pid)) {
			if (worker_children(w))
				children_exec(&w->children, t->pid, comm);
		} else {
			worker_handle_exec(w, comm);
		}
		break;
	case REC_PROC_NEW:
		/* tid: the parent, whose image it has until it execs. */
		if (len < sizeof *t)
			break;
		memcpy(comm, t->comm, sizeof t->comm);
		comm[sizeof t->comm] = '\0';
		if (worker_is_child(w, t->pid) && worker_children(w))
			children_forked(&w->children, t->pid, t->tid, comm);
		break;
	case REC_PROC_GONE:
		if (len >= sizeof *t && w->children_ready)
			children_gone(&w->children, t->pid);
		break;
	case REC_PY_CODE:
		if (len >= sizeof(struct rec_py_code))
			worker_python_code(w, data);
		break;
	case REC_PYTHON:
		if (len >= sizeof(struct rec_python))
			worker_python(w, data);
		break;
	case REC_MAPS_CHANGED:
		if (len >= sizeof *t && worker_is_child(w, t->pid))
			worker_child_maps(w, t);
		else if (w->symbols != NULL && len >= sizeof *t)
			symbols_reload_at(w->symbols, t->time_ns);
		break;
	case REC_MMAP:
		worker_handle_mmap(w, data, len);
		break;
	case REC_PROC_EXIT:
		if (len < sizeof *e)
			break;
		snprintf(msg, sizeof msg, "process %d exited", (int)e->pid);
		pthread_mutex_lock(&w->lock);
		w->exited = true;
		w->exit_status = e->wait_status;
		snprintf(w->message, sizeof w->message, "%s", msg);
		pthread_mutex_unlock(&w->lock);
		break;
	default:
		break;
	}
}

/* Stopping, with the exit drain's time spent (worker_stop). */
static bool
worker_out_of_time(struct worker *w)
{
	return atomic_load_explicit(&w->stop, memory_order_acquire) &&
	    w->drain_until_ns != 0 && util_now_ns() > w->drain_until_ns;
}

/* Empties the ring without handling what it holds, counting the samples
 * left out: the exit drain ran out of time. */
static void
worker_discard_rest(struct worker *w)
{
	const void *data;
	uint32_t type;
	size_t len;
	uint64_t left = 0;

	while ((data = ring_peek(w->ring, &type, &len)) != NULL) {
		left += type == REC_SAMPLE;
		ring_release(w->ring);
	}
	pthread_mutex_lock(&w->lock);
	w->summary.unprocessed = left;
	pthread_mutex_unlock(&w->lock);
}

/* Consumes up to WORKER_BATCH records; returns how many. */
static size_t
worker_drain(struct worker *w)
{
	const void *data;
	uint32_t type;
	size_t len, n = 0;

	while (n < WORKER_BATCH && !worker_out_of_time(w) &&
	    (data = ring_peek(w->ring, &type, &len)) != NULL) {
		worker_handle_record(w, type, data, len);
		ring_release(w->ring);
		n++;
	}
	pthread_mutex_lock(&w->lock);
	w->summary.records += n;
	worker_all_states(w);
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void
worker_publish(struct worker *w, const struct pview_params *params)
{
	struct pview *v = profile_view(w->profile, params, util_now_ns()), *old;

	if (v == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	old = w->published;
	w->published = v;
	pthread_mutex_unlock(&w->lock);
	pview_unref(old);
}

static bool
params_equal(const struct pview_params *a, const struct pview_params *b)
{
	return a->tid == b->tid && a->window_s == b->window_s;
}

/* Hands a cumulative view to the --push cut hook. */
static void
worker_cut(struct worker *w, bool reset_after)
{
	struct pview_params all = { 0, 0, 0 };
	struct pview *v;

	if (w->opts.cut == NULL)
		return;
	v = profile_view(w->profile, &all, util_now_ns());
	if (v != NULL)
		w->opts.cut(w->opts.cut_arg, v, util_wall_ns(), reset_after);
}

/* Cuts an interval when the wall clock has passed the next multiple of
 * cut_s: hosts pushing every 10 s all cut at :00, :10, ... as
 * Pyroscope's own agents do. */
static void
worker_maybe_cut(struct worker *w, uint64_t *next_ns)
{
	uint64_t now, step;

	if (w->opts.cut == NULL || w->opts.cut_s == 0)
		return;
	now = util_wall_ns();
	step = (uint64_t)w->opts.cut_s * 1000000000u;
	/* First call, or the wall clock was set back by more than a step:
	 * aim at the next boundary from now rather than wait for the old. */
	if (*next_ns == 0 || now + step < *next_ns)
		*next_ns = (now / step + 1) * step;
	if (now < *next_ns)
		return;
	worker_cut(w, false);
	*next_ns = (now / step + 1) * step;
}

/* Rebuilds the published view when it is stale or asked for other
 * parameters; builds nothing nobody will read in between. */
static void
worker_maybe_publish(struct worker *w, uint64_t *last_ns)
{
	struct pview_params want, have = { 0, 0, 0 };
	bool reset, refresh, have_view;
	uint64_t now = util_now_ns();

	pthread_mutex_lock(&w->lock);
	want = w->want;
	reset = w->reset_requested;
	refresh = w->refresh_requested;
	w->reset_requested = w->refresh_requested = false;
	have_view = w->published != NULL;
	if (have_view)
		have = w->published->params;
	pthread_mutex_unlock(&w->lock);
	if (reset) {
		/* The samples before the reset still belong to an interval. */
		worker_cut(w, true);
		profile_reset(w->profile);
	}
	/* A recording reads only the final view: building views nobody
	 * reads would cost up to ~0.1 s per refresh on a large profile.
	 * Relaxed: a late flag only delays the first view by a loop. */
	if (!atomic_load_explicit(&w->has_readers, memory_order_relaxed))
		return;
	if (!reset && !refresh && have_view && params_equal(&want, &have) &&
	    now - *last_ns < (uint64_t)(w->opts.publish_s * 1e9))
		return;
	worker_publish(w, &want);
	*last_ns = now;
}

/* How frames were found, for the summary line; libunwind state is read
 * here, on the worker thread that owns it. */
static void
worker_summarize_unwind(struct worker *w)
{
	struct unwind_stats us;
	char note[sizeof w->summary.fp_note] = "";

	if (w->unwinder == NULL)
		return;
	unwind_get_stats(w->unwinder, &us);
	if (w->opts.unwind == UNWIND_METHOD_AUTO)
		unwind_fp_note(w->unwinder, note, sizeof note);
	pthread_mutex_lock(&w->lock);
	w->summary.fp_frames = us.fp_frames;
	w->summary.dwarf_frames = us.dwarf_frames;
	w->summary.remembered = us.remembered;
	w->summary.join_checks = us.join_checks;
	w->summary.join_fails = us.join_fails;
	memcpy(w->summary.fp_note, note, sizeof note);
	pthread_mutex_unlock(&w->lock);
}

/* The worker's sleep when the ring is empty. The ring holds seconds of
 * samples: waking every 10 ms keeps it far from full and costs a fifth of
 * the wake-ups of 2 ms, which on a VM were a third of the worker's CPU at
 * 999 Hz. When little comes (a low rate, a budget's 1 Hz, an idle
 * target), each wake-up still costs about 0.1 ms here, 9 ms a second at
 * 100 a second, most of ctop-prof's CPU then: the sleep doubles while a
 * nap brought under WORKER_TRICKLE bytes, up to a longest nap that
 * shrinks with the CPUs (the most a burst can bring in one nap grows with
 * them: 100 ms on 2 CPUs, down to 10 ms from 20 CPUs on). 100 ms rather
 * than 50 on 2 CPUs: a main thread's copy is about 1 KB now (the sampler
 * cuts it at the first frame), and the 21 wake-ups a second at 999 Hz
 * were a quarter of the worker's CPU (perf record on the thread). */
#define WORKER_NAP_MIN_NS (10ull * 1000 * 1000)
#define WORKER_NAP_MAX_NS (200ull * 1000 * 1000)	/* ... over the CPUs */
#define WORKER_TRICKLE (256u << 10)
/* A recording (source_live_opts.unhurried) naps up to a second: the 10
 * wake-ups a second were two thirds of the worker's CPU on a 60 s
 * recording at 999 Hz (issue 17, goal 3). Not in its first
 * WORKER_CALM_NS, nor once the target runs code of no file (JIT), nor
 * with other processes (--children, -a), cuts or stack sizes to learn:
 * those samples are named while their process lives (a short run's, a
 * JIT's whose perf map may go with it). Its naps follow what they bring
 * (recording_nap). */
#define WORKER_NAP_UNHURRIED_NS (1000ull * 1000 * 1000)
#define WORKER_CALM_NS (2000ull * 1000 * 1000)

static bool
worker_unhurried(const struct worker *w)
{
	return w->opts.unhurried && w->opts.cut_s == 0 &&
	    w->opts.stack_need == NULL && !w->opts.children &&
	    !w->opts.all && util_now_ns() >= w->calm_ns &&
	    w->symbols != NULL && !symbols_runs_anon_code(w->symbols);
}

static uint64_t
worker_longest_nap(const struct worker *w, uint64_t cpus_ns)
{
	return worker_unhurried(w) ? WORKER_NAP_UNHURRIED_NS : cpus_ns;
}

/* The longest nap but a recording's: shorter with more CPUs. */
static uint64_t
worker_cpus_nap(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t ns = WORKER_NAP_MAX_NS / (uint64_t)(ncpu > 1 ? ncpu : 1);

	return ns > WORKER_NAP_MIN_NS ? ns : WORKER_NAP_MIN_NS;
}

/* A recording's next nap after one of nap_ns that brought used bytes:
 * halved from WORKER_TRICKLE on, kept from half of it, doubled below,
 * rather than started again at the shortest. They settle where a nap
 * brings a quarter to a half of the lag that grows the ring's resident
 * window (a quarter of its 2 MiB); a first version let a nap bring 4 MiB,
 * and a 15 s soak's RSS grew 14 MB. */
static uint64_t
recording_nap(uint64_t nap_ns, uint64_t used, uint64_t longest)
{
	if (used >= WORKER_TRICKLE)
		return nap_ns / 2 > WORKER_NAP_MIN_NS ? nap_ns / 2 :
		    WORKER_NAP_MIN_NS;
	if (used >= WORKER_TRICKLE / 2)
		return nap_ns;
	return nap_ns * 2 < longest ? nap_ns * 2 : longest;
}

/* Sleeps nap_ns, or until a view is asked for (a refresh or a reset) or
 * the worker is stopped, and returns the next nap: longer while naps
 * bring little, back to the shortest once one brings more. A nap ended
 * only by its time was a view up to a nap late: the first table 40-70 ms
 * later at 100 ms naps (bench/first.sh). */
static uint64_t
worker_nap(struct worker *w, uint64_t nap_ns, uint64_t longest)
{
	uint64_t until = util_now_ns() + nap_ns, used;
	struct timespec ts = { (time_t)(until / 1000000000u),
		(long)(until % 1000000000u) };

	pthread_mutex_lock(&w->lock);
	if (!w->refresh_requested && !w->reset_requested &&
	    !atomic_load_explicit(&w->stop, memory_order_acquire))
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
	pthread_mutex_unlock(&w->lock);
	used = ring_used(w->ring);
	if (longest > WORKER_NAP_MAX_NS)	/* a recording's */
		return recording_nap(nap_ns, used, longest);
	if (used >= WORKER_TRICKLE)
		return WORKER_NAP_MIN_NS;
	return nap_ns * 2 < longest ? nap_ns * 2 : longest;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct timespec cpu;
	uint64_t last_publish = 0, next_cut = 0;
	uint64_t nap_ns = WORKER_NAP_MIN_NS, cpus_ns = worker_cpus_nap();
	size_t n;

	pthread_setname_np(pthread_self(), "ctop-worker");
	unwind_thread_init();
	w->calm_ns = util_now_ns() + WORKER_CALM_NS;
	for (;;) {
		n = worker_drain(w);
		if (worker_out_of_time(w)) {
			worker_discard_rest(w);
			break;
		}
		worker_maybe_publish(w, &last_publish);
		worker_maybe_cut(w, &next_cut);
		if (n == 0) {
			if (atomic_load_explicit(&w->stop,
			    memory_order_acquire))
				break;
			nap_ns = worker_nap(w, nap_ns,
			    worker_longest_nap(w, cpus_ns));
		}
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	pthread_mutex_lock(&w->lock);
	w->summary.cpu_s = (double)cpu.tv_sec + cpu.tv_nsec / 1e9;
	pthread_mutex_unlock(&w->lock);
	worker_summarize_unwind(w);
	return NULL;
}

int
worker_start(struct worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	if (err != 0)
		return -err;
	w->started = true;
	return 0;
}

void
worker_stop(struct worker *w)
{
	if (!w->started)
		return;
	/* Release pairs with the acquire in worker_main: the thread sees
	 * stop only after the sampler, already joined, pushed its last
	 * record, so the drain that follows empties the ring (or, with an
	 * exit_drain_s, as much of it as that time allows). */
	if (w->opts.exit_drain_s > 0)
		w->drain_until_ns = util_now_ns() +
		    (uint64_t)(w->opts.exit_drain_s * 1e9);
	atomic_store_explicit(&w->stop, true, memory_order_release);
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
}

struct pview *
worker_final_view(struct worker *w)
{
	struct pview_params all = { 0, 0, 0 };

	return profile_view(w->profile, &all, util_now_ns());
}

/* The median reach, the top of its bucket; under w->lock. */
static uint32_t
worker_reach_p50(const struct worker *w)
{
	uint64_t seen = 0;

	for (size_t i = 0; w->summary.copies && i < WORKER_REACH_BUCKETS;
	    i++) {
		seen += w->reach_hist[i];
		if (seen * 2 >= w->summary.copies)
			return (uint32_t)(i + 1) * WORKER_REACH_BUCKET;
	}
	return 0;
}

void
worker_get_summary(struct worker *w, struct source_summary *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->summary;
	out->reach_p50 = worker_reach_p50(w);
	pthread_mutex_unlock(&w->lock);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	worker_stop(w);
	pview_unref(w->published);
	if (w->children_ready)
		children_fini(&w->children);
	symbols_shared_free(w->shared);
	python_namer_free(w->py_namer);
	unwind_free(w->unwinder);
	symbols_free(w->symbols);
	profile_free(w->profile);
	free(w->proc_sampled);
	free(w->uframes);
	free(w->ids);
	free(w->locs);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}

/* ------------------------------------------------------------------------
 * What the live source (live.c) asks of the worker, from main.
 * ------------------------------------------------------------------------ */

pid_t
worker_pid(const struct worker *w)
{
	return w->opts.pid;
}

const char *
worker_snapshot_dir(const struct worker *w)
{
	return w->opts.snapshot_dir;
}

enum export_format
worker_snapshot_format(const struct worker *w)
{
	return w->opts.snapshot_format;
}

const struct source_live_opts *
worker_opts(const struct worker *w)
{
	return &w->opts;
}

void
worker_want_views(struct worker *w)
{
	atomic_store_explicit(&w->has_readers, true, memory_order_relaxed);
}

struct pview *
worker_view(struct worker *w, const struct pview_params *params)
{
	struct pview *v;

	pthread_mutex_lock(&w->lock);
	w->want = *params;
	v = pview_ref(w->published);
	pthread_mutex_unlock(&w->lock);
	return v;
}

/* "python 3.12 99%" in the status line; why it is off in the message
 * line when nothing more urgent is there. */
static void
live_python_status(struct worker *w, const struct sampler_stats *st,
    struct source_status *out)
{
	const char *why = strchr(st->python, ':');
	uint64_t tried, merged;

	if (st->python[0] == '\0')
		return;
	if (why != NULL) {
		snprintf(out->python, sizeof out->python, "%.*s",
		    (int)(why - st->python), st->python);
		if (out->message[0] == '\0')
			snprintf(out->message, sizeof out->message, "%s",
			    st->python);
		return;
	}
	pthread_mutex_lock(&w->lock);
	tried = w->summary.py_samples;
	merged = w->summary.py_merged;
	pthread_mutex_unlock(&w->lock);
	snprintf(out->python, sizeof out->python, "%.40s %.0f%%", st->python,
	    tried ? 100.0 * merged / tried : 0.0);
}

void
worker_status(struct worker *w, struct source_status *out)
{
	struct sampler_stats st;

	memset(out, 0, sizeof *out);
	sampler_get_stats(w->sampler, &st);
	out->live = true;
	out->pid = w->opts.pid;
	snprintf(out->comm, sizeof out->comm, "%s", w->comm);
	out->backend = st.backend ? st.backend : "ptrace";
	out->mode = w->opts.mode_name;
	out->hz_requested = w->opts.hz;
	out->elapsed_s = st.elapsed_ns / 1e9;
	out->hz_achieved = st.rate_hz;
	out->hz_now = st.hz_now;
	out->budget_pct = st.budget_pct;
	out->procs = st.procs_seen;
	out->all = w->opts.all;
	out->dropped = st.dropped + st.lost;
	out->taken = st.samples;
	out->threads = st.threads;
	pthread_mutex_lock(&w->lock);
	out->samples = w->summary.samples;
	out->truncated = w->summary.ends[UNWIND_TRUNCATED] +
	    w->summary.ends[UNWIND_MAX_DEPTH];
	out->unwind_failed = w->summary.ends[UNWIND_NO_INFO] +
	    w->summary.ends[UNWIND_BAD_FRAME];
	out->target_exited = w->exited || st.target_exited;
	if (w->opts.all) {
		out->procs = w->summary.procs;
		out->states = w->summary.states;
		out->states_max = w->summary.states_max;
		out->evicted = w->summary.evicted;
	}
	out->exit_status = w->exited ? w->exit_status : st.exit_status;
	snprintf(out->message, sizeof out->message, "%s", w->message);
	pthread_mutex_unlock(&w->lock);
	/* Which backend and why, or what it cannot see, until something
	 * more urgent is to be said. */
	if (out->message[0] == '\0' && st.backend_note != NULL &&
	    st.backend_note[0] != '\0')
		snprintf(out->message, sizeof out->message, "%s: %s",
		    out->backend, st.backend_note);
	if (w->opts.output_note != NULL)
		snprintf(out->output_note, sizeof out->output_note, "%s",
		    w->opts.output_note);
	live_python_status(w, &st, out);
	if (w->opts.status_note != NULL)
		w->opts.status_note(w->opts.status_arg, out->push,
		    sizeof out->push);
}

void
worker_reset(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->reset_requested = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void
worker_refresh(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->refresh_requested = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}
