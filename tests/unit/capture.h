/* SPDX-License-Identifier: MIT */
/* A minimal ptrace capture for unit tests of unwind and symbols: starts a
 * target from tests/targets, then takes samples the way the real sampler
 * does (PTRACE_SEIZE once, then INTERRUPT, GETREGSET, process_vm_readv,
 * CONT). Test code only: it blocks, allocates and prints nothing. */
#ifndef CTOP_TESTS_CAPTURE_H
#define CTOP_TESTS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/record.h"

struct capture {
	pid_t pid;
	int in_fd;		/* the target's stdin (commands) */
	int out_fd;		/* the target's stdout (replies) */
	bool seized;
	uint64_t stack_top;	/* end of the target's [stack] mapping */
};

/* Path of a built test target (tests/targets/NAME next to tests/unit/);
 * a static buffer. */
const char *capture_target(const char *name);

/* Starts argv[0] with its stdin and stdout on pipes, waits until it prints
 * "ready", then lets it run 50 ms more. Returns 0 or -errno. */
int capture_start(struct capture *c, char *const argv[]);

/* Writes one line to the target's stdin. */
int capture_send(struct capture *c, const char *line);

/* Waits up to timeout_ms for a line starting with `want` on its stdout. */
int capture_wait_line(struct capture *c, const char *want, int timeout_ms);

/* One sample: stops the target, copies its registers and up to stack_size
 * bytes from its stack pointer, lets it run. Returns a malloc'd record
 * (struct rec_sample + the stack bytes) or NULL. */
struct rec_sample *capture_sample(struct capture *c, size_t stack_size);

/* Takes n samples about every 2-4 ms into out[]; returns how many. */
int capture_samples(struct capture *c, size_t stack_size,
    struct rec_sample **out, int n);

/* Whether this process may trace its children here: 0, or -errno (EPERM
 * under Yama scope 3, a seccomp filter or a container without ptrace). */
int capture_probe(void);

/* Kills and reaps the target. */
void capture_stop(struct capture *c);

#endif
