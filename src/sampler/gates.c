/* SPDX-License-Identifier: MIT */
/* sampler: the permission gates of ptrace and perf_event_open, named in
 * one line when the kernel refuses. Gathering reads /proc; judging is
 * pure (gates.h says why). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gates.h"
#include "perf_internal.h"

#define CAP_SYS_PTRACE_BIT 19
#define SECCOMP_MODE_FILTER 2

static int
seccomp_mode(void)
{
	char buf[4096];
	const char *p;

	if (sampler__proc_read("/proc/self/status", buf, sizeof buf) < 0)
		return 0;
	p = strstr(buf, "\nSeccomp:");
	return p ? atoi(p + 9) : 0;
}

/* Under a seccomp filter, asks whether the call is refused before the
 * kernel looks at it: with arguments the kernel itself would reject
 * (no such pid; an attr at NULL) the answer is ESRCH or EFAULT, unless a
 * filter answers EPERM first, as Docker's default profile does. */
bool
gates_seccomp_denies(enum gate_call call)
{
	long r;

	if (seccomp_mode() != SECCOMP_MODE_FILTER)
		return false;
	if (call == GATE_PTRACE)
		r = ptrace(PTRACE_SEIZE, (pid_t)INT_MAX, NULL, NULL);
	else
		r = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	return r < 0 && errno == EPERM;
}

void
gates_gather(struct gate_facts *f, enum gate_call call, int err, pid_t pid)
{
	memset(f, 0, sizeof *f);
	f->err = err;
	f->pid = pid;
	f->yama = sampler__proc_yama_scope();
	f->paranoid = perf__paranoid();
	f->cap_sys_ptrace = sampler__proc_has_cap(CAP_SYS_PTRACE_BIT);
	f->perf_privileged = perf__privileged();
	f->target_uid = sampler__proc_uid(pid);
	f->euid = geteuid();
	f->tracer = sampler__proc_tracer(pid, 0);
	f->seccomp_denies = (err == -EPERM || err == -EACCES) &&
	    gates_seccomp_denies(call);
}

static bool
another_user(const struct gate_facts *f)
{
	return f->target_uid >= 0 && (uid_t)f->target_uid != f->euid;
}

/* PTRACE_SEIZE refused (EPERM): the first gate that explains it. */
int
gates_ptrace_cause(const struct gate_facts *f, char *buf, size_t size)
{
	pid_t pid = f->pid;
	bool cap = f->cap_sys_ptrace;

	if (f->tracer > 0)
		return snprintf(buf, size, "attach to %d: not permitted: "
		    "already traced by TracerPid %d, one tracer at a time "
		    "(detach gdb or strace first)", pid, f->tracer);
	if (f->seccomp_denies)
		return snprintf(buf, size, "attach to %d: not permitted: a "
		    "seccomp filter refuses ptrace (in a container: a seccomp "
		    "profile that allows ptrace and process_vm_readv, and "
		    "--cap-add SYS_PTRACE)", pid);
	if (f->yama == 3)
		return snprintf(buf, size, "attach to %d: not permitted: Yama "
		    "ptrace_scope is 3, ptrace is disabled until reboot (use "
		    "--backend perf, or boot with a lower "
		    "kernel.yama.ptrace_scope)", pid);
	if (f->yama == 2 && !cap)
		return snprintf(buf, size, "attach to %d: not permitted: Yama "
		    "ptrace_scope is 2, admin only (run as root or with "
		    "CAP_SYS_PTRACE, or `sysctl kernel.yama.ptrace_scope=1` "
		    "and launch the command under ctop-prof)", pid);
	if (f->yama == 1 && !cap)
		return snprintf(buf, size, "attach to %d: not permitted: Yama "
		    "ptrace_scope is 1, descendants only (launch the command "
		    "under ctop-prof, run as root, or `sysctl "
		    "kernel.yama.ptrace_scope=0`)", pid);
	if (another_user(f) && !cap)
		return snprintf(buf, size, "attach to %d: not permitted: it "
		    "belongs to uid %ld, we are uid %u (run as that user or "
		    "root)", pid, f->target_uid, (unsigned)f->euid);
	if (!cap)
		return snprintf(buf, size, "attach to %d: not permitted: "
		    "missing CAP_SYS_PTRACE, and the target may be setuid or "
		    "non-dumpable (run as root; in a container: --cap-add "
		    "SYS_PTRACE)", pid);
	return snprintf(buf, size, "attach to %d: not permitted: "
	    "PTRACE_SEIZE refused with CAP_SYS_PTRACE held, by a security "
	    "module? (check dmesg and the audit log)", pid);
}

/* perf_event_open refused with EPERM or EACCES. */
static int
perf_denied(const struct gate_facts *f, char *buf, size_t size)
{
	pid_t pid = f->pid;

	if (f->seccomp_denies)
		return snprintf(buf, size, "perf_event_open on %d: not "
		    "permitted: a seccomp filter refuses it, as Docker's "
		    "default profile does without CAP_PERFMON (--cap-add "
		    "PERFMON, or use --backend ptrace)", pid);
	if (f->perf_privileged)
		return snprintf(buf, size, "perf_event_open on %d: not "
		    "permitted: refused although we are root or hold "
		    "CAP_PERFMON, by a security module? (check dmesg and the "
		    "audit log, or use --backend ptrace)", pid);
	if (f->paranoid >= 3)
		return snprintf(buf, size, "perf_event_open on %d: not "
		    "permitted: perf_event_paranoid is %d, which forbids every "
		    "event without CAP_PERFMON (`sysctl "
		    "kernel.perf_event_paranoid=2`, run as root, or use "
		    "--backend ptrace)", pid, f->paranoid);
	if (another_user(f))
		return snprintf(buf, size, "perf_event_open on %d: not "
		    "permitted: it belongs to uid %ld, we are uid %u (run as "
		    "that user, as root or with CAP_PERFMON)", pid,
		    f->target_uid, (unsigned)f->euid);
	return snprintf(buf, size, "perf_event_open on %d: not permitted: "
	    "missing CAP_PERFMON at perf_event_paranoid %d, and the target "
	    "may be setuid or non-dumpable (run as root or with CAP_PERFMON, "
	    "or use --backend ptrace)", pid, f->paranoid);
}

int
gates_perf_cause(const struct gate_facts *f, char *buf, size_t size)
{
	pid_t pid = f->pid;

	switch (f->err) {
	case -ESRCH:
		return snprintf(buf, size, "perf_event_open on %d: no such "
		    "process: it does not exist or has already exited (check "
		    "the PID)", pid);
	case -ENOSYS:
		return snprintf(buf, size, "perf_event_open: not available: "
		    "this kernel has no perf events, CONFIG_PERF_EVENTS is off "
		    "(use --backend ptrace)");
	case -EPERM:
	case -EACCES:
		return perf_denied(f, buf, size);
	case -EMFILE:
		return snprintf(buf, size, "perf_event_open: out of file "
		    "descriptors: it takes one per thread and CPU (raise "
		    "`ulimit -n`, or use --backend ptrace)");
	case -ENFILE:
		return snprintf(buf, size, "perf_event_open: out of file "
		    "descriptors: the system's file table is full (raise "
		    "fs.file-max, or use --backend ptrace)");
	case -ENOMEM:
	case PERF_ERR_MMAP:
		return snprintf(buf, size, "perf ring: cannot map it: out of "
		    "locked memory (raise `ulimit -l` or "
		    "kernel.perf_event_mlock_kb, or use --backend ptrace)");
	default:
		return snprintf(buf, size, "perf_event_open on %d: failed: %s "
		    "(use --backend ptrace)", pid, strerror(-f->err));
	}
}

bool
gates_all_allowed(const struct gate_facts *f)
{
	return f->perf_privileged || (f->paranoid != -100 && f->paranoid <= 0);
}

int
gates_all_cause(const struct gate_facts *f, char *buf, size_t size)
{
	if (f->seccomp_denies)
		return snprintf(buf, size, "-a: sampling every CPU: not "
		    "permitted: a seccomp filter refuses perf_event_open, as "
		    "Docker's default profile does without CAP_PERFMON "
		    "(--cap-add PERFMON)");
	if (!gates_all_allowed(f))
		return snprintf(buf, size, "-a: sampling every CPU: not "
		    "permitted: perf_event_paranoid is %d and we lack "
		    "CAP_PERFMON (run as root or with CAP_PERFMON, or `sysctl "
		    "kernel.perf_event_paranoid=0`)", f->paranoid);
	switch (f->err) {
	case -EPERM:
	case -EACCES:
		return snprintf(buf, size, "-a: sampling every CPU: not "
		    "permitted: refused although we are root or hold "
		    "CAP_PERFMON, by a security module? (check dmesg and the "
		    "audit log)");
	case -ENOMEM:
	case PERF_ERR_MMAP:
	case -EMFILE:
	case -ENFILE:
	case -ENOSYS:
		return gates_perf_cause(f, buf, size);
	default:
		return snprintf(buf, size, "-a: perf_event_open on every CPU: "
		    "failed: %s", strerror(-f->err));
	}
}
