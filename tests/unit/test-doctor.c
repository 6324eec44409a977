/* SPDX-License-Identifier: MIT */
/* Unit tests of the permission doctor (--check, src/doctor/): from
 * simulated gates (what the kernel would answer: Yama scopes 0 to 3, a
 * tracer, a seccomp filter, another user, perf_event_paranoid refusing
 * all or kernel samples only, kptr_restrict, a CPython target), the
 * ptrace verdict the sampler foretells, the lines printed, the backend
 * --backend auto would run and the verdict; then one module line per
 * case of what a file gives for naming; then the real facts of this
 * machine against /proc. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctop/doctor.h"
#include "ctop/sampler.h"
#include "ctop/symbols.h"
#include "../tap.h"

#define PID 4242
#define ME 1000
#define OTHER 1001

struct doctor_case {
	const char *name;
	struct sampler_access a;
	bool python;
	bool works;		/* the verdict */
	const char *backend;	/* in the backend line, or NULL: none */
	const char *has[3];	/* lines the report must hold */
};

#pragma GCC diagnostic ignored "-Woverride-init"
/* An unprivileged user, permissive system, own live target. */
#define BASE .pid = PID, .yama = 0, .paranoid = 2, .kptr_restrict = 0, \
	.euid = ME, .target_uid = ME, .state = 'R', .kallsyms_addrs = false, \
	.perf_kernel_err = -EACCES

static const struct doctor_case cases[] = {
	{ "own process, scope 0: perf runs, kernel hidden",
	  { BASE }, false, true, "runs perf",
	  { "perf: allowed on 4242, user space only", "ptrace: allowed on "
	    "4242", "(kptr_restrict 0, perf_event_paranoid 2): kernel "
	    "frames unnamed (fix: CAP_SYSLOG, or `sysctl "
	    "kernel.perf_event_paranoid=1`)" } },
	{ "kptr_restrict 1: CAP_SYSLOG alone shows kernel symbols",
	  { BASE, .kptr_restrict = 1 }, false, true, "runs perf",
	  { "(kptr_restrict 1): kernel frames unnamed (fix: CAP_SYSLOG "
	    "(root has it))" } },
	{ "kptr_restrict 2: hidden from everyone, root too",
	  { BASE, .kptr_restrict = 2, .euid = 0 }, false, true, "runs perf",
	  { "(kptr_restrict 2): kernel frames unnamed (fix: `sysctl "
	    "kernel.kptr_restrict=1`, then run with CAP_SYSLOG" } },
	{ "root: kernel frames and other users visible",
	  { BASE, .euid = 0, .target_uid = OTHER, .cap_sys_ptrace = true,
	    .cap_perfmon = true, .perf_kernel_err = 0,
	    .kallsyms_addrs = true }, false, true, "runs perf",
	  { "kernel frames visible", "can be profiled (root",
	    "/proc/kallsyms shows addresses" } },
	{ "Yama 1, perf refused (paranoid 3): nothing works",
	  { BASE, .yama = 1, .paranoid = 3, .perf_err = -EACCES },
	  false, false, NULL,
	  { "descendants only", "perf: refused: perf_event_open on 4242: "
	    "not permitted: perf_event_paranoid is 3", "ptrace: refused: "
	    "attach to 4242: not permitted: Yama ptrace_scope is 1" } },
	{ "Yama 1 with CAP_SYS_PTRACE: ptrace allowed",
	  { BASE, .yama = 1, .cap_sys_ptrace = true, .perf_err = -EACCES },
	  false, true, "runs ptrace (perf refused)",
	  { "ptrace: allowed on 4242", NULL, NULL } },
	{ "Yama 2 without the capability",
	  { BASE, .yama = 2, .perf_err = -EACCES }, false, false, NULL,
	  { "admin only", "Yama ptrace_scope is 2", NULL } },
	{ "Yama 3: ptrace off, perf still runs",
	  { BASE, .yama = 3 }, false, true, "runs perf",
	  { "(no ptrace)", "ptrace: refused: attach to 4242: not permitted: "
	    "Yama ptrace_scope is 3", NULL } },
	{ "another tracer holds it",
	  { BASE, .tracer = 77, .perf_err = -EACCES }, false, false, NULL,
	  { "already traced by TracerPid 77", NULL, NULL } },
	{ "a seccomp filter refuses both (a container)",
	  { BASE, .seccomp = 2, .seccomp_ptrace = true, .seccomp_perf = true,
	    .perf_err = -EPERM, .container = true,
	    .container_why = "/.dockerenv exists" }, false, false, NULL,
	  { "seccomp filter; in a container: /.dockerenv exists",
	    "a seccomp filter refuses ptrace", "a seccomp filter refuses "
	    "it" } },
	{ "another user's process, no capabilities",
	  { BASE, .target_uid = OTHER, .perf_err = -EACCES }, false, false,
	  NULL, { "belongs to uid 1001", "cannot be profiled (fix:", NULL } },
	{ "no such process",
	  { BASE, .state = 0, .target_uid = -1, .perf_err = -ESRCH }, false,
	  false, NULL, { "attach to 4242: no such process", NULL, NULL } },
	{ "a kernel thread (perf_event_open would take it, as root)",
	  { BASE, .euid = 0, .cap_sys_ptrace = true, .kernel_thread = true,
	    .perf_err = 0 }, false, false, NULL,
	  { "perf: refused: attach to 4242: a kernel thread", NULL, NULL } },
	{ "a CPython target: auto runs ptrace",
	  { BASE }, true, true, "runs ptrace (a CPython target",
	  { NULL, NULL, NULL } },
	{ "launching, Yama 1 without capabilities: our own child",
	  { BASE, .pid = 0, .yama = 1, .target_uid = -1, .state = 0,
	    .paranoid = 3, .perf_err = -EACCES }, false, true,
	  "runs ptrace (perf refused)",
	  { "ptrace: allowed on a launched command", NULL, NULL } },
	{ "launching, Yama 2 without capabilities",
	  { BASE, .pid = 0, .yama = 2, .target_uid = -1, .state = 0 }, false,
	  true, "runs perf",
	  { "launch: ptrace of our own child refused: Yama ptrace_scope is "
	    "2", NULL, NULL } },
};

static char *
report(const struct doctor_case *c, bool *works)
{
	struct sampler_access a = c->a;
	char *buf = NULL, why[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	/* As the sampler does: the ptrace verdict from the gates, the perf
	 * cause from the kernel's answer. */
	sampler_access_judge(&a);
	*works = doctor_print_access(f, &a, c->python, why, sizeof why);
	if (!*works)
		fprintf(f, "verdict: %s\n", why);
	fclose(f);
	return buf;
}

static void
check_case(const struct doctor_case *c)
{
	bool works;
	char *out = report(c, &works);
	size_t i;

	if (!out) {
		ok(false, "%s: report", c->name);
		return;
	}
	ok(works == c->works, "%s: verdict %s", c->name,
	    works ? "works" : "cannot work");
	if (c->backend)
		ok(strstr(out, c->backend) != NULL, "%s: backend '%s'",
		    c->name, c->backend);
	else
		ok(strstr(out, "backend: none can run") != NULL &&
		    strstr(out, "verdict: ") != NULL &&
		    strstr(strstr(out, "verdict: "), "(") != NULL,
		    "%s: no backend, and the verdict says why and how to fix",
		    c->name);
	for (i = 0; i < 3; i++)
		if (c->has[i])
			ok(strstr(out, c->has[i]) != NULL, "%s: says '%s'",
			    c->name, c->has[i]);
	if (!ok(strchr(out, '\n') && out[strlen(out) - 1] == '\n',
	    "%s: whole lines", c->name))
		diag("%s", out);
	free(out);
}

static char *
module_line(const char *path, const struct symbols_file_report *r,
    const char *fix)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	doctor_print_module(f, path, r, fix);
	fclose(f);
	return buf;
}

static void
check_modules(void)
{
	struct symbols_file_report r = { .elf = true, .nsyms = 12,
	    .symtab = true, .dwarf = true, .unwind_tables = true };
	char *s;

	s = module_line("/bin/x", &r, NULL);
	ok(s && strstr(s, "module /bin/x: 12 symbols (.symtab), DWARF "
	    "(file:line, inline frames)\n"), "module with everything: %s",
	    s ? s : "?");
	free(s);
	r.symtab = false;
	r.dwarf = false;
	r.unwind_tables = false;
	s = module_line("/bin/y", &r, "apt install y-dbgsym");
	ok(s && strstr(s, ".dynsym only") && strstr(s, "no DWARF") &&
	    strstr(s, "no unwind tables") &&
	    strstr(s, "(fix: apt install y-dbgsym)"),
	    "stripped module: what is missing and the fix: %s", s ? s : "?");
	free(s);
	r.nsyms = 0;
	s = module_line("/bin/\033[31mz", &r, NULL);
	ok(s && strstr(s, "module+offset") && !strchr(s, '\033'),
	    "no symbols at all, and the path escaped: %s", s ? s : "?");
	free(s);
	memset(&r, 0, sizeof r);
	s = module_line("/bin/w", &r, NULL);
	ok(s && strstr(s, "not readable as ELF"), "not ELF: %s", s ? s : "?");
	free(s);
}

/* The real facts: this process, as /proc says. */
static void
check_real(void)
{
	struct sampler_access a;
	struct symbols_file_report r;
	char exe[4096];
	ssize_t n;

	sampler_access_check(getpid(), &a);
	ok(a.pid == getpid() && a.state != 0 && a.euid == geteuid() &&
	    a.target_uid == (long)getuid(), "real: our own process, our uid");
	ok(a.ptrace_ok == (a.yama != 3 && a.yama != 2 && !a.seccomp_ptrace)
	    || a.cap_sys_ptrace, "real: ptrace verdict follows the gates "
	    "(Yama %d)", a.yama);
	sampler_access_check(0, &a);
	ok(a.pid == 0 && a.target_uid == -1, "real: a launch has no target");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	ok(symbols_file_report(exe, &r) == 0 && r.elf && r.nsyms > 0 &&
	    r.symtab && r.dwarf && r.unwind_tables,
	    "real: this test program (built -g) has symbols, DWARF, tables");
	ok(symbols_file_report("/proc/self/status", &r) < 0 && !r.elf,
	    "real: a non-ELF file is refused");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_case(&cases[i]);
	check_modules();
	check_real();
	return done_testing();
}
