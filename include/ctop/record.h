/* SPDX-License-Identifier: MIT */
/* record: what the sampler sends the worker through the ring. Plain data,
 * copied by value; no pointers into sampler memory ever cross the ring.
 * Registers use DWARF numbering (x86-64 psABI), which is also libunwind's:
 * whatever the backend (ptrace user_regs_struct, perf's sample_regs_user),
 * the sampler converts to this order. */
#ifndef CTOP_RECORD_H
#define CTOP_RECORD_H

#include <stdint.h>
#include <sys/types.h>

#include "ctop/python.h"

enum record_type {
	REC_SAMPLE = 1,		/* struct rec_sample + chain + stack bytes */
	REC_THREAD_NEW,		/* struct rec_thread: a thread was attached */
	REC_THREAD_EXIT,	/* struct rec_thread: a thread is gone */
	REC_THREAD_NAME,	/* struct rec_thread: comm changed or first seen */
	REC_EXEC,		/* struct rec_thread: the process exec'd: drop
				 * every mapping, module and cache */
	REC_MAPS_CHANGED,	/* struct rec_thread: mappings may have changed
				 * (mmap/munmap/dlopen seen); re-read maps.
				 * time_ns: when the first of the changes
				 * was seen (ptrace); 0 with perf, whose
				 * files come as REC_MMAP at their own time */
	REC_PROC_EXIT,		/* struct rec_exit: the whole process ended */
	REC_LOST,		/* struct rec_lost: samples lost upstream */
	REC_PYTHON,		/* struct rec_python: what the probe found in
				 * the process (after attach, launch, exec) */
	REC_PROC_NEW,		/* struct rec_thread: --children: process
				 * pid was forked by process tid */
	REC_PROC_GONE,		/* struct rec_thread: --children: it exited */
	REC_MMAP,		/* struct rec_mmap + path: a file was mapped
				 * executable at time_ns (perf's MMAP2): the
				 * module the samples after it are in */
	REC_PY_CODE,		/* struct rec_py_code: a code object of a
				 * Python chain, as read soon after its
				 * sample (named also once it is gone) */
};

/* DWARF register numbers for x86-64. */
enum ctop_reg {
	CTOP_REG_RAX, CTOP_REG_RDX, CTOP_REG_RCX, CTOP_REG_RBX,
	CTOP_REG_RSI, CTOP_REG_RDI, CTOP_REG_RBP, CTOP_REG_RSP,
	CTOP_REG_R8, CTOP_REG_R9, CTOP_REG_R10, CTOP_REG_R11,
	CTOP_REG_R12, CTOP_REG_R13, CTOP_REG_R14, CTOP_REG_R15,
	CTOP_REG_RIP,
	CTOP_NREGS
};

enum rec_sample_flags {
	SAMPLE_OFF_CPU = 1u << 0,	/* thread was blocked (wall mode) */
	SAMPLE_STACK_SHORT = 1u << 1,	/* the copy stopped before stack_size
					 * because the stack mapping ended:
					 * the whole stack is in the copy */
	SAMPLE_IN_KERNEL = 1u << 2,	/* stopped inside a system call */
	SAMPLE_STACK_SPLIT = 1u << 3,	/* taken while --stack-size auto
					 * split the copies (short ones and
					 * whole ones): a walk that runs out
					 * may be joined (src/unwind/join.c) */
	SAMPLE_STACK_TRIAL = 1u << 4,	/* taken while auto may split the
					 * copies later: the walks rehearse
					 * the split */
};

/* --stack-size auto's split: the short copies' bytes (a 3840-byte perf
 * record with the registers), and one sample in this many copies the
 * whole size. */
#define SAMPLE_SPLIT_SHORT 3584u
#define SAMPLE_SPLIT_EVERY 8u

/* Followed in the same record by the call chain the kernel walked with
 * frame pointers (perf; none with ptrace), already split by the sampler:
 * uint64_t kernel pcs [kernel_len], leaf first, then user pcs [user_len],
 * leaf first (kept only when the sample has no stack copy: --unwind fp),
 * no context markers; then by stack_len bytes copied from the target at
 * stack_addr; then, when py_len > 0, padded to 8 bytes, by the thread's
 * Python chain (struct python_chain's header and its n frames, py_len
 * bytes). The first pc of each part is where that context was
 * interrupted, the others are return addresses. */
struct rec_sample {
	uint64_t time_ns;		/* CLOCK_MONOTONIC at capture */
	int32_t tid;
	uint32_t flags;			/* enum rec_sample_flags */
	uint64_t regs[CTOP_NREGS];	/* DWARF order */
	uint64_t stack_addr;		/* target address of stack byte 0 (SP) */
	uint32_t stack_len;		/* bytes copied */
	uint16_t kernel_len;		/* kernel pcs in the chain */
	uint16_t user_len;		/* user pcs after them */
	uint64_t weight;		/* samples this record stands for (1) */
	uint32_t py_len;		/* bytes of the Python chain, 0: none */
	int32_t py_status;		/* enum rec_py_status, or the walk's
					 * -errno (-ENOENT: a thread without
					 * a Python thread state) */
	int32_t pid;			/* the thread's process; 0: the
					 * target (--children: any of its
					 * descendants) */
	uint32_t reserved;
};

enum rec_py_status {
	REC_PY_NONE = 0,	/* no walk: not Python, or --python off */
	REC_PY_OK = 1,		/* walked: py_len bytes follow */
};

/* The kernel part of the chain, leaf first. */
static inline const uint64_t *
rec_sample_kernel(const struct rec_sample *s)
{
	return (const uint64_t *)(s + 1);
}

/* The user part of the chain, leaf first. */
static inline const uint64_t *
rec_sample_user(const struct rec_sample *s)
{
	return rec_sample_kernel(s) + s->kernel_len;
}

static inline const unsigned char *
rec_sample_stack(const struct rec_sample *s)
{
	return (const unsigned char *)(rec_sample_user(s) + s->user_len);
}

/* Where the Python chain starts: after the stack, 8-byte aligned. */
static inline size_t
rec_sample_python_offset(const struct rec_sample *s)
{
	size_t end = sizeof *s + ((size_t)s->kernel_len + s->user_len) * 8 +
	    s->stack_len;

	return (end + 7) & ~(size_t)7;
}

/* The Python chain, or NULL when the sample has none. */
static inline const struct python_chain *
rec_sample_python(const struct rec_sample *s)
{
	const struct python_chain *c;

	if (s->py_len < python_chain_size(0))
		return NULL;
	c = (const struct python_chain *)(const void *)
	    ((const unsigned char *)s + rec_sample_python_offset(s));
	/* The header must say what the length does. */
	if (c->n > PYTHON_MAX_DEPTH || python_chain_size(c->n) != s->py_len)
		return NULL;
	return c;
}

/* Bytes of the record's payload: the struct, the chain, the stack, the
 * Python chain. */
static inline size_t
rec_sample_size(const struct rec_sample *s)
{
	if (s->py_len > 0)
		return rec_sample_python_offset(s) + s->py_len;
	return sizeof *s + ((size_t)s->kernel_len + s->user_len) * 8 +
	    s->stack_len;
}

struct rec_thread {
	uint64_t time_ns;
	int32_t pid;
	int32_t tid;
	char comm[16];			/* NUL-terminated, may be empty */
};

struct rec_exit {
	uint64_t time_ns;
	int32_t pid;
	int32_t wait_status;		/* as from waitpid(); -1 if unknown */
};

/* The probe's answer: status is an enum python_status; layout is valid
 * when PYTHON_OK; cause says why not otherwise ("" when not Python). */
struct rec_python {
	uint64_t time_ns;
	int32_t status;
	int32_t pid;			/* the process probed: the target or,
					 * with --children, a descendant */
	struct python_layout layout;
	char cause[96];
};

struct rec_py_code {
	uint64_t time_ns;
	int32_t pid;			/* whose code */
	int32_t reserved;
	struct python_code_capture cap;
};

/* Followed in the same record by the file's path, path_len bytes and a
 * NUL (the record is sizeof + path_len + 1 bytes). */
struct rec_mmap {
	uint64_t time_ns;
	uint64_t addr, len, pgoff;	/* the mapping, as in /proc/PID/maps */
	uint64_t dev;			/* major << 32 | minor */
	uint64_t ino;
	uint32_t path_len;
	int32_t pid;			/* whose mapping; 0: the target */
};

/* The path of a REC_MMAP of len bytes, or NULL when malformed. */
static inline const char *
rec_mmap_path(const struct rec_mmap *m, size_t len)
{
	const char *path = (const char *)(m + 1);

	if (len < sizeof *m || len - sizeof *m != (size_t)m->path_len + 1 ||
	    path[m->path_len] != '\0')
		return NULL;
	return path;
}

struct rec_lost {
	uint64_t time_ns;
	uint64_t lost;
};

#endif
