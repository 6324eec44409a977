/* SPDX-License-Identifier: MIT */
/* python namer: code object address -> "qualname (file:firstlineno)",
 * file and executing line, read once from the target and cached.
 *
 * A code object can be freed and its address reused by another. An entry
 * therefore keeps the code object's ob_type, co_firstlineno and the
 * addresses of its co_filename, co_qualname and co_linetable, and once
 * per caller epoch re-reads them (one process_vm_readv of the object's
 * header): a live code object keeps those three objects alive, so a new
 * code object at the same address with the same five values is, for
 * naming, the same code. Where the probe found PyCode_Type, an object of
 * another type is refused outright. */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "internal.h"

#define NAMER_MIN_CAP 256
/* Longest name and line table we read: longer ones are corrupt or silly. */
#define STR_MAX_CHARS 4096
#define TABLE_MAX (1u << 20)
#define CODE_SPAN_MAX 512

struct namer_key {
	uint64_t type, filename, qualname, linetable;
	int32_t firstlineno;
};

struct namer_entry {
	uint64_t code;		/* 0: empty slot */
	uint64_t epoch;		/* the epoch it was last checked in */
	bool learnt;		/* from a capture: true until the next */
	struct namer_key key;
	char *name, *qualname, *file;
	unsigned char *table;
	size_t table_len;
};

struct python_namer {
	pid_t pid;
	struct python_layout l;
	struct namer_entry *tab;
	size_t cap, used;	/* cap: a power of two */
	struct python_namer_stats st;
};

struct python_namer *
python_namer_new(pid_t pid, const struct python_layout *l)
{
	struct python_namer *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	n->tab = calloc(NAMER_MIN_CAP, sizeof *n->tab);
	if (!n->tab) {
		free(n);
		return NULL;
	}
	n->pid = pid;
	n->l = *l;
	n->cap = NAMER_MIN_CAP;
	return n;
}

static void
entry_clear(struct namer_entry *e)
{
	free(e->name);
	free(e->qualname);
	free(e->file);
	free(e->table);
	e->name = e->qualname = e->file = NULL;
	e->table = NULL;
	e->table_len = 0;
	e->learnt = false;
}

void
python_namer_free(struct python_namer *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->cap; i++)
		entry_clear(&n->tab[i]);
	free(n->tab);
	free(n);
}

void
python_namer_stats(const struct python_namer *n,
    struct python_namer_stats *out)
{
	*out = n->st;
}

static size_t
hash_code(uint64_t code)
{
	/* Objects are 16-byte aligned: mix the bits above. */
	return (size_t)((code >> 4) * 0x9e3779b97f4a7c15ull >> 20);
}

/* The slot of code, or the empty slot where it would go. */
static struct namer_entry *
namer_slot(struct python_namer *n, uint64_t code)
{
	size_t i = hash_code(code) & (n->cap - 1);

	while (n->tab[i].code && n->tab[i].code != code)
		i = (i + 1) & (n->cap - 1);
	return &n->tab[i];
}

static int
namer_grow(struct python_namer *n)
{
	struct namer_entry *old = n->tab;
	size_t i, oldcap = n->cap;

	n->tab = calloc(oldcap * 2, sizeof *n->tab);
	if (!n->tab) {
		n->tab = old;
		return -ENOMEM;
	}
	n->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++)
		if (old[i].code)
			*namer_slot(n, old[i].code) = old[i];
	free(old);
	return 0;
}

/* Appends code point c to buf as UTF-8 (no surrogate checks: a name is
 * shown, not parsed). */
static size_t
put_utf8(char *buf, uint32_t c)
{
	if (c < 0x80) {
		buf[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		buf[0] = (char)(0xc0 | c >> 6);
		buf[1] = (char)(0x80 | (c & 63));
		return 2;
	}
	if (c < 0x10000) {
		buf[0] = (char)(0xe0 | c >> 12);
		buf[1] = (char)(0x80 | (c >> 6 & 63));
		buf[2] = (char)(0x80 | (c & 63));
		return 3;
	}
	if (c > 0x10ffff)
		c = 0xfffd;
	buf[0] = (char)(0xf0 | c >> 18);
	buf[1] = (char)(0x80 | (c >> 12 & 63));
	buf[2] = (char)(0x80 | (c >> 6 & 63));
	buf[3] = (char)(0x80 | (c & 63));
	return 4;
}

/* UCS1/2/4 data of len code points -> a NUL-terminated UTF-8 copy. */
static char *
ucs_to_utf8(const unsigned char *data, size_t len, unsigned kind)
{
	char *out = malloc(len * 4 + 1), *p = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		uint32_t c;

		if (kind == 1)
			c = data[i];
		else if (kind == 2)
			c = data[2 * i] | (uint32_t)data[2 * i + 1] << 8;
		else
			c = python__u32(data, 4 * i);
		p += put_utf8(p, c);
	}
	*p = '\0';
	return out;
}

/* The first bytes of an object, read ahead: names, file names and most
 * line tables fit, so one read with three iovecs loads a code object's
 * three objects. have: bytes valid (a read may stop at a page's end). */
#define PREFETCH 256

struct prefetch {
	const unsigned char *buf;	/* own[], or a capture's bytes */
	size_t have;
	unsigned char own[PREFETCH];
};

static void
prefetch3(struct python_namer *n, const uint64_t addr[3],
    struct prefetch pf[3])
{
	struct iovec local[3], remote[3];
	ssize_t got;
	size_t i;

	for (i = 0; i < 3; i++) {
		pf[i].buf = pf[i].own;
		local[i].iov_base = pf[i].own;
		local[i].iov_len = PREFETCH;
		remote[i].iov_base = (void *)(uintptr_t)addr[i];
		remote[i].iov_len = PREFETCH;
		pf[i].have = 0;
	}
	got = process_vm_readv(n->pid, local, 3, remote, 3, 0);
	for (i = 0; i < 3 && got > 0; i++) {
		pf[i].have = got < PREFETCH ? (size_t)got : PREFETCH;
		got -= (ssize_t)pf[i].have;
	}
}

/* len bytes at offset off of an object: from the prefetch, else read. */
static int
obj_bytes(struct python_namer *n, uint64_t addr, const struct prefetch *pf,
    size_t off, void *dst, size_t len)
{
	if (off + len <= pf->have) {
		memcpy(dst, pf->buf + off, len);
		return 0;
	}
	return len ? python__read(n->pid, addr + off, dst, len) : 0;
}

/* A compact str object (names and file names always are): its header,
 * then its characters right after it; ASCII ones after the shorter
 * PyASCIIObject. state's bits: interned:2, kind:3, compact:1, ascii:1. */
static int
read_str(struct python_namer *n, uint64_t addr, const struct prefetch *pf,
    char **out)
{
	const struct python_layout *l = &n->l;
	unsigned char hdr[128], *data;
	uint32_t state;
	uint64_t len;
	unsigned kind;
	size_t off;
	int rc;

	if (l->str_compact_size > sizeof hdr)
		return -EINVAL;
	if ((rc = obj_bytes(n, addr, pf, 0, hdr, l->str_compact_size)) < 0)
		return rc;
	len = python__u64(hdr, l->str_length);
	state = python__u32(hdr, l->str_state);
	kind = state >> 2 & 7;
	if (!(state >> 5 & 1) || len > STR_MAX_CHARS ||
	    (kind != 1 && kind != 2 && kind != 4))
		return -EFAULT;
	off = state >> 6 & 1 ? l->str_ascii_size : l->str_compact_size;
	if (!(data = malloc(len * kind + 1)))
		return -ENOMEM;
	rc = obj_bytes(n, addr, pf, off, data, len * kind);
	if (rc == 0 && !(*out = ucs_to_utf8(data, len, kind)))
		rc = -ENOMEM;
	free(data);
	return rc;
}

int
python__namer_str(struct python_namer *n, uint64_t addr, char **out)
{
	struct prefetch none = { .buf = NULL, .have = 0 };

	return read_str(n, addr, &none, out);
}

pid_t
python__namer_pid(const struct python_namer *n)
{
	return n->pid;
}

const struct python_layout *
python__namer_layout(const struct python_namer *n)
{
	return &n->l;
}

/* co_linetable's bytes (an entry without them names its code, with no
 * line). */
static int
read_table(struct python_namer *n, uint64_t addr, const struct prefetch *pf,
    struct namer_entry *e)
{
	const struct python_layout *l = &n->l;
	uint64_t size;
	int rc;

	if ((rc = obj_bytes(n, addr, pf, l->bytes_size, &size, 8)) < 0)
		return rc;
	if (size > TABLE_MAX)
		return -EFAULT;
	if (!(e->table = malloc(size ? size : 1)))
		return -ENOMEM;
	e->table_len = size;
	return obj_bytes(n, addr, pf, l->bytes_sval, e->table, size);
}

/* The bytes of a code object's header that hold the fields an entry is
 * checked by. */
static size_t
key_span(const struct python_layout *l)
{
	uint16_t f[] = { l->ob_type, l->co_filename, l->co_qualname,
	    l->co_linetable, l->co_firstlineno };
	size_t span = 0;

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i] + 8u > span)
			span = f[i] + 8u;
	return span;
}

static void
key_parse(const struct python_layout *l, const unsigned char *h,
    struct namer_key *k)
{
	memset(k, 0, sizeof *k);
	k->type = python__u64(h, l->ob_type);
	k->filename = python__u64(h, l->co_filename);
	k->qualname = python__u64(h, l->co_qualname);
	k->linetable = python__u64(h, l->co_linetable);
	k->firstlineno = (int32_t)python__u32(h, l->co_firstlineno);
}

/* Reads the fields an entry is checked by, in one read. */
static int
read_key(struct python_namer *n, uint64_t code, struct namer_key *k)
{
	unsigned char h[CODE_SPAN_MAX];
	size_t span = key_span(&n->l);
	int rc;

	if (span > sizeof h)
		return -EINVAL;
	if ((rc = python__read(n->pid, code, h, span)) < 0)
		return rc;
	key_parse(&n->l, h, k);
	return 0;
}

static bool
key_equal(const struct namer_key *a, const struct namer_key *b)
{
	return a->type == b->type && a->filename == b->filename &&
	    a->qualname == b->qualname && a->linetable == b->linetable &&
	    a->firstlineno == b->firstlineno;
}

/* Fills a (cleared) entry from its objects' first bytes in pf, the rest
 * read from the target. */
static int
entry_load_from(struct python_namer *n, struct namer_entry *e,
    const struct prefetch pf[3])
{
	uint64_t addr[3] = { e->key.qualname, e->key.filename,
	    e->key.linetable };
	size_t len;
	int rc;

	if ((rc = read_str(n, addr[0], &pf[0], &e->qualname)) < 0 ||
	    (rc = read_str(n, addr[1], &pf[1], &e->file)) < 0)
		return rc;
	if ((rc = read_table(n, addr[2], &pf[2], e)) < 0) {
		if (rc == -ENOMEM)
			return rc;
		free(e->table);
		e->table = NULL;
		e->table_len = 0;
	}
	len = strlen(e->qualname) + strlen(e->file) + 32;
	if (!(e->name = malloc(len)))
		return -ENOMEM;
	snprintf(e->name, len, "%s (%s:%d)", e->qualname, e->file,
	    (int)e->key.firstlineno);
	return 0;
}

/* Fills a (cleared) entry from the target. */
static int
entry_load(struct python_namer *n, struct namer_entry *e)
{
	uint64_t addr[3] = { e->key.qualname, e->key.filename,
	    e->key.linetable };
	struct prefetch pf[3];

	prefetch3(n, addr, pf);
	return entry_load_from(n, e, pf);
}

/* Makes e (code's slot) current: checked this epoch, loaded. A slot
 * whose load failed keeps its code (the probe chain must not break) with
 * no name, and is loaded again at its next lookup. */
static int
entry_refresh(struct python_namer *n, struct namer_entry *e, uint64_t code,
    uint64_t epoch)
{
	struct namer_key k;
	int rc;

	if ((rc = read_key(n, code, &k)) < 0) {
		/* The process is gone while samples taken before are still
		 * being named (the worker drains the ring after the end):
		 * what was read while it lived is the best answer. */
		if (rc == -ESRCH && e->code == code && e->name) {
			e->epoch = epoch;
			n->st.hits++;
			return 0;
		}
		return rc;
	}
	if (n->l.code_type && k.type != n->l.code_type)
		return -EFAULT;		/* not (or no longer) a code object */
	if (e->code && e->name && key_equal(&k, &e->key)) {
		e->epoch = epoch;
		n->st.hits++;
		return 0;
	}
	if (e->name)
		n->st.stale++;
	else
		n->st.misses++;
	if (!e->code)
		n->used++;
	entry_clear(e);
	e->code = code;
	e->key = k;
	if ((rc = entry_load(n, e)) < 0) {
		entry_clear(e);
		return rc;
	}
	e->epoch = epoch;
	return 0;
}

int
python_namer_lookup(struct python_namer *n, uint64_t code, int32_t lasti,
    uint64_t epoch, struct python_name *out)
{
	struct namer_entry *e;
	int rc;

	n->st.lookups++;
	if (n->used * 10 >= n->cap * 7 && namer_grow(n) < 0)
		return -ENOMEM;
	e = namer_slot(n, code);
	/* A learnt entry is what the sampler saw at this address just
	 * before the samples that follow it in the ring: the live object
	 * may since be other code. */
	if (!e->name || (!e->learnt && e->epoch != epoch)) {
		if ((rc = entry_refresh(n, e, code, epoch)) < 0) {
			n->st.read_fail++;
			return rc == -ENOMEM ? rc : -EFAULT;
		}
	} else {
		n->st.hits++;
	}
	out->name = e->name;
	out->qualname = e->qualname;
	out->file = e->file;
	out->firstlineno = e->key.firstlineno;
	out->line = python_linetable_line(e->table, e->table_len,
	    e->key.firstlineno, lasti < 0 ? -1 : lasti * 2);
	if (out->line < 0)
		out->line = 0;
	return 0;
}

int
python_code_capture(const struct python_layout *l, pid_t pid, uint64_t code,
    struct python_code_capture *out)
{
	struct iovec local[3], remote[3];
	struct namer_key k;
	size_t span = key_span(l);
	ssize_t got;
	int rc;

	if (span > sizeof out->head)
		return -EINVAL;
	if ((rc = python__read(pid, code, out->head, span)) < 0)
		return rc;
	key_parse(l, out->head, &k);
	if (l->code_type && k.type != l->code_type)
		return -EFAULT;
	out->code = code;
	out->head_len = (uint32_t)span;
	out->addr[0] = k.qualname;
	out->addr[1] = k.filename;
	out->addr[2] = k.linetable;
	for (size_t i = 0; i < 3; i++) {
		local[i].iov_base = out->obj[i];
		local[i].iov_len = sizeof out->obj[i];
		remote[i].iov_base = (void *)(uintptr_t)out->addr[i];
		remote[i].iov_len = sizeof out->obj[i];
		out->have[i] = 0;
	}
	got = process_vm_readv(pid, local, 3, remote, 3, 0);
	for (size_t i = 0; i < 3 && got > 0; i++) {
		out->have[i] = got < (ssize_t)sizeof out->obj[i] ?
		    (uint32_t)got : (uint32_t)sizeof out->obj[i];
		got -= (ssize_t)out->have[i];
	}
	return 0;
}

/* The key's fingerprint: never 0. */
static uint64_t
key_fingerprint(const struct namer_key *k)
{
	uint64_t v[] = { k->type, k->filename, k->qualname, k->linetable,
	    (uint64_t)(uint32_t)k->firstlineno };
	uint64_t h = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		h ^= v[i];
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

static uint64_t
head_fingerprint(const struct python_layout *l, const unsigned char *h)
{
	struct namer_key k;

	key_parse(l, h, &k);
	if (l->code_type && k.type != l->code_type)
		return 0;
	return key_fingerprint(&k);
}

#define FP_BATCH 32

/* One batch of python_chain_fingerprints: frames [at, at + m). After a
 * fault process_vm_readv stops: the rest are read one by one. */
static void
fingerprint_batch(const struct python_layout *l, pid_t pid,
    const struct python_chain *c, size_t at, size_t m, uint64_t *out)
{
	unsigned char buf[FP_BATCH][CODE_SPAN_MAX];
	struct iovec local[FP_BATCH], remote[FP_BATCH];
	size_t span = key_span(l), need = 0;
	ssize_t got;
	bool ok;

	for (size_t i = 0; i < m; i++) {
		uint64_t code = c->frames[at + i].code;

		local[i].iov_base = buf[i];
		local[i].iov_len = code ? span : 0;
		remote[i].iov_base = (void *)(uintptr_t)code;
		remote[i].iov_len = local[i].iov_len;
	}
	got = process_vm_readv(pid, local, m, remote, m, 0);
	for (size_t i = 0; i < m; i++) {
		if (local[i].iov_len == 0) {
			out[at + i] = 0;
			continue;
		}
		need += span;
		ok = got >= (ssize_t)need ||
		    python__read(pid, c->frames[at + i].code, buf[i], span) == 0;
		out[at + i] = ok ? head_fingerprint(l, buf[i]) : 0;
	}
}

void
python_chain_fingerprints(const struct python_layout *l, pid_t pid,
    const struct python_chain *c, uint64_t *out)
{
	size_t m;

	if (key_span(l) > CODE_SPAN_MAX) {
		memset(out, 0, c->n * sizeof *out);
		return;
	}
	for (size_t at = 0; at < c->n; at += m) {
		m = c->n - at < FP_BATCH ? c->n - at : FP_BATCH;
		fingerprint_batch(l, pid, c, at, m, out);
	}
}

/* A forget (head_len 0): the address's entry, if any, is read from the
 * process at its next lookup. */
static void
namer_forget(struct python_namer *n, uint64_t code)
{
	struct namer_entry *e = namer_slot(n, code);

	if (e->code == code)
		entry_clear(e);		/* keeps code: the probe chain */
}

int
python_namer_learn(struct python_namer *n,
    const struct python_code_capture *c, uint64_t epoch)
{
	struct prefetch pf[3];
	struct namer_entry *e;
	struct namer_key k;
	int rc;

	if (c->head_len == 0 && c->code != 0) {
		namer_forget(n, c->code);
		return 0;
	}
	if (c->head_len < key_span(&n->l) || c->code == 0)
		return -EFAULT;
	key_parse(&n->l, c->head, &k);
	if (n->l.code_type && k.type != n->l.code_type)
		return -EFAULT;
	if (n->used * 10 >= n->cap * 7 && namer_grow(n) < 0)
		return -ENOMEM;
	e = namer_slot(n, c->code);
	if (e->code && e->name && key_equal(&k, &e->key)) {
		e->epoch = epoch;
		e->learnt = true;
		return 0;
	}
	if (!e->code)
		n->used++;
	entry_clear(e);
	e->code = c->code;
	e->key = k;
	for (size_t i = 0; i < 3; i++) {
		pf[i].buf = c->obj[i];
		pf[i].have = c->have[i] < sizeof c->obj[i] ? c->have[i] :
		    sizeof c->obj[i];
	}
	if ((rc = entry_load_from(n, e, pf)) < 0) {
		entry_clear(e);
		return rc == -ENOMEM ? rc : -EFAULT;
	}
	e->epoch = epoch;
	e->learnt = true;
	return 0;
}
