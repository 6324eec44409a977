/* SPDX-License-Identifier: MIT */
/* source: the per-process state of a --children run (children.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"

uint32_t
children_process_frame(struct profile *p, pid_t pid, const char *known)
{
	char path[64], comm[32] = "", name[64];
	struct frame f = { .name = name, .kind = FRAME_PROCESS };
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (known && known[0])
		snprintf(comm, sizeof comm, "%s", known);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, comm, sizeof comm - 1);
		close(fd);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
	}
	snprintf(name, sizeof name, "%d %s", (int)pid, comm[0] ? comm : "?");
	return profile_intern(p, &f);
}

void
children_init(struct children *c, struct profile *p,
    const struct symbols_opts *so, enum unwind_method method,
    struct symbols *target_symbols, struct unwinder *target_unwinder,
    size_t max_own)
{
	memset(c, 0, sizeof *c);
	c->max_own = max_own ? max_own : CHILDREN_MAX;
	c->target_symbols = target_symbols;
	c->target_unwinder = target_unwinder;
	c->profile = p;
	c->so = *so;
	/* A child gone before its state is made has no maps to read: its
	 * modules come from its MMAP2 records alone. */
	c->so.maps_optional = true;
	c->method = method;
}

static struct child *
child_find(struct children *c, pid_t pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].pid == pid)
			return &c->v[i];
	return NULL;
}

/* Frees a child's state of its own, if it has one: its entry stays,
 * stateless (made again from its maps when next sampled), and the
 * children that borrowed the state fall back to the target's. */
static void
child_release(struct children *c, size_t i)
{
	if (!c->v[i].own)
		return;
	for (size_t j = 0; j < c->n; j++)
		if (!c->v[j].own && c->v[j].symbols == c->v[i].symbols) {
			c->v[j].symbols = c->target_symbols;
			c->v[j].unwinder = c->target_unwinder;
		}
	unwind_free(c->v[i].unwinder);
	symbols_free(c->v[i].symbols);
	c->v[i].symbols = NULL;
	c->v[i].unwinder = NULL;
	c->v[i].own = false;
	c->n_own--;
}

/* Frees all a child has and its entry. */
static void
child_drop(struct children *c, size_t i)
{
	child_release(c, i);
	python_namer_free(c->v[i].namer);
	c->v[i] = c->v[--c->n];
}

static size_t
lru_slot(const struct children *c)
{
	size_t old = 0;

	for (size_t i = 1; i < c->n; i++)
		if (c->v[i].used < c->v[old].used)
			old = i;
	return old;
}

/* A new entry for pid, with no state yet (the least recently used
 * evicted when full). */
static struct child *
child_add(struct children *c, pid_t pid, const char *comm)
{
	struct child *ch;

	if (c->n == CHILDREN_MAX) {
		child_drop(c, lru_slot(c));
		c->evicted++;
	}
	ch = &c->v[c->n++];
	memset(ch, 0, sizeof *ch);
	ch->pid = pid;
	ch->process_frame = children_process_frame(c->profile, pid, comm);
	ch->used = ++c->clock;
	c->seen++;
	return ch;
}

/* Keeps the states of their own under max_own: the least recently used
 * one (never pid's) is evicted. */
static void
own_room(struct children *c, pid_t pid)
{
	size_t old = c->n;

	if (c->n_own < c->max_own)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].own && c->v[i].pid != pid &&
		    (old == c->n || c->v[i].used < c->v[old].used))
			old = i;
	if (old == c->n)
		return;
	child_release(c, old);
	c->evicted++;
}

/* Gives entry ch symbols and an unwinder of its own, from its maps (none
 * when it is gone: then from the mappings told later); an eviction to
 * make room releases another's state and moves no entry. Returns ch, or
 * NULL. */
static struct child *
child_make_own(struct children *c, struct child *ch)
{
	struct unwinder *unw = NULL;
	struct symbols *sym;
	char *cause = NULL;

	own_room(c, ch->pid);
	sym = symbols_new(ch->pid, &c->so, &cause);
	if (sym)
		unw = unwind_new(sym, &cause);
	free(cause);
	if (!unw) {
		symbols_free(sym);
		c->failed++;
		return NULL;
	}
	unwind_set_method(unw, c->method);
	ch->symbols = sym;
	ch->unwinder = unw;
	ch->own = true;
	c->n_own++;
	c->made++;
	return ch;
}

void
children_forked(struct children *c, pid_t pid, pid_t ppid, const char *comm)
{
	struct child *ch, *parent;

	/* Its pid was another's, whose exit was not told (lost): that one's
	 * state and name are not this one's. */
	if (child_find(c, pid))
		children_gone(c, pid);
	ch = child_add(c, pid, comm);
	parent = child_find(c, ppid);	/* after the add: it may move */
	ch->symbols = parent ? parent->symbols : c->target_symbols;
	ch->unwinder = parent ? parent->unwinder : c->target_unwinder;
}

struct child *
children_get(struct children *c, pid_t pid)
{
	struct child *ch = child_find(c, pid);

	if (!ch)
		ch = child_add(c, pid, NULL);
	ch->used = ++c->clock;
	if (!ch->symbols && child_make_own(c, ch) == NULL) {
		children_gone(c, pid);
		return NULL;
	}
	return ch;
}

struct child *
children_own(struct children *c, pid_t pid)
{
	struct child *ch = children_get(c, pid);

	if (ch && !ch->own)
		return child_make_own(c, ch);
	return ch;
}

struct child *
children_python(struct children *c, pid_t pid, const struct python_layout *l)
{
	struct child *ch = children_get(c, pid);

	if (ch == NULL)
		return NULL;
	python_namer_free(ch->namer);
	ch->namer = l != NULL ? python_namer_new(pid, l) : NULL;
	return ch;
}

void
children_exec(struct children *c, pid_t pid, const char *comm)
{
	struct child *ch = child_find(c, pid);

	if (ch != NULL) {	/* a new image: its probe comes again */
		python_namer_free(ch->namer);
		ch->namer = NULL;
	}
	if (!ch || !ch->own) {
		if ((ch = children_own(c, pid)) != NULL)
			ch->process_frame = children_process_frame(c->profile,
			    pid, comm);
		return;
	}
	ch->process_frame = children_process_frame(c->profile, pid, comm);
	symbols_reset(ch->symbols);
	symbols_reload(ch->symbols);
	unwind_flush(ch->unwinder);
}

void
children_gone(struct children *c, pid_t pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].pid == pid) {
			child_drop(c, i);
			return;
		}
}

void
children_fini(struct children *c)
{
	while (c->n > 0)
		child_drop(c, c->n - 1);
}
