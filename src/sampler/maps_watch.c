/* SPDX-License-Identifier: MIT */
/* sampler, ptrace backend: tells the worker when the target's executable
 * mappings changed (dlopen, dlclose, JIT code), since ptrace sees no mmap.
 * Checked before each sample is pushed, so the worker reads the new maps
 * before it handles a sample that needs them:
 *   - before the thread is stopped (no cost to its pause): the kernel's
 *     size of all executable mappings (/proc/PID/status VmExe + VmLib,
 *     mm->exec_vm; a 2 us read, at most once a millisecond) changed: a
 *     library came or went, maybe only in the callers of the sampled pc;
 *     or a second went by (a library swapped for one of the same size at
 *     the same place);
 *   - while it is stopped: the sampled pc in no executable mapping of the
 *     sampler's last maps read (a binary search): the maps are read again
 *     (at most every WATCH_MISS_NS) and the event sent if they changed.
 * Each file a read finds mapped at a new range goes first as a REC_MMAP,
 * as perf's MMAP2 records do: the worker's own read comes later, maybe
 * after a dlclose or the program's end, and would miss it. The first
 * read, and the first after an exec, find every file new. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"

#define WATCH_EVERY_NS (1000ull * 1000)		/* status read at most */
#define WATCH_MISS_NS (5ull * 1000 * 1000)	/* maps read at most */
#define WATCH_ANYWAY_NS (1000ull * 1000 * 1000)	/* event at least */

/* The kB value of "KEY:" in a status text, or -1. */
static long long
status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	long long v = 0;

	if (p == NULL)
		return -1;
	for (p += strlen(key); *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* exec_vm in kB from a status text; -1 when absent (a zombie leader has
 * no memory lines: the caller asks a live thread). */
long long
sampler__status_exec_kb(const char *text)
{
	long long exe = status_kb(text, "\nVmExe:");
	long long lib = status_kb(text, "\nVmLib:");

	return exe < 0 || lib < 0 ? -1 : exe + lib;
}

static long long
read_exec_kb(struct sampler *s, pid_t tid)
{
	char buf[4096], path[64];
	ssize_t n = -1;

	if (s->watch_fd < 0) {
		snprintf(path, sizeof path, "/proc/%d/status",
		    (int)s->opts.pid);
		s->watch_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (s->watch_fd >= 0)
		n = pread(s->watch_fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && sampler__status_exec_kb(buf) >= 0)
		return sampler__status_exec_kb(buf);
	snprintf(path, sizeof path, "/proc/%d/task/%d/status",
	    (int)s->opts.pid, (int)tid);
	n = sampler__proc_read(path, buf, sizeof buf);
	return n > 0 ? sampler__status_exec_kb(buf) : -1;
}

/* No time: the files mapped come as REC_MMAP at theirs; anything else a
 * maps read finds (JIT code, a file mapped after this) counts from the
 * read. */
static void
push_maps_changed(struct sampler *s)
{
	struct rec_thread r;

	memset(&r, 0, sizeof r);
	r.pid = r.tid = s->opts.pid;
	ring_push(s->ring, REC_MAPS_CHANGED, &r, sizeof r);
	sampler__py_maps(s, s->opts.pid);
}

struct collect {
	struct sampler *s;
	struct sampler_exec_range *v;
	size_t n;
	const struct sampler_exec_range *old;	/* the read before */
	size_t n_old;
	uint64_t t;		/* the time new files count as mapped from */
	bool changed;
};

static bool
was_known(const struct collect *c, const struct sampler_exec_range *r)
{
	size_t lo = 0, hi = c->n_old;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->lo < c->old[mid].lo)
			hi = mid;
		else if (r->lo > c->old[mid].lo)
			lo = mid + 1;
		else
			return r->hi == c->old[mid].hi;
	}
	return false;
}

static bool
collect_exec(void *ctx, const char *line)
{
	struct collect *c = ctx;
	struct sampler_exec_range r;
	struct sampler_map_file f;
	bool x;

	if (!sampler__maps_line_range(line, &r.lo, &r.hi, &x) || !x)
		return true;
	if (c->n == SAMPLER_EXEC_MAX)
		return false;	/* the rest: misses, rate-limited */
	if (c->v[c->n].lo != r.lo || c->v[c->n].hi != r.hi)
		c->changed = true;
	c->v[c->n++] = r;
	/* A file mapped since the last read: its module for the samples
	 * from now on, whenever the worker reads the maps (after a
	 * dlclose, perhaps). */
	if (c->t && !was_known(c, &r) && sampler__maps_line_file(line, &f))
		sampler__push_mmap(c->s, c->t, &f);
	return true;
}

/* Reads the executable ranges (maps lines are sorted by address); true
 * when they differ from the ones known. Files mapped at ranges new since
 * the last read go to the worker as mapped since t (none at the first
 * read, which the worker makes too). A zombie leader has no maps: the
 * sampled thread's are the same. */
static bool
read_exec_ranges(struct sampler *s, pid_t tid, uint64_t t)
{
	struct collect c = { s, s->exec, 0, s->exec_old, s->n_exec, t,
		false };

	memcpy(s->exec_old, s->exec, s->n_exec * sizeof *s->exec);
	s->watch_maps_ns = util_now_ns();
	if (sampler__proc_maps_each(s->opts.pid, s->mapsbuf, SAMPLER_MAPS_BUF,
	    collect_exec, &c) < 0 || c.n == 0)
		sampler__proc_maps_each(tid, s->mapsbuf, SAMPLER_MAPS_BUF,
		    collect_exec, &c);
	c.changed |= c.n != s->n_exec;
	s->n_exec = c.n;
	return c.changed;
}

static bool
in_exec(const struct sampler *s, uint64_t pc)
{
	size_t lo = 0, hi = s->n_exec;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < s->exec[mid].lo)
			hi = mid;
		else if (pc >= s->exec[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Whether the executable mappings changed, by the size the kernel keeps
 * (at most once a millisecond). */
static bool
exec_size_changed(struct sampler *s, pid_t tid, uint64_t now)
{
	long long kb;
	bool changed;

	if (now - s->watch_read_ns < WATCH_EVERY_NS)
		return false;
	kb = read_exec_kb(s, tid);
	changed = kb >= 0 && kb != s->watch_kb;
	if (kb >= 0)
		s->watch_kb = kb;
	s->watch_read_ns = now;
	return changed;
}

/* Samples pushed before the event keep the maps the worker has (they are
 * handled before it reads again); later ones are named from the new read
 * and the REC_MMAPs before it. */
static void
changed_at(struct sampler *s, uint64_t now)
{
	push_maps_changed(s);
	s->watch_sent_ns = now;
}

/* The range tables, once; the first read tells every file mapped (as
 * at capture t): the worker's own read may come after a short program is
 * gone. */
static bool
watch_ready(struct sampler *s, pid_t tid, uint64_t t)
{
	if (s->exec != NULL)
		return true;
	s->exec = calloc(SAMPLER_EXEC_MAX, sizeof *s->exec);
	s->exec_old = calloc(SAMPLER_EXEC_MAX, sizeof *s->exec_old);
	if (!s->exec || !s->exec_old) {
		free(s->exec);
		free(s->exec_old);
		s->exec = s->exec_old = NULL;
		return false;
	}
	read_exec_ranges(s, tid, t);
	return true;
}

void
sampler__maps_watch(struct sampler *s, pid_t tid)
{
	uint64_t now = util_now_ns();

	if (exec_size_changed(s, tid, now) ||
	    now - s->watch_sent_ns >= WATCH_ANYWAY_NS) {
		if (s->exec != NULL)
			read_exec_ranges(s, tid, now);
		changed_at(s, now);
	}
}

void
sampler__maps_watch_pc(struct sampler *s, pid_t tid, uint64_t pc,
    uint64_t sample_ns)
{
	uint64_t now;

	if (!watch_ready(s, tid, sample_ns) || in_exec(s, pc))
		return;
	now = util_now_ns();
	/* The thread is stopped in the file: mapped at its capture. */
	if (now - s->watch_maps_ns >= WATCH_MISS_NS &&
	    read_exec_ranges(s, tid, sample_ns))
		changed_at(s, now);
}

void
sampler__maps_watch_exec(struct sampler *s)
{
	/* No range known: the next read finds every file new. */
	s->n_exec = 0;
	s->watch_maps_ns = 0;
}

void
sampler__maps_watch_close(struct sampler *s)
{
	if (s->watch_fd >= 0)
		close(s->watch_fd);
	s->watch_fd = -1;
	free(s->exec);
	free(s->exec_old);
	s->exec = s->exec_old = NULL;
	s->n_exec = 0;
}
