/* SPDX-License-Identifier: MIT */
/* python module: declarations shared between its files. */
#ifndef CTOP_PYTHON_INTERNAL_H
#define CTOP_PYTHON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads len bytes at target address addr of process pid into buf with one
 * process_vm_readv. Returns 0, -EFAULT on a short read, -ESRCH when the
 * process is gone, -errno otherwise. Async-signal-safe, no allocation. */
int python__read(pid_t pid, uint64_t addr, void *buf, size_t len);

struct python_layout;

/* Fills the layout of CPython 3.minor from our tables (3.11, 3.12) except
 * version and runtime. Returns 0, or -ENOTSUP for another minor. */
int python__layout_table(unsigned minor, struct python_layout *out);

/* Fills the fields python_thread_name reads for CPython 3.minor. */
void python__layout_attrs(unsigned minor, struct python_layout *l);

struct python_namer;

/* A compact str object at addr, as UTF-8 (malloc'd into *out). Returns
 * 0, -EFAULT or -ENOMEM. Thread: the namer's. */
int python__namer_str(struct python_namer *n, uint64_t addr, char **out);

/* The target process and layout of a namer. */
pid_t python__namer_pid(const struct python_namer *n);
const struct python_layout *python__namer_layout(const struct python_namer *n);

/* Little-endian field loads from a byte buffer read from the target. */
static inline uint64_t
python__u64(const unsigned char *p, size_t off)
{
	uint64_t v;

	__builtin_memcpy(&v, p + off, sizeof v);
	return v;
}

static inline uint32_t
python__u32(const unsigned char *p, size_t off)
{
	uint32_t v;

	__builtin_memcpy(&v, p + off, sizeof v);
	return v;
}

#endif
