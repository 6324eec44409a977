/* SPDX-License-Identifier: MIT */
/* sampler: what the kernel lets us do to a process, for the permission
 * doctor (--check). The gates are read from /proc as gates.c reads them
 * when a call fails; perf is asked for real (a disabled event, opened and
 * closed: nothing is sampled), ptrace is foretold from the gates (an
 * attach, even a short one, is not ours to make on a --check). */
#include "config.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctop/sampler.h"
#include "gates.h"
#include "internal.h"
#include "perf_internal.h"

#define CAP_SYS_PTRACE_BIT 19
#define CAP_SYS_ADMIN_BIT 21
#define CAP_SYSLOG_BIT 34
#define CAP_PERFMON_BIT 38
#define PF_KTHREAD_FLAG 0x00200000ul

static int
read_int(const char *path, int unknown)
{
	char buf[32];

	if (sampler__proc_read(path, buf, sizeof buf) <= 0)
		return unknown;
	return atoi(buf);
}

static int
status_field(const char *name)
{
	char buf[4096];
	const char *p;

	if (sampler__proc_read("/proc/self/status", buf, sizeof buf) < 0)
		return 0;
	p = strstr(buf, name);
	return p ? atoi(p + strlen(name)) : 0;
}

/* A disabled cpu-clock event on pid (every CPU), closed at once: 0 or
 * the kernel's -errno. */
static int
perf_ask(pid_t pid, bool kernel)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = !kernel;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, pid ? pid : getpid(), -1, -1,
	    0);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

/* Whether /proc/kallsyms shows addresses (kptr_restrict and our
 * capabilities decide): its first line's address is not all zeros. */
static bool
kallsyms_visible(void)
{
	char buf[256];

	if (sampler__proc_read("/proc/kallsyms", buf, sizeof buf) <= 0)
		return false;
	return strspn(buf, "0") < 16 && buf[0] != ' ';
}

static void
container_check(struct sampler_access *a)
{
	char self[64] = "", init[64] = "", cg[1024];
	ssize_t n1, n2;

	if (access("/.dockerenv", F_OK) == 0)
		snprintf(a->container_why, sizeof a->container_why,
		    "/.dockerenv exists");
	else if (access("/run/.containerenv", F_OK) == 0)
		snprintf(a->container_why, sizeof a->container_why,
		    "/run/.containerenv exists");
	else if (sampler__proc_read("/proc/1/cgroup", cg, sizeof cg) > 0 &&
	    (strstr(cg, "docker") || strstr(cg, "kubepods") ||
	    strstr(cg, "lxc")))
		snprintf(a->container_why, sizeof a->container_why,
		    "init's cgroup names a container runtime");
	n1 = readlink("/proc/self/ns/pid", self, sizeof self - 1);
	n2 = readlink("/proc/1/ns/pid", init, sizeof init - 1);
	if (!a->container_why[0] && n1 > 0 && n2 > 0 &&
	    strcmp(self, init) != 0)
		snprintf(a->container_why, sizeof a->container_why,
		    "another pid namespace than init's");
	a->container = a->container_why[0] != '\0';
}

static void
target_facts(struct sampler_access *a)
{
	char path[64], buf[1024];
	unsigned long flags = 0;

	a->target_uid = -1;
	if (a->pid <= 0)
		return;
	snprintf(path, sizeof path, "/proc/%d/stat", a->pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0 ||
	    sampler__proc_stat(buf, &a->state, &flags) < 0) {
		a->state = 0;
		return;
	}
	a->kernel_thread = (flags & PF_KTHREAD_FLAG) != 0;
	a->target_uid = sampler__proc_uid(a->pid);
	a->tracer = sampler__proc_tracer(a->pid, 0);
}

static void
judge_ptrace(struct sampler_access *a)
{
	struct gate_facts f;
	bool cap = a->cap_sys_ptrace, other;

	a->ptrace_why[0] = '\0';
	other = a->target_uid >= 0 && (uid_t)a->target_uid != a->euid;
	if (a->pid > 0 && a->state == 0) {
		snprintf(a->ptrace_why, sizeof a->ptrace_why, "attach to %d: "
		    "no such process (check the PID)", a->pid);
	} else if (a->pid > 0 && a->kernel_thread) {
		snprintf(a->ptrace_why, sizeof a->ptrace_why, "attach to %d: "
		    "a kernel thread: it has no user space to sample (pick a "
		    "user process)", a->pid);
	} else if (a->pid > 0 && (a->state == 'Z' || a->state == 'X')) {
		snprintf(a->ptrace_why, sizeof a->ptrace_why, "attach to %d: "
		    "a zombie: it has exited (nothing to profile)", a->pid);
	} else if (a->pid <= 0) {
		/* Our own child: only a filter, scope 3, or scope 2 without
		 * the capability stop it. */
		if (a->seccomp_ptrace || a->yama == 3 ||
		    (a->yama == 2 && !cap))
			snprintf(a->ptrace_why, sizeof a->ptrace_why,
			    "launch: ptrace of our own child refused: %s",
			    a->seccomp_ptrace ? "a seccomp filter refuses "
			    "ptrace (in a container: a seccomp profile that "
			    "allows it, and --cap-add SYS_PTRACE)" :
			    a->yama == 3 ? "Yama ptrace_scope is 3 (boot with "
			    "a lower kernel.yama.ptrace_scope, or use "
			    "--backend perf)" : "Yama ptrace_scope is 2 (run "
			    "as root or with CAP_SYS_PTRACE, or use --backend "
			    "perf)");
	} else if (a->tracer > 0 || a->seccomp_ptrace || a->yama == 3 ||
	    ((a->yama == 1 || a->yama == 2 || other) && !cap)) {
		memset(&f, 0, sizeof f);
		f.err = -EPERM;
		f.pid = a->pid;
		f.yama = a->yama;
		f.paranoid = a->paranoid;
		f.cap_sys_ptrace = cap;
		f.perf_privileged = a->euid == 0 || a->cap_perfmon ||
		    a->cap_sys_admin;
		f.target_uid = a->target_uid;
		f.euid = a->euid;
		f.tracer = a->tracer;
		f.seccomp_denies = a->seccomp_ptrace;
		gates_ptrace_cause(&f, a->ptrace_why, sizeof a->ptrace_why);
	}
	a->ptrace_ok = a->ptrace_why[0] == '\0';
}

static void
judge_perf(struct sampler_access *a)
{
	struct gate_facts f;

	a->perf_why[0] = '\0';
	/* What perf_event_open would accept but is no target (the perf
	 * backend's own precheck refuses it the same way). */
	if (a->pid > 0 && (a->kernel_thread || a->state == 'Z' ||
	    a->state == 'X')) {
		a->perf_err = -EPERM;
		snprintf(a->perf_why, sizeof a->perf_why, "%s", a->ptrace_why);
		return;
	}
	if (a->perf_err == 0)
		return;
	memset(&f, 0, sizeof f);
	f.err = a->perf_err;
	f.pid = a->pid > 0 ? a->pid : getpid();
	f.yama = a->yama;
	f.paranoid = a->paranoid;
	f.cap_sys_ptrace = a->cap_sys_ptrace;
	f.perf_privileged = a->euid == 0 || a->cap_perfmon || a->cap_sys_admin;
	f.target_uid = a->target_uid;
	f.euid = a->euid;
	f.seccomp_denies = a->seccomp_perf;
	gates_perf_cause(&f, a->perf_why, sizeof a->perf_why);
}

/* Which of the namespaces that matter to a profiler (mnt: the paths in
 * its maps; pid: its pids, and the name of its JIT map) the target does
 * not share with us. */
static void
target_ns_check(struct sampler_access *a)
{
	static const char *const kinds[] = { "mnt", "pid" };
	char path[64], ours[64], theirs[64];
	size_t used = 0;

	if (a->pid <= 0)
		return;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		ssize_t n1, n2;

		snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
		n1 = readlink(path, ours, sizeof ours - 1);
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)a->pid,
		    kinds[i]);
		n2 = readlink(path, theirs, sizeof theirs - 1);
		if (n1 <= 0 || n2 <= 0) {
			a->target_ns = -1;
			return;
		}
		ours[n1] = theirs[n2] = '\0';
		if (strcmp(ours, theirs) != 0)
			used += (size_t)snprintf(a->target_ns_names + used,
			    sizeof a->target_ns_names - used, "%s%s",
			    used ? ", " : "", kinds[i]);
	}
	a->target_ns = used > 0;
}

void
sampler_access_check(pid_t pid, struct sampler_access *a)
{
	memset(a, 0, sizeof *a);
	a->pid = pid;
	a->yama = sampler__proc_yama_scope();
	a->paranoid = perf__paranoid();
	a->kptr_restrict = read_int("/proc/sys/kernel/kptr_restrict", -1);
	a->seccomp = status_field("\nSeccomp:");
	a->cap_sys_ptrace = sampler__proc_has_cap(CAP_SYS_PTRACE_BIT);
	a->cap_perfmon = sampler__proc_has_cap(CAP_PERFMON_BIT);
	a->cap_sys_admin = sampler__proc_has_cap(CAP_SYS_ADMIN_BIT);
	a->cap_syslog = sampler__proc_has_cap(CAP_SYSLOG_BIT);
	a->euid = geteuid();
	target_facts(a);
	container_check(a);
	target_ns_check(a);
	a->seccomp_ptrace = gates_seccomp_denies(GATE_PTRACE);
	a->seccomp_perf = gates_seccomp_denies(GATE_PERF);
	a->perf_err = a->pid > 0 && a->state == 0 ? -ESRCH :
	    perf_ask(a->pid, false);
	a->perf_kernel_err = a->perf_err ? a->perf_err :
	    perf_ask(a->pid, true);
	a->kallsyms_addrs = kallsyms_visible();
	sampler_access_judge(a);
}

void
sampler_access_judge(struct sampler_access *a)
{
	judge_ptrace(a);
	judge_perf(a);
}
