/* SPDX-License-Identifier: MIT */
/* Unit tests of the permission gates (src/sampler/gates.c): every branch
 * of the ptrace and perf_event_open causes, from simulated facts - Yama
 * scopes 1/2/3, perf_event_paranoid 2/3, missing capabilities, another
 * user, another tracer, a seccomp filter - which this machine may not
 * have. Each cause must be one line shaped "what happened: why (how to
 * fix)", name its gate and say how to fix it; then the facts gathered
 * here must match /proc. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/sampler/gates.h"
#include "../../src/sampler/perf_internal.h"
#include "tap.h"

#define PID 4242
#define ME 1000
#define OTHER 1001
#define MAX_CASES 32

struct gate_case {
	const char *name;
	enum gate_call call;
	struct gate_facts f;
	const char *why;	/* must appear before the parenthesis */
	const char *fix;	/* must appear inside it */
};

/* An unprivileged user on a permissive system, own target: every case
 * overrides only what its gate needs, hence overridden initializers. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define BASE .err = -EPERM, .pid = PID, .yama = 0, .paranoid = 2, \
	.target_uid = ME, .euid = ME

static const struct gate_case cases[] = {
	/* ptrace */
	{ "ptrace: another tracer", GATE_PTRACE, { BASE, .tracer = 77 },
	    "already traced by TracerPid 77", "detach gdb or strace" },
	{ "ptrace: seccomp filter", GATE_PTRACE,
	    { BASE, .seccomp_denies = true, .yama = 1 },
	    "a seccomp filter refuses ptrace", "allows ptrace" },
	{ "ptrace: Yama 3", GATE_PTRACE, { BASE, .yama = 3,
	    .cap_sys_ptrace = true }, "Yama ptrace_scope is 3",
	    "--backend perf" },
	{ "ptrace: Yama 2 without CAP_SYS_PTRACE", GATE_PTRACE,
	    { BASE, .yama = 2 }, "Yama ptrace_scope is 2, admin only",
	    "CAP_SYS_PTRACE" },
	{ "ptrace: Yama 1 without CAP_SYS_PTRACE", GATE_PTRACE,
	    { BASE, .yama = 1 }, "Yama ptrace_scope is 1, descendants only",
	    "launch the command under ctop-prof" },
	{ "ptrace: another user", GATE_PTRACE,
	    { BASE, .target_uid = OTHER }, "belongs to uid 1001, we are "
	    "uid 1000", "run as that user or root" },
	{ "ptrace: no Yama, same user, missing CAP_SYS_PTRACE", GATE_PTRACE,
	    { BASE, .yama = -1 }, "missing CAP_SYS_PTRACE",
	    "--cap-add SYS_PTRACE" },
	{ "ptrace: refused with CAP_SYS_PTRACE held", GATE_PTRACE,
	    { BASE, .yama = 1, .cap_sys_ptrace = true, .target_uid = OTHER },
	    "with CAP_SYS_PTRACE held", "check dmesg" },
	/* perf_event_open */
	{ "perf: no such process", GATE_PERF, { BASE, .err = -ESRCH },
	    "no such process", "check the PID" },
	{ "perf: no perf events", GATE_PERF, { BASE, .err = -ENOSYS },
	    "CONFIG_PERF_EVENTS is off", "--backend ptrace" },
	{ "perf: seccomp filter (Docker's default profile)", GATE_PERF,
	    { BASE, .seccomp_denies = true, .perf_privileged = true },
	    "a seccomp filter refuses it", "--cap-add PERFMON" },
	{ "perf: refused although privileged", GATE_PERF,
	    { BASE, .err = -EACCES, .perf_privileged = true, .paranoid = 3 },
	    "refused although we are root or hold CAP_PERFMON",
	    "check dmesg" },
	{ "perf: paranoid 3 (Debian, Ubuntu)", GATE_PERF,
	    { BASE, .paranoid = 3, .target_uid = OTHER },
	    "perf_event_paranoid is 3", "kernel.perf_event_paranoid=2" },
	{ "perf: paranoid 4 reads as 3's gate", GATE_PERF,
	    { BASE, .err = -EACCES, .paranoid = 4 },
	    "perf_event_paranoid is 4", "--backend ptrace" },
	{ "perf: another user at paranoid 2", GATE_PERF,
	    { BASE, .err = -EACCES, .target_uid = OTHER },
	    "belongs to uid 1001, we are uid 1000", "CAP_PERFMON" },
	{ "perf: missing CAP_PERFMON at paranoid 2", GATE_PERF,
	    { BASE, .err = -EACCES },
	    "missing CAP_PERFMON at perf_event_paranoid 2",
	    "run as root or with CAP_PERFMON" },
	{ "perf: missing CAP_PERFMON at paranoid 1", GATE_PERF,
	    { BASE, .paranoid = 1 },
	    "missing CAP_PERFMON at perf_event_paranoid 1", "--backend ptrace" },
	{ "perf: out of file descriptors", GATE_PERF, { BASE, .err = -EMFILE },
	    "out of file descriptors", "ulimit -n" },
	{ "perf: system out of files", GATE_PERF, { BASE, .err = -ENFILE },
	    "file table is full", "fs.file-max" },
	{ "perf: ring not mapped", GATE_PERF, { BASE, .err = PERF_ERR_MMAP },
	    "out of locked memory", "ulimit -l" },
	{ "perf: another errno", GATE_PERF, { BASE, .err = -EINVAL },
	    "failed: Invalid argument", "--backend ptrace" },
};
#define NCASES (sizeof cases / sizeof cases[0])

static int
cause_of(const struct gate_case *c, char *buf, size_t size)
{
	return c->call == GATE_PTRACE ? gates_ptrace_cause(&c->f, buf, size) :
	    gates_perf_cause(&c->f, buf, size);
}

/* "what happened: why (how to fix)": a known "what", a colon, a why
 * before the last " (", a fix that closes the line, no newline. */
static const char *
shape_error(const struct gate_case *c, const char *msg)
{
	const char *open = strrchr(msg, '('), *why;
	static char what[64];

	if (strchr(msg, '\n'))
		return "more than one line";
	if (c->call == GATE_PTRACE)
		snprintf(what, sizeof what, "attach to %d: ", PID);
	else if (c->f.err == -ESRCH || c->f.err == -EPERM ||
	    c->f.err == -EACCES || c->f.err == -EINVAL)
		snprintf(what, sizeof what, "perf_event_open on %d: ", PID);
	else
		snprintf(what, sizeof what, "perf");
	if (strncmp(msg, what, strlen(what)) != 0)
		return "does not start with what happened";
	why = strstr(msg, ": ");
	if (!open || open < msg + 2 || open[-1] != ' ' || !why || why > open)
		return "no \": why (\"";
	if (msg[strlen(msg) - 1] != ')')
		return "does not end with the fix in parentheses";
	if (!strstr(why, c->why) || strstr(why, c->why) > open)
		return "the why is missing or misplaced";
	if (!strstr(open, c->fix))
		return "the fix is missing";
	return NULL;
}

static void
test_causes(void)
{
	static char msgs[MAX_CASES][512];
	unsigned dup = 0;
	const char *bad;
	int n;

	for (size_t i = 0; i < NCASES; i++) {
		n = cause_of(&cases[i], msgs[i], sizeof msgs[i]);
		bad = n >= (int)sizeof msgs[i] ? "truncated" :
		    shape_error(&cases[i], msgs[i]);
		ok(bad == NULL, "%s: %s", cases[i].name, msgs[i]);
		if (bad)
			diag("%s (want why \"%s\", fix \"%s\")", bad,
			    cases[i].why, cases[i].fix);
	}
	for (size_t i = 0; i < NCASES; i++)
		for (size_t j = i + 1; j < NCASES; j++)
			if (strcmp(msgs[i], msgs[j]) == 0) {
				diag("same cause: %s / %s", cases[i].name,
				    cases[j].name);
				dup++;
			}
	is_int(dup, 0, "%zu causes, all different", NCASES);
}

/* Precedence: the gate that certainly refused comes first. */
static void
test_order(void)
{
	struct gate_facts f = { BASE, .yama = 3, .tracer = 9,
	    .seccomp_denies = true, .target_uid = OTHER };
	char buf[512];

	gates_ptrace_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "TracerPid 9") != NULL, "ptrace: a tracer before "
	    "everything: %s", buf);
	f.tracer = 0;
	gates_ptrace_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "seccomp") != NULL, "ptrace: a seccomp filter before "
	    "Yama 3: %s", buf);
	f.seccomp_denies = false;
	f.yama = 1;
	f.cap_sys_ptrace = true;
	gates_ptrace_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "CAP_SYS_PTRACE held") != NULL, "ptrace: Yama 1 and "
	    "another user do not refuse CAP_SYS_PTRACE: %s", buf);
	f = (struct gate_facts){ BASE, .paranoid = 3, .perf_privileged = true };
	gates_perf_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "paranoid") == NULL && strstr(buf, "root or hold"),
	    "perf: paranoid 3 does not apply to the privileged: %s", buf);
	f.seccomp_denies = true;
	gates_perf_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "seccomp") != NULL, "perf: a seccomp filter refuses "
	    "even root (Docker): %s", buf);
	f = (struct gate_facts){ BASE, .err = -ESRCH, .seccomp_denies = true };
	gates_perf_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "no such process") != NULL, "perf: ESRCH is never a "
	    "gate: %s", buf);
}

/* Gathering on this machine: ourselves as the target, no filter. */
static void
test_gather(void)
{
	struct gate_facts f;
	char buf[64];
	FILE *fp;
	int yama = -1, par = -100, seccomp = 0;

	fp = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	if (fp) {
		if (fscanf(fp, "%d", &yama) != 1)
			yama = -1;
		fclose(fp);
	}
	fp = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	if (fp) {
		if (fscanf(fp, "%d", &par) != 1)
			par = -100;
		fclose(fp);
	}
	fp = fopen("/proc/self/status", "r");
	while (fp && fgets(buf, sizeof buf, fp))
		if (strncmp(buf, "Seccomp:", 8) == 0)
			seccomp = atoi(buf + 8);
	if (fp)
		fclose(fp);
	gates_gather(&f, GATE_PERF, -EPERM, getpid());
	ok(f.err == -EPERM && f.pid == getpid() && f.yama == yama &&
	    f.paranoid == par && f.euid == geteuid() &&
	    f.target_uid == (long)getuid() && f.tracer == 0,
	    "gathered: yama %d, paranoid %d, uid %ld of %u, tracer %d",
	    f.yama, f.paranoid, f.target_uid, (unsigned)f.euid, f.tracer);
	if (seccomp == 2)
		skip("this test runs under a seccomp filter",
		    "no seccomp filter here: none blamed");
	else
		ok(!f.seccomp_denies, "no seccomp filter here: none blamed");
	gates_gather(&f, GATE_PTRACE, -ESRCH, getpid());
	ok(!f.seccomp_denies, "ESRCH: seccomp not even asked");
}

/* -a: CPU-wide events, allowed to the privileged or at paranoid <= 0. */
static void
test_all(void)
{
	struct gate_facts f = { BASE, .err = -EACCES, .pid = -1 };
	char buf[512];

	ok(!gates_all_allowed(&f), "-a: a user at paranoid 2 is refused");
	gates_all_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "-a: sampling every CPU: not permitted: "
	    "perf_event_paranoid is 2") == buf &&
	    strstr(buf, "kernel.perf_event_paranoid=0") != NULL,
	    "-a: the cause names the gate and the fix: %s", buf);
	f.paranoid = 1;
	ok(!gates_all_allowed(&f), "-a: paranoid 1 still refuses it");
	f.paranoid = 0;
	ok(gates_all_allowed(&f), "-a: paranoid 0 allows it");
	f = (struct gate_facts){ BASE, .paranoid = 3, .perf_privileged = true };
	ok(gates_all_allowed(&f), "-a: root or CAP_PERFMON at any paranoid");
	f.seccomp_denies = true;
	gates_all_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "seccomp") != NULL, "-a: a seccomp filter: %s", buf);
	f = (struct gate_facts){ BASE, .err = -EMFILE, .paranoid = 0 };
	gates_all_cause(&f, buf, sizeof buf);
	ok(strstr(buf, "file descriptors") != NULL, "-a: other failures as "
	    "for one process: %s", buf);
	f.paranoid = -100;
	ok(!gates_all_allowed(&f), "-a: an unknown paranoid level is no "
	    "permission");
}

int
main(void)
{
	test_causes();
	test_order();
	test_all();
	test_gather();
	return done_testing();
}
