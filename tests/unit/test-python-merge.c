/* SPDX-License-Identifier: MIT */
/* python_merge without a process: native stacks with eval activations and
 * Python chains with entry frames, merged as py-spy --native does; counts
 * that disagree and cut chains are refused. */
#include "config.h"

#include "ctop/python.h"
#include "ctop/record.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"

static struct python_chain chain;

/* A chain from a string, leaf first: one letter per frame, upper case for
 * an entry frame ("cbA" = c, b, then entry a). The code address encodes
 * the letter so the merged text can be rebuilt. */
static void
chain_set(const char *leaf_first)
{
	size_t i;

	memset(&chain, 0, sizeof chain);
	for (i = 0; leaf_first[i]; i++) {
		char c = leaf_first[i];
		struct python_frame *f = &chain.frames[chain.n++];

		f->code = (uint64_t)(c | 0x20);
		if (c >= 'A' && c <= 'Z') {
			f->flags = PYTHON_FRAME_ENTRY;
			chain.nentry++;
		}
	}
}

/* Merges native (root first: one char per frame, 'E' an eval
 * activation, others native names) and renders the result root first:
 * native frames as their letter, Python frames as "py:x". */
static int
merge_text(const char *native, char *buf, size_t len)
{
	uint8_t is_eval[64];
	struct python_merged out[128];
	size_t i, n = strlen(native), pos = 0;
	int rc;

	for (i = 0; i < n; i++)
		is_eval[i] = native[i] == 'E';
	rc = python_merge(is_eval, n, &chain, out, 128);
	buf[0] = '\0';
	for (i = 0; rc > 0 && i < (size_t)rc; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s%c",
		    i ? ";" : "", out[i].python ? "py:" : "",
		    out[i].python ? (char)chain.frames[out[i].index].code :
		    native[out[i].index]);
	return rc;
}

/* A sample record as the sampler builds it (record.h): an odd-length
 * stack copy, then the chain 8-byte aligned; the accessors find it and
 * refuse a length that disagrees with the chain's own count. */
static void
record_layout(void)
{
	static uint64_t buf[1024];
	struct rec_sample *r = (void *)buf;
	struct python_chain *c;
	size_t off;

	memset(buf, 0, sizeof buf);
	r->user_len = 1;
	r->stack_len = 13;
	is_int(rec_sample_size(r), sizeof *r + 8 + 13,
	    "record: no chain, the size is struct + pcs + stack");
	ok(rec_sample_python(r) == NULL, "record: py_len 0, no chain");
	off = rec_sample_python_offset(r);
	is_int(off % 8, 0, "record: the chain starts 8-byte aligned (%zu)", off);
	ok(off >= sizeof *r + 8 + 13 && off < sizeof *r + 8 + 13 + 8,
	    "record: right after the stack bytes");
	c = (void *)((unsigned char *)buf + off);
	c->n = 2;
	c->nentry = 1;
	r->py_len = (uint32_t)python_chain_size(2);
	r->py_status = REC_PY_OK;
	ok(rec_sample_python(r) == c, "record: the chain is found");
	is_int(rec_sample_size(r), off + python_chain_size(2),
	    "record: the size ends with the chain");
	r->py_len = (uint32_t)python_chain_size(3);
	ok(rec_sample_python(r) == NULL,
	    "record: a length that is not the chain's own is refused");
	c->n = PYTHON_MAX_DEPTH + 1;
	r->py_len = (uint32_t)python_chain_size(c->n);
	ok(rec_sample_python(r) == NULL, "record: n past the depth refused");
}

int
main(void)
{
	char buf[512];
	struct python_merged small[3];
	uint8_t ev[3] = { 0, 1, 0 };
	int rc;

	/* One activation: <module>, main, f all in one eval. */
	chain_set("fmA");
	rc = merge_text("sREl", buf, sizeof buf);
	is_int(rc, 6, "one activation: 3 native + 3 python frames");
	is_str(buf, "s;R;py:a;py:m;py:f;l", "one activation replaced in place");

	/* Two activations: the leaf one ran g, h (entry G). */
	chain_set("hGbA");
	rc = merge_text("mEcEx", buf, sizeof buf);
	is_int(rc, 7, "two activations: 3 native + 4 python");
	is_str(buf, "m;py:a;py:b;c;py:g;py:h;x",
	    "each activation gets its own run, C frames between stay");

	/* Three activations, the leaf entry frame being the leaf. */
	chain_set("ZyXwV");
	rc = merge_text("EEE", buf, sizeof buf);
	is_str(buf, "py:v;py:w;py:x;py:y;py:z", "runs of 2, 2, 1 frames");

	/* No eval activations and no chain: native unchanged. */
	chain_set("");
	rc = merge_text("abc", buf, sizeof buf);
	is_str(buf, "a;b;c", "no Python: the native stack");

	/* Mismatches keep the native stack. */
	chain_set("bA");
	is_int(merge_text("xEEy", buf, sizeof buf), PYTHON_MERGE_MISMATCH,
	    "two activations, one entry frame: mismatch");
	chain_set("bAdC");
	is_int(merge_text("xEy", buf, sizeof buf), PYTHON_MERGE_MISMATCH,
	    "one activation, two entry frames: mismatch");
	chain_set("ba");
	is_int(merge_text("xy", buf, sizeof buf), PYTHON_MERGE_MISMATCH,
	    "Python frames with no entry frame and no activation: mismatch");
	chain_set("Bc");
	is_int(merge_text("xEy", buf, sizeof buf), PYTHON_MERGE_MISMATCH,
	    "a frame rootwards of the root entry frame: mismatch");
	chain_set("A");
	is_int(merge_text("xy", buf, sizeof buf), PYTHON_MERGE_MISMATCH,
	    "an entry frame but no activation: mismatch");

	/* A truncated chain cannot be paired. */
	chain_set("bA");
	chain.flags |= PYTHON_CHAIN_TRUNCATED;
	is_int(merge_text("xEy", buf, sizeof buf), PYTHON_MERGE_TRUNCATED,
	    "truncated chain refused");

	/* Output space is checked. */
	chain_set("cbA");
	is_int(python_merge(ev, 3, &chain, small, 3), PYTHON_MERGE_NOSPACE,
	    "5 frames into 3 slots: no space");
	is_int(python_merge(ev, 3, &chain, small, 0), PYTHON_MERGE_NOSPACE,
	    "no slots at all: no space");

	/* python_chain_size covers the header and n frames. */
	ok(python_chain_size(2) == offsetof(struct python_chain, frames) +
	    2 * sizeof(struct python_frame), "python_chain_size(2)");
	record_layout();
	return done_testing();
}
