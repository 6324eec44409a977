/* SPDX-License-Identifier: MIT */
/* sampler: why the kernel refused ptrace or perf_event_open. The facts
 * are gathered once from /proc and two harmless probes (gates_gather);
 * the one-line cause is a pure function of them, so every gate - Yama
 * scopes, perf_event_paranoid, capabilities, another user, a seccomp
 * filter - can be tested where this machine does not have it. A cause
 * reads "what happened: why (how to fix)"; main prefixes "ctop-prof: ". */
#ifndef CTOP_SAMPLER_GATES_H
#define CTOP_SAMPLER_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum gate_call {
	GATE_PTRACE,		/* PTRACE_SEIZE */
	GATE_PERF,		/* perf_event_open */
};

struct gate_facts {
	int err;		/* the refused call's -errno */
	pid_t pid;		/* its target */
	int yama;		/* ptrace_scope, -1 without Yama */
	int paranoid;		/* perf_event_paranoid, -100 unknown */
	bool cap_sys_ptrace;
	bool perf_privileged;	/* root, CAP_PERFMON or CAP_SYS_ADMIN */
	long target_uid;	/* the target's real uid, -1 unknown */
	uid_t euid;		/* ours */
	pid_t tracer;		/* the target's TracerPid, 0 none */
	bool seccomp_denies;	/* our seccomp filter refuses the call
				 * itself, whatever its arguments */
};

/* Whether our seccomp filter refuses the call itself (a harmless ask:
 * arguments the kernel would reject anyway). */
bool gates_seccomp_denies(enum gate_call call);

/* Reads the facts of this system for a call that failed with err. */
void gates_gather(struct gate_facts *f, enum gate_call call, int err,
    pid_t pid);

/* The cause, one line, into buf (truncated to size). Returns the length
 * snprintf would have written. Pure: reads nothing but f. */
int gates_ptrace_cause(const struct gate_facts *f, char *buf, size_t size);
int gates_perf_cause(const struct gate_facts *f, char *buf, size_t size);

/* -a: CPU-wide events (pid -1) need root, CAP_PERFMON (or CAP_SYS_ADMIN)
 * or perf_event_paranoid at most 0. Pure, as the causes above. */
bool gates_all_allowed(const struct gate_facts *f);
/* Why -a cannot sample (f->err: the refusal, or -EACCES when
 * gates_all_allowed() said no before any call). */
int gates_all_cause(const struct gate_facts *f, char *buf, size_t size);

#endif
