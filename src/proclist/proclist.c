/* SPDX-License-Identifier: MIT */
/* proclist: a top-like scan of /proc for the process picker. CPU shares
 * come from each process's utime + stime (stat) between two scans, as
 * top's; whether a process may be profiled is judged by the sampler's
 * gates (sampler_access_judge) from this system's facts, gathered once,
 * and the process's own (owner, tracer, state): no process is asked. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctop/proclist.h"
#include "ctop/sampler.h"
#include "ctop/util.h"

#define PF_KTHREAD_FLAG 0x00200000ul

struct ticks {
	pid_t pid;
	uint64_t start;		/* starttime: a reused pid is another */
	uint64_t ticks;		/* utime + stime */
};

struct proclist {
	struct sampler_access sys;	/* this system's gates (pid 0) */
	struct proc_row *rows;
	size_t n, cap;
	struct ticks *prev, *cur;	/* by pid, ascending */
	size_t nprev, ncur, capprev, capcur;
	uint64_t prev_ns;
	long hz;			/* clock ticks per second */
	uint64_t boot_ticks;		/* uptime at the scan, in ticks */
};

struct proclist *
proclist_new(void)
{
	struct proclist *pl = calloc(1, sizeof *pl);

	if (!pl)
		return NULL;
	sampler_access_check(0, &pl->sys);
	pl->hz = sysconf(_SC_CLK_TCK);
	if (pl->hz <= 0)
		pl->hz = 100;
	return pl;
}

void
proclist_free(struct proclist *pl)
{
	if (!pl)
		return;
	free(pl->rows);
	free(pl->prev);
	free(pl->cur);
	free(pl);
}

static ssize_t
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* /proc/PID/stat after the comm: state, flags, ticks, threads, start. */
struct stat_fields {
	char comm[16];
	char state;
	unsigned long flags;
	uint64_t ticks, start;
	unsigned threads;
};

static int
parse_stat(const char *buf, struct stat_fields *f)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	unsigned long long ut, st, start;
	long threads;
	size_t len;

	if (!open || !close || close < open)
		return -1;
	len = (size_t)(close - open - 1);
	if (len >= sizeof f->comm)
		len = sizeof f->comm - 1;
	memcpy(f->comm, open + 1, len);
	f->comm[len] = '\0';
	/* Fields 3 (state) on: 3 state, 9 flags, 14 utime, 15 stime, 20
	 * num_threads, 22 starttime. */
	if (sscanf(close + 2, "%c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u "
	    "%llu %llu %*d %*d %*d %*d %ld %*d %llu", &f->state, &f->flags,
	    &ut, &st, &threads, &start) != 6)
		return -1;
	f->ticks = ut + st;
	f->threads = threads > 0 ? (unsigned)threads : 0;
	f->start = start;
	return 0;
}

static uint64_t
status_rss_kb(pid_t pid, uid_t *uid, pid_t *tracer)
{
	char path[64], buf[4096];
	const char *p;
	uint64_t rss = 0;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	if ((p = strstr(buf, "\nVmRSS:")))
		rss = strtoull(p + 7, NULL, 10);
	if ((p = strstr(buf, "\nUid:")))
		*uid = (uid_t)strtoul(p + 5, NULL, 10);
	if ((p = strstr(buf, "\nTracerPid:")))
		*tracer = (pid_t)atoi(p + 11);
	return rss;
}

/* The command line with its NULs as spaces, control characters kept
 * (the UI escapes them); [comm] when it has none (exited, or hidden). */
static void
read_cmdline(pid_t pid, const char *comm, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	n = read_file(path, out, size);
	if (n <= 0) {
		snprintf(out, size, "[%s]", comm);
		return;
	}
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
}

static void
user_name(uid_t uid, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
		snprintf(out, size, "%s", pw.pw_name);
	else
		snprintf(out, size, "%u", (unsigned)uid);
}

static uint64_t
prev_ticks(const struct proclist *pl, pid_t pid, uint64_t start, bool *found)
{
	size_t lo = 0, hi = pl->nprev;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pl->prev[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < pl->nprev && pl->prev[lo].pid == pid &&
	    pl->prev[lo].start == start;
	return *found ? pl->prev[lo].ticks : 0;
}

/* Whether we may profile it: the gates with its owner, tracer, state. */
static void
judge(const struct proclist *pl, struct proc_row *r, char state,
    pid_t tracer)
{
	struct sampler_access a = pl->sys;
	bool priv = a.euid == 0 || a.cap_perfmon || a.cap_sys_admin;

	a.pid = r->pid;
	a.state = state;
	a.kernel_thread = false;
	a.target_uid = (long)r->uid;
	a.tracer = tracer;
	/* perf was asked on ourselves: another user's process needs the
	 * privilege as well. */
	if (a.perf_err == 0 && r->uid != a.euid && !priv)
		a.perf_err = -EACCES;
	sampler_access_judge(&a);
	r->profilable = a.ptrace_ok || a.perf_err == 0;
	snprintf(r->why, sizeof r->why, "%s", r->profilable ? "" :
	    a.ptrace_why);
}

static int
add_row(struct proclist *pl, pid_t pid, double secs)
{
	struct stat_fields f;
	struct proc_row *r;
	char path[64], buf[1024];
	pid_t tracer = 0;
	uint64_t before;
	bool seen;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof buf) < 0 || parse_stat(buf, &f) < 0 ||
	    (f.flags & PF_KTHREAD_FLAG))
		return 0;		/* gone, or a kernel thread */
	if (util_grow(&pl->rows, &pl->cap, pl->n + 1, sizeof *pl->rows, 256) ||
	    util_grow(&pl->cur, &pl->capcur, pl->ncur + 1, sizeof *pl->cur,
	    256))
		return -ENOMEM;
	pl->cur[pl->ncur++] = (struct ticks){ pid, f.start, f.ticks };
	r = &pl->rows[pl->n++];
	memset(r, 0, sizeof *r);
	r->pid = pid;
	memcpy(r->comm, f.comm, sizeof r->comm);
	r->threads = f.threads;
	before = prev_ticks(pl, pid, f.start, &seen);
	if (seen && secs > 0)
		r->cpu = 100.0 * (double)(f.ticks - before) / (double)pl->hz /
		    secs;
	else if (pl->boot_ticks > f.start)	/* since it started */
		r->cpu = 100.0 * (double)f.ticks /
		    (double)(pl->boot_ticks - f.start);
	r->rss_kb = status_rss_kb(pid, &r->uid, &tracer);
	user_name(r->uid, r->user, sizeof r->user);
	read_cmdline(pid, r->comm, r->cmd, sizeof r->cmd);
	judge(pl, r, f.state, tracer);
	return 0;
}

static int
by_cpu(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int
by_pid(const void *a, const void *b)
{
	const struct ticks *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static uint64_t
uptime_ticks(long hz)
{
	char buf[64];

	if (read_file("/proc/uptime", buf, sizeof buf) < 0)
		return 0;
	return (uint64_t)(strtod(buf, NULL) * (double)hz);
}

int
proclist_refresh(struct proclist *pl)
{
	uint64_t now = util_now_ns();
	double secs = pl->prev_ns ? (double)(now - pl->prev_ns) / 1e9 : 0;
	struct dirent *de;
	struct ticks *swap;
	size_t capswap;
	DIR *d = opendir("/proc");
	int err = 0;

	if (!d)
		return -errno;
	pl->n = pl->ncur = 0;
	pl->boot_ticks = uptime_ticks(pl->hz);
	while (!err && (de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]))
			err = add_row(pl, (pid_t)atoi(de->d_name), secs);
	closedir(d);
	qsort(pl->rows, pl->n, sizeof *pl->rows, by_cpu);
	qsort(pl->cur, pl->ncur, sizeof *pl->cur, by_pid);
	swap = pl->prev;
	capswap = pl->capprev;
	pl->prev = pl->cur;
	pl->capprev = pl->capcur;
	pl->nprev = pl->ncur;
	pl->cur = swap;
	pl->capcur = capswap;
	pl->prev_ns = now;
	return err;
}

size_t
proclist_rows(const struct proclist *pl, const struct proc_row **rows)
{
	*rows = pl->rows;
	return pl->n;
}
