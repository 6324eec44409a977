/* SPDX-License-Identifier: MIT */
/* sampler, ptrace backend: --children. Every process the target forks,
 * vforks or clones (without CLONE_THREAD) arrives attached to us by the
 * kernel (PTRACE_O_TRACEFORK, TRACEVFORK, TRACECLONE), held in its first
 * stop until we see it; the backend lets it run at once and samples its
 * threads like the target's. The worker hears of it as perf's children
 * are told: REC_PROC_NEW (with the parent, whose image it has until it
 * execs), REC_EXEC and REC_MAPS_CHANGED with its pid (each change with
 * every file it maps executable as REC_MMAP first), REC_PROC_GONE.
 * Descendants already there at attach are seized like the target. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "internal.h"

#define CHILD_WATCH_NS (1000ull * 1000)	/* status read at most */

long
sampler__seize_opts(const struct sampler *s)
{
	long o = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
	    PTRACE_O_TRACEEXIT;

	/* No EXITKILL: a tracer that dies (kill -9) must leave every
	 * tracee running, detached by the kernel. */
	if (s->opts.children)
		o |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	return o;
}

struct schild *
sampler__child_find(struct sampler *s, pid_t pid)
{
	for (size_t i = 0; i < s->nkids; i++)
		if (s->kids[i].pid == pid)
			return &s->kids[i];
	return NULL;
}

/* Lists process pid (forked: its parent ppid told in a REC_PROC_NEW;
 * ppid 0: found at attach, which the worker learns from its samples and
 * gives a state of its own, read from its maps). NULL without memory. */
static struct schild *
child_register(struct sampler *s, pid_t pid, pid_t ppid)
{
	struct schild *k = sampler__child_find(s, pid);
	struct rec_thread r;

	if (k)
		return k;
	if (util_grow(&s->kids, &s->kids_cap, s->nkids + 1, sizeof *s->kids,
	    16))
		return NULL;
	k = &s->kids[s->nkids++];
	k->pid = pid;
	k->watch_kb = -1;
	k->watch_read_ns = 0;
	k->files_since_ns = 0;
	atomic_fetch_add_explicit(&s->procs_seen, 1, memory_order_relaxed);
	if (ppid == 0)
		return k;
	memset(&r, 0, sizeof r);
	r.time_ns = util_now_ns();
	r.pid = pid;
	r.tid = ppid;		/* REC_PROC_NEW: the parent */
	sampler__proc_comm(pid, pid, r.comm);
	ring_push(s->ring, REC_PROC_NEW, &r, sizeof r);
	return k;
}

void
sampler__child_gone(struct sampler *s, pid_t pid)
{
	struct schild *k = sampler__child_find(s, pid);
	struct rec_thread r;

	if (!k)
		return;
	*k = s->kids[--s->nkids];
	sampler__py_gone(s, pid);
	memset(&r, 0, sizeof r);
	r.time_ns = util_now_ns();
	r.pid = r.tid = pid;
	ring_push(s->ring, REC_PROC_GONE, &r, sizeof r);
}

void
sampler__child_exec(struct sampler *s, pid_t pid, pid_t tid)
{
	struct schild *k = sampler__child_find(s, pid);

	sampler__push_proc(s, REC_EXEC, pid, tid);
	/* The worker reads the maps when it handles the exec, maybe before
	 * the loader mapped the libraries: the first look after it says
	 * "changed" whatever it finds. */
	if (k) {
		k->watch_kb = 0;
		k->files_since_ns = util_now_ns();
	}
}

/* A thread new to us whose process the kernel's event does not say (a
 * clone, or a stop seen before its parent's event): /proc does. */
static struct sthread *
born_by_proc(struct sampler *s, const struct sthread *parent, pid_t tid)
{
	pid_t ppid, tgid = sampler__proc_tgid(tid, &ppid);

	if (tgid == 0)		/* dying already: its exit comes to us */
		return NULL;
	if (tgid == s->opts.pid || sampler__child_find(s, tgid) ||
	    (parent && tgid == parent->pid))
		return sampler__add(s, tgid, tid);
	/* Its own process: a clone without CLONE_THREAD, or a fork whose
	 * parent's event we have not collected yet. */
	if (!child_register(s, tgid, parent ? parent->pid : ppid))
		return NULL;
	return sampler__add(s, tgid, tid);
}

struct sthread *
sampler__born(struct sampler *s, const struct sthread *parent, int ev,
    pid_t tid)
{
	struct sthread *t = sampler__find(s, tid);

	if (t)
		return t;
	/* Without --children only clones come: a thread, or a process
	 * (foreign, detached at its first stop). */
	if (!s->opts.children)
		return sampler__add(s, 0, tid);
	if (parent && (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK)) {
		if (!child_register(s, tid, parent->pid))
			return NULL;
		return sampler__add(s, tid, tid);
	}
	return born_by_proc(s, parent, tid);
}

void
sampler__child_watch(struct sampler *s, pid_t pid)
{
	struct schild *k = sampler__child_find(s, pid);
	uint64_t now = util_now_ns();
	char path[64], buf[4096];
	struct rec_thread r;
	long long kb;

	if (!k || now - k->watch_read_ns < CHILD_WATCH_NS)
		return;
	k->watch_read_ns = now;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (sampler__proc_read(path, buf, sizeof buf) <= 0 ||
	    (kb = sampler__status_exec_kb(buf)) < 0)
		return;
	if (k->watch_kb >= 0 && kb != k->watch_kb) {
		/* Every file it maps executable, told as REC_MMAP mapped
		 * since the look before: the worker may get to the change after
		 * pid is gone (an exec'd interpreter of half a second, behind a
		 * worker still reading debug information), when its maps can no
		 * longer be read. All of them, not the new ones only: a state
		 * made then has nothing else. */
		sampler__tell_files(s, pid, k->files_since_ns, s->mapsbuf,
		    SAMPLER_MAPS_BUF);
		memset(&r, 0, sizeof r);
		r.pid = r.tid = pid;
		ring_push(s->ring, REC_MAPS_CHANGED, &r, sizeof r);
		sampler__py_maps(s, pid);
	}
	k->watch_kb = kb;
	k->files_since_ns = now;
}

/* Seizes process pid's threads (again until a scan finds none new: a
 * thread not seized yet may clone meanwhile). False when its leader could
 * not be seized (gone, or not ours to trace). */
static bool
seize_proc(struct sampler *s, pid_t pid)
{
	int n;

	do {
		n = sampler__scan_proc(s, pid);
	} while (n > 0);
	return sampler__find(s, pid) != NULL;
}

/* Not ours to trace after all, or gone: forgotten without a word (no
 * REC_PROC_NEW went). */
static void
child_forget(struct sampler *s, pid_t pid)
{
	struct schild *k = sampler__child_find(s, pid);

	if (!k)
		return;
	*k = s->kids[--s->nkids];
	atomic_fetch_sub_explicit(&s->procs_seen, 1, memory_order_relaxed);
}

/* A descendant found at attach: seized unless it already is. */
static bool
seize_descendant(pid_t child, void *arg)
{
	struct sampler *s = arg;

	if (child == s->opts.pid || sampler__child_find(s, child))
		return true;
	if (child_register(s, child, 0) && !seize_proc(s, child))
		child_forget(s, child);
	return true;
}

void
sampler__children_attach(struct sampler *s)
{
	if (!s->opts.children)
		return;
	/* Twice: a descendant seized late may have forked before it was
	 * (its children were not attached by the kernel). */
	sampler__proc_descendants(s->opts.pid, seize_descendant, s);
	sampler__proc_descendants(s->opts.pid, seize_descendant, s);
}

void
sampler__children_free(struct sampler *s)
{
	free(s->kids);
	s->kids = NULL;
	s->nkids = s->kids_cap = 0;
}
