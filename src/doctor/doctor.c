/* SPDX-License-Identifier: MIT */
/* doctor: `ctop-prof --check [PID]` (doctor.h says what it prints). The
 * gates come from the sampler (sampler_access_check), what a module gives
 * for naming from symbols (symbols_file_report), the debug package from
 * packages.c; this file only words them, one line each, and judges. Text
 * from the target (its name, its modules' paths) is escaped. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/doctor.h"
#include "ctop/python.h"
#include "ctop/sampler.h"
#include "ctop/symbols.h"
#include "ctop/termsafe.h"
#include "packages.h"

#define MAX_MODULES 64

/* One line: the literal prefix, then text from outside, escaped. */
static void
put_line(FILE *out, const char *prefix, const char *outside)
{
	fputs(prefix, out);
	termsafe_fputs(outside, out);
	fputc('\n', out);
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void
print_kernel(FILE *out, const struct sampler_access *a)
{
	char yama[64];

	if (a->yama < 0)
		snprintf(yama, sizeof yama, "no Yama");
	else
		snprintf(yama, sizeof yama, "Yama ptrace_scope %d (%s)",
		    a->yama, a->yama == 0 ? "classic" : a->yama == 1 ?
		    "descendants only" : a->yama == 2 ? "admin only" :
		    "no ptrace");
	fprintf(out, "kernel: %s; perf_event_paranoid %d; kptr_restrict %d; "
	    "seccomp %s; %s%s\n", yama, a->paranoid, a->kptr_restrict,
	    a->seccomp == 2 ? "filter" : a->seccomp == 1 ? "strict" : "off",
	    a->container ? "in a container: " : "not in a container",
	    a->container ? a->container_why : "");
	fprintf(out, "us: uid %u%s; CAP_SYS_PTRACE %s, CAP_PERFMON %s, "
	    "CAP_SYS_ADMIN %s, CAP_SYSLOG %s\n", (unsigned)a->euid,
	    a->euid == 0 ? " (root)" : "", yes_no(a->cap_sys_ptrace),
	    yes_no(a->cap_perfmon), yes_no(a->cap_sys_admin),
	    yes_no(a->cap_syslog));
}

/* A target in a container of its own: what ctop-prof does about it. */
static void
print_namespaces(FILE *out, const struct sampler_access *a)
{
	if (a->pid <= 0)
		return;
	if (a->target_ns < 0)
		fprintf(out, "namespaces: the target's are not readable "
		    "(another user's process)\n");
	else if (a->target_ns == 0)
		fprintf(out, "namespaces: the target shares ours (mnt, pid)\n");
	else
		fprintf(out, "namespaces: the target has its own (%s): its "
		    "files are read through /proc/%d/root, its JIT map by "
		    "its pid in there\n", a->target_ns_names, (int)a->pid);
}

static void
print_perf(FILE *out, const struct sampler_access *a, const char *on)
{
	if (a->perf_err) {
		fprintf(out, "perf: refused: %s\n", a->perf_why);
		return;
	}
	if (a->perf_kernel_err == 0)
		fprintf(out, "perf: allowed on %s, kernel frames visible\n",
		    on);
	else
		fprintf(out, "perf: allowed on %s, user space only: kernel "
		    "time is hidden (fix: CAP_PERFMON, or `sysctl "
		    "kernel.perf_event_paranoid=1`)\n", on);
}

static void
print_ptrace(FILE *out, const struct sampler_access *a, const char *on)
{
	if (a->ptrace_ok)
		fprintf(out, "ptrace: allowed on %s (each sample stops a "
		    "thread for a few microseconds)\n", on);
	else
		fprintf(out, "ptrace: refused: %s\n", a->ptrace_why);
}

/* Why /proc/kallsyms shows zeros, and the least change that shows
 * addresses. The kernel's rule (kallsyms_show_value): kptr_restrict 0
 * shows them with perf_event_paranoid <= 1 or CAP_SYSLOG; 1, with
 * CAP_SYSLOG only; 2, to nobody. */
static const char *
kallsyms_fix(const struct sampler_access *a)
{
	switch (a->kptr_restrict) {
	case 0:
		return "CAP_SYSLOG, or `sysctl kernel.perf_event_paranoid=1`";
	case 1:
		return "CAP_SYSLOG (root has it)";
	case 2:
		return "`sysctl kernel.kptr_restrict=1`, then run with "
		    "CAP_SYSLOG (root has it)";
	default:
		return "CAP_SYSLOG";
	}
}

static void
print_visibility(FILE *out, const struct sampler_access *a)
{
	bool priv = a->euid == 0 || a->cap_sys_ptrace;

	if (a->kallsyms_addrs)
		fprintf(out, "kernel symbols: /proc/kallsyms shows addresses: "
		    "kernel frames are named\n");
	else if (a->kptr_restrict == 0)
		fprintf(out, "kernel symbols: /proc/kallsyms hides addresses "
		    "(kptr_restrict 0, perf_event_paranoid %d): kernel frames "
		    "unnamed (fix: %s)\n", a->paranoid, kallsyms_fix(a));
	else
		fprintf(out, "kernel symbols: /proc/kallsyms hides addresses "
		    "(kptr_restrict %d): kernel frames unnamed (fix: %s)\n",
		    a->kptr_restrict, kallsyms_fix(a));
	fprintf(out, "other users' processes: %s\n", priv ? "can be "
	    "profiled (root or CAP_SYS_PTRACE)" : "cannot be profiled (fix: "
	    "run as their user, or with CAP_SYS_PTRACE and CAP_PERFMON)");
}

/* The backend --backend auto would run in cpu mode (sampler.c's
 * choice): perf when allowed, except for a CPython target. */
static const char *
auto_backend(const struct sampler_access *a, bool python, char *why,
    size_t size)
{
	if (a->perf_err == 0 && !python)
		return "perf (the target is never stopped)";
	if (a->ptrace_ok)
		return python && a->perf_err == 0 ? "ptrace (a CPython "
		    "target: its Python frames are read while the thread "
		    "is stopped)" : "ptrace (perf refused)";
	snprintf(why, size, "%s", a->pid > 0 ? a->ptrace_why :
	    a->perf_err ? a->perf_why : a->ptrace_why);
	return NULL;
}

bool
doctor_print_access(FILE *out, const struct sampler_access *a, bool python,
    char *why, size_t size)
{
	char on[32];
	const char *be;

	if (a->pid > 0)
		snprintf(on, sizeof on, "%d", a->pid);
	else
		snprintf(on, sizeof on, "a launched command");
	print_kernel(out, a);
	print_namespaces(out, a);
	print_perf(out, a, on);
	print_ptrace(out, a, on);
	print_visibility(out, a);
	why[0] = '\0';
	be = auto_backend(a, python, why, size);
	if (be)
		fprintf(out, "backend: --backend auto runs %s\n", be);
	else
		fprintf(out, "backend: none can run\n");
	return be != NULL;
}

void
doctor_print_module(FILE *out, const char *path,
    const struct symbols_file_report *r, const char *fix)
{
	char line[1024];
	int n;

	if (!r->elf) {
		snprintf(line, sizeof line, "%s: not readable as ELF: frames "
		    "in it show as module+offset", path);
		put_line(out, "module ", line);
		return;
	}
	n = snprintf(line, sizeof line, "%s: %d symbols%s", path, r->nsyms,
	    r->nsyms == 0 ? " (frames show as module+offset)" : r->symtab ?
	    " (.symtab)" : r->debugfile[0] ? "" : " (.dynsym only: static "
	    "functions unnamed)");
	if (r->dwarf)
		n += snprintf(line + n, sizeof line - (size_t)n, ", DWARF%s%s",
		    r->debugfile[0] ? " from " : " (file:line, inline frames)",
		    r->debugfile);
	else
		n += snprintf(line + n, sizeof line - (size_t)n, ", no DWARF: "
		    "no file:line or inline frames");
	if (!r->unwind_tables)
		n += snprintf(line + n, sizeof line - (size_t)n, ", no unwind "
		    "tables (frame pointers only)");
	if (fix && *fix && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, " (fix: %s)", fix);
	put_line(out, "module ", line);
}

struct module_list {
	char *path[MAX_MODULES];
	int n;
	bool more;
};

static void
module_add(struct module_list *ml, const char *path)
{
	for (int i = 0; i < ml->n; i++)
		if (strcmp(ml->path[i], path) == 0)
			return;
	if (ml->n == MAX_MODULES) {
		ml->more = true;
		return;
	}
	ml->path[ml->n] = strdup(path);
	if (ml->path[ml->n])
		ml->n++;
}

/* The files mapped executable in pid, in map order. */
static int
modules_of(pid_t pid, struct module_list *ml)
{
	char path[64], line[4096 + 128], perms[8];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof line, f)) {
		char *file = strchr(line, '/');

		if (sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x' ||
		    !file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		/* Deleted or replaced since mapped: not the file it ran. */
		if (!strstr(file, " (deleted)"))
			module_add(ml, file);
	}
	fclose(f);
	return 0;
}

static void
print_modules(FILE *out, pid_t pid)
{
	struct module_list ml = { .n = 0 };
	struct symbols_file_report r[MAX_MODULES];
	const char *need[MAX_MODULES];
	char (*fixes)[512] = calloc(MAX_MODULES, sizeof *fixes), seen[4200];
	int i, k = 0, n = 0;

	if (!fixes || modules_of(pid, &ml) < 0) {
		fprintf(out, "modules: /proc/%d/maps unreadable: no module "
		    "checked\n", (int)pid);
		free(fixes);
		return;
	}
	for (i = 0; i < ml.n; i++) {
		/* The file the target sees (its mount namespace), else ours. */
		snprintf(seen, sizeof seen, "/proc/%d/root%s", (int)pid,
		    ml.path[i]);
		if (symbols_file_report(seen, &r[i]) < 0)
			symbols_file_report(ml.path[i], &r[i]);
		if (r[i].elf && !r[i].dwarf)
			need[n++] = ml.path[i];
	}
	/* One dpkg and one apt run for every module that lacks DWARF. */
	if (n > 0)
		doctor__debug_fixes(need, (size_t)n, fixes);
	for (i = 0; i < ml.n; i++) {
		bool fixed = r[i].elf && !r[i].dwarf;

		doctor_print_module(out, ml.path[i], &r[i], fixed ? fixes[k]
		    : NULL);
		k += fixed;
		free(ml.path[i]);
	}
	free(fixes);
	if (ml.more)
		fprintf(out, "modules: more than %d, the rest not checked\n",
		    MAX_MODULES);
}

/* The target's name and whether it is CPython (auto's backend). */
static bool
print_target(FILE *out, pid_t pid)
{
	struct python_layout l;
	char path[64], comm[64] = "", *cause = NULL, line[256];
	bool python = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re"))) {
		if (fgets(comm, sizeof comm, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	switch (python_probe(pid, &l, &cause)) {
	case PYTHON_OK:
		python = true;
		snprintf(line, sizeof line, "%d (%s): %s, Python frames read",
		    (int)pid, comm, l.label);
		break;
	case PYTHON_UNSUPPORTED:
		snprintf(line, sizeof line, "%d (%s): python off: %s",
		    (int)pid, comm, cause ? cause : "unsupported");
		break;
	default:
		snprintf(line, sizeof line, "%d (%s)", (int)pid, comm);
	}
	free(cause);
	put_line(out, "target: ", line);
	return python;
}

int
doctor_run(pid_t pid, FILE *out)
{
	struct sampler_access a;
	char why[512];
	bool python = false, works;

	sampler_access_check(pid, &a);
	if (pid > 0 && a.state != 0)
		python = print_target(out, pid);
	else if (pid > 0)
		fprintf(out, "target: %d: no such process\n", (int)pid);
	else
		fprintf(out, "target: none given: checking what launching a "
		    "command under ctop-prof needs\n");
	works = doctor_print_access(out, &a, python, why, sizeof why);
	if (pid > 0 && a.state != 0 && !a.kernel_thread)
		print_modules(out, pid);
	if (works)
		fprintf(out, "verdict: profiling %s works\n", pid > 0 ?
		    "this process" : "a launched command");
	else
		fprintf(out, "verdict: profiling %s cannot work: %s\n",
		    pid > 0 ? "this process" : "a launched command", why);
	fflush(out);
	return works ? 0 : 1;
}
