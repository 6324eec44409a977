/* SPDX-License-Identifier: MIT */
/* python: the name the threading module gave a thread (the T key shows
 * it where it differs from the kernel's comm, as py-spy does). A thread
 * started by threading runs Thread._bootstrap as its outermost frame, and
 * that frame's first local is self, the Thread; its _name attribute is
 * read the way CPython finds an instance attribute: through the values
 * the instance keeps with the keys its type shares (ht_cached_keys), or
 * through its own dict. Only read, a few times per thread.
 * Thread: the worker (as the namer). */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BOOTSTRAP_QUALNAME "Thread._bootstrap"
#define NAME_ATTR "_name"
/* PyTypeObject (cpython/object.h): stable since 3.0. */
#define TP_BASICSIZE 32
#define TP_FLAGS 168
#define TPFLAGS_INLINE_VALUES (1ul << 2)	/* 3.13+ */
#define TPFLAGS_MANAGED_DICT (1ul << 4)		/* 3.11+ */
/* PyDictObject and PyDictKeysObject (pycore_dict.h, 3.11 to 3.13). */
#define DICT_KEYS 32
#define DICT_VALUES 40
#define KEYS_LOG2_INDEX_BYTES 9
#define KEYS_KIND 10			/* 0: general, else str keys */
#define KEYS_NENTRIES 24
#define KEYS_INDICES 32
#define KEYS_HEAD 32
#define MAX_ENTRIES 128			/* a Thread has about 15 */

/* Where an instance's attributes are: values (an array of pointers in
 * the order of keys' entries), or a combined dict's keys only. */
struct attrs {
	uint64_t keys;
	uint64_t values;	/* 0: the values are in keys' entries */
};

static int
read_u64(struct python_namer *n, uint64_t addr, uint64_t *v)
{
	return python__read(python__namer_pid(n), addr, v, sizeof *v);
}

/* A dict object: its keys, and its values when split. */
static int
dict_attrs(struct python_namer *n, uint64_t dict, unsigned scheme,
    struct attrs *a)
{
	uint64_t kv[2];
	int rc;

	if (!dict)
		return -ENOENT;
	if ((rc = python__read(python__namer_pid(n), dict + DICT_KEYS, kv,
	    sizeof kv)) < 0)
		return rc;
	a->keys = kv[0];
	/* 3.13's PyDictValues starts with 8 bytes of counts and flags. */
	a->values = kv[1] && scheme >= 13 ? kv[1] + 8 : kv[1];
	return a->keys ? 0 : -EFAULT;
}

/* The pre-header before a managed-dict object, per version
 * (pycore_object.h): 3.11 values at -4 words and dict at -3; 3.12 one
 * word at -3, values when its low bit is set; 3.13 the dict at -3, the
 * values inline after the object when the type says so and valid. */
static int
object_attrs(struct python_namer *n, uint64_t obj, struct attrs *a)
{
	const struct python_layout *l = python__namer_layout(n);
	uint64_t type, flags, basic, cached, pre[2];
	unsigned char vhead[8];
	int rc;

	if ((rc = read_u64(n, obj + l->ob_type, &type)) < 0 ||
	    (rc = read_u64(n, type + TP_FLAGS, &flags)) < 0 ||
	    (rc = read_u64(n, type + TP_BASICSIZE, &basic)) < 0 ||
	    (rc = read_u64(n, type + l->ht_cached_keys, &cached)) < 0)
		return rc;
	if (!(flags & TPFLAGS_MANAGED_DICT) || basic > 4096)
		return -ENOENT;
	if ((rc = python__read(python__namer_pid(n), obj - 32, pre,
	    sizeof pre)) < 0)
		return rc;
	a->keys = cached;
	switch (l->attr_scheme) {
	case 11:
		a->values = pre[0];
		return a->values && cached ? 0 : dict_attrs(n, pre[1], 11, a);
	case 12:
		if (pre[1] & 1) {	/* tagged: values - 1, not a dict */
			a->values = pre[1] + 1;
			return cached ? 0 : -ENOENT;
		}
		return dict_attrs(n, pre[1], 12, a);
	case 13:
		a->values = 0;
		if ((flags & TPFLAGS_INLINE_VALUES) && cached &&
		    python__read(python__namer_pid(n), obj + basic, vhead,
		    sizeof vhead) == 0 && vhead[3]) {
			a->values = obj + basic + 8;
			return 0;
		}
		return dict_attrs(n, pre[1], 13, a);
	default:
		return -ENOENT;
	}
}

/* The value of key name in keys (values: split storage, else the
 * entries' own), or 0. */
static uint64_t
attr_lookup(struct python_namer *n, const struct attrs *a, const char *name)
{
	unsigned char head[KEYS_HEAD];
	uint64_t nentries, entries, key, value = 0;
	size_t esize, i;
	bool general;
	char *s;

	if (python__read(python__namer_pid(n), a->keys, head, sizeof head) < 0)
		return 0;
	nentries = python__u64(head, KEYS_NENTRIES);
	if (nentries > MAX_ENTRIES || head[KEYS_LOG2_INDEX_BYTES] > 20)
		return 0;
	general = head[KEYS_KIND] == 0;
	esize = general ? 24 : 16;	/* {hash, key, value}, {key, value} */
	entries = a->keys + KEYS_INDICES +
	    (1ull << head[KEYS_LOG2_INDEX_BYTES]);
	for (i = 0; i < nentries && !value; i++) {
		uint64_t e = entries + i * esize + (general ? 8 : 0);

		if (read_u64(n, e, &key) < 0 || !key ||
		    python__namer_str(n, key, &s) < 0)
			continue;
		if (strcmp(s, name) == 0 && read_u64(n, a->values ?
		    a->values + 8 * i : e + 8, &value) < 0)
			value = 0;
		free(s);
	}
	return value;
}

int
python_thread_name(struct python_namer *n, const struct python_chain *c,
    uint64_t epoch, char *buf, size_t size)
{
	const struct python_layout *l = python__namer_layout(n);
	struct python_name root;
	struct attrs a;
	uint64_t self, name;
	char *s;
	int rc;

	if (!l->attr_scheme || c->n == 0 || !c->root || size == 0)
		return -ENOENT;
	if ((rc = python_namer_lookup(n, c->frames[c->n - 1].code, -1, epoch,
	    &root)) < 0)
		return rc;
	if (!root.qualname || strcmp(root.qualname, BOOTSTRAP_QUALNAME) != 0)
		return -ENOENT;
	if ((rc = read_u64(n, c->root + l->fr_localsplus, &self)) < 0)
		return rc;
	if (!self || (rc = object_attrs(n, self, &a)) < 0)
		return rc < 0 ? rc : -ENOENT;
	if (!(name = attr_lookup(n, &a, NAME_ATTR)))
		return -ENOENT;
	if ((rc = python__namer_str(n, name, &s)) < 0)
		return rc;
	snprintf(buf, size, "%s", s);
	free(s);
	return 0;
}
