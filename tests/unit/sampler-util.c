/* SPDX-License-Identifier: MIT */
/* Helpers for test-sampler: start and inspect target processes, and a
 * ring consumer that checks every record the sampler pushes. */
#include "config.h"

#include "sampler-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* tests/targets/ next to tests/unit/ where this binary lives. */
static void
target_path(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		n = 0;
	exe[n] = '\0';
	snprintf(out, size, "%s/../targets/%s", dirname(exe), name);
}

int
target_line(struct target *t, char *line, size_t size, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct pollfd p = { t->out, POLLIN, 0 };
	char *nl;
	size_t len;
	ssize_t n;

	for (;;) {
		nl = memchr(t->buf, '\n', t->have);
		if (nl) {
			len = (size_t)(nl - t->buf);
			if (len >= size)
				len = size - 1;
			memcpy(line, t->buf, len);
			line[len] = '\0';
			t->have -= (size_t)(nl + 1 - t->buf);
			memmove(t->buf, nl + 1, t->have);
			return 0;
		}
		if (now_ms() >= end || t->have == sizeof t->buf)
			return -1;
		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			continue;
		n = read(t->out, t->buf + t->have, sizeof t->buf - t->have);
		if (n <= 0)
			return -1;
		t->have += (size_t)n;
	}
}

int
target_start(struct target *t, const char *name, const char *const *args)
{
	char path[PATH_MAX], line[256];
	const char *argv[32];
	int p[2], i;

	memset(t, 0, sizeof *t);
	target_path(name, path, sizeof path);
	argv[0] = path;
	for (i = 0; args && args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* A test killed by the runner's timeout must not leave its
		 * busy target behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	t->out = p[0];
	if (target_line(t, line, sizeof line, 5000) < 0 ||
	    strcmp(line, "ready") != 0) {
		target_kill(t);
		return -1;
	}
	return 0;
}

void
target_kill(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	if (t->out > 0)
		close(t->out);
	t->out = -1;
}

static int
read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

int
task_list(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && n < max)
		if (atoi(de->d_name) > 0)
			tids[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

char
task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	if (read_text(path, buf, sizeof buf) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : 0;
}

int
task_tracer(pid_t pid, pid_t tid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
	if (read_text(path, buf, sizeof buf) < 0)
		return -1;
	p = strstr(buf, "TracerPid:");
	return p ? atoi(p + 10) : -1;
}

long
proc_cputime(pid_t pid)
{
	return thread_cputime(pid, 0);
}

long
thread_cputime(pid_t pid, pid_t tid)
{
	char path[64], buf[1024], *p;
	long ut = 0, st = 0;
	int i;

	if (tid > 0)
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_text(path, buf, sizeof buf) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	/* field 3 is state; utime is 14, stime 15 */
	for (i = 3; i < 14 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%ld %ld", &ut, &st) != 2)
		return -1;
	return ut + st;
}

uint64_t
proc_cpu_ns(pid_t pid)
{
	pid_t tids[4096];
	char path[96], buf[128];
	unsigned long long ns;
	uint64_t sum = 0;
	int n, i;

	n = task_list(pid, tids, 4096);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat",
		    (int)pid, (int)tids[i]);
		if (read_text(path, buf, sizeof buf) >= 0 &&
		    sscanf(buf, "%llu", &ns) == 1)
			sum += ns;
	}
	return sum;
}

static bool
healthy_once(pid_t pid, bool allow_stopped, char *why, size_t size)
{
	pid_t tids[4096];
	int n, i, tr;
	char st;

	n = task_list(pid, tids, 4096);
	if (n == 0) {
		snprintf(why, size, "no threads in /proc/%d/task", pid);
		return false;
	}
	for (i = 0; i < n; i++) {
		st = task_state(pid, tids[i]);
		tr = task_tracer(pid, tids[i]);
		if (tr > 0) {
			snprintf(why, size, "thread %d has TracerPid %d",
			    tids[i], tr);
			return false;
		}
		if (st == 't' || (st == 'T' && !allow_stopped)) {
			snprintf(why, size, "thread %d in state %c", tids[i],
			    st);
			return false;
		}
	}
	return true;
}

bool
target_healthy(pid_t pid, bool allow_stopped, char *why, size_t size)
{
	uint64_t end = now_ms() + 300;

	for (;;) {
		if (healthy_once(pid, allow_stopped, why, size))
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(5);
	}
}

static void
load_maps(struct collect *c)
{
	char path[64], line[1024], perms[8], name[512];
	unsigned long lo, hi;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", c->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		name[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %511s", &lo, &hi,
		    perms, name) < 3)
			continue;
		if (perms[2] == 'x' && c->nexec < 512) {
			c->exec[c->nexec].lo = lo;
			c->exec[c->nexec++].hi = hi;
		}
		if (strcmp(name, "[stack]") == 0) {
			c->stack.lo = lo;
			c->stack.hi = hi;
		}
	}
	fclose(f);
}

void
collect_init(struct collect *c, pid_t pid, size_t stack_size, bool check_mem)
{
	char path[64];

	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->stack_size = stack_size;
	c->check_mem = check_mem;
	c->exit_status = -2;
	c->memfd = -1;
	load_maps(c);
	if (check_mem) {
		snprintf(path, sizeof path, "/proc/%d/mem", pid);
		c->memfd = open(path, O_RDONLY);
	}
}

void
collect_fini(struct collect *c)
{
	if (c->memfd >= 0)
		close(c->memfd);
	free(c->tids);
	c->tids = NULL;
}

struct tid_stat *
collect_tid(struct collect *c, pid_t tid)
{
	unsigned i;

	for (i = 0; i < c->ntids; i++)
		if (c->tids[i].tid == tid)
			return &c->tids[i];
	if (c->ntids == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->tids = realloc(c->tids, c->cap * sizeof *c->tids);
		if (!c->tids)
			abort();
	}
	memset(&c->tids[c->ntids], 0, sizeof c->tids[0]);
	c->tids[c->ntids].tid = tid;
	return &c->tids[c->ntids++];
}

static bool
in_exec(struct collect *c, uint64_t ip)
{
	unsigned i;

	for (i = 0; i < c->nexec; i++)
		if (ip >= c->exec[i].lo && ip < c->exec[i].hi)
			return true;
	return false;
}

static void
check_mem(struct collect *c, const struct rec_sample *s)
{
	static unsigned char buf[1 << 17];
	size_t len;
	ssize_t n;

	if (c->memfd < 0 || s->stack_len == 0 || s->stack_len > sizeof buf)
		return;
	n = pread(c->memfd, buf, s->stack_len, (off_t)s->stack_addr);
	if (n != (ssize_t)s->stack_len)
		return;		/* the thread is gone */
	c->mem_checked++;
	/* The kernel rewrites the rseq area in the thread descriptor at the
	 * top of a thread's stack mapping when it migrates: skip it. */
	len = s->stack_len;
	if ((s->flags & SAMPLE_STACK_SHORT) && s->tid != c->pid)
		len = len > 256 ? len - 256 : 0;
	if (memcmp(buf, rec_sample_stack(s), len) != 0)
		c->mem_mismatch++;
}

static void
on_sample(struct collect *c, const struct rec_sample *s, size_t len)
{
	struct tid_stat *ts = collect_tid(c, s->tid);

	c->samples++;
	ts->samples++;
	c->weight += s->weight;
	ts->weight += s->weight;
	if (c->execs && s->time_ns > c->exec_ns) {
		c->after_exec++;
		c->after_exec_weight += s->weight;
	}
	if (len != rec_sample_size(s) ||
	    s->stack_len > c->stack_size)
		c->bad_len++;
	if (!in_exec(c, s->regs[CTOP_REG_RIP]))
		c->bad_rip++;
	if (s->stack_addr != s->regs[CTOP_REG_RSP])
		c->bad_sp++;
	if (s->stack_len == 0)
		c->empty++;
	if (s->flags & SAMPLE_OFF_CPU)
		ts->offcpu++;
	if (s->flags & SAMPLE_IN_KERNEL)
		ts->inkern++;
	if (s->flags & SAMPLE_STACK_SHORT) {
		ts->shortst++;
		/* main thread: the copy must end exactly at [stack]'s end */
		if (s->tid == c->pid &&
		    s->stack_addr + s->stack_len != c->stack.hi)
			c->bad_short++;
	}
	if (c->check_mem && (s->flags & SAMPLE_OFF_CPU))
		check_mem(c, s);
}

void
collect_drain(struct collect *c, struct ring *r)
{
	const void *p;
	uint32_t type;
	size_t len;
	const struct rec_thread *th;

	while ((p = ring_peek(r, &type, &len)) != NULL) {
		switch (type) {
		case REC_SAMPLE:
			on_sample(c, p, len);
			break;
		case REC_THREAD_NEW:
			th = p;
			c->thread_new++;
			collect_tid(c, th->tid)->announced = true;
			if (th->pid != c->pid)
				c->bad_records++;
			break;
		case REC_THREAD_NAME:
			/* ptrace: a comm read again (a rename); perf: COMM */
			th = p;
			c->thread_names++;
			if (th->pid != c->pid || th->comm[0] == '\0')
				c->bad_records++;
			break;
		case REC_THREAD_EXIT:
			th = p;
			c->thread_exit++;
			collect_tid(c, th->tid)->exited = true;
			break;
		case REC_EXEC:
			c->execs++;
			c->exec_ns = ((const struct rec_thread *)p)->time_ns;
			break;
		case REC_PROC_EXIT:
			c->proc_exit++;
			c->exit_status = ((const struct rec_exit *)p)
			    ->wait_status;
			break;
		case REC_LOST:
			c->lost_recs++;
			break;
		case REC_MAPS_CHANGED:
			/* perf's MMAP2s, ptrace's watch, and once a second */
			c->maps_changed++;
			if (((const struct rec_thread *)p)->pid != c->pid)
				c->bad_records++;
			break;
		case REC_MMAP:
			/* A file mapped (perf's MMAP2s, ptrace's maps reads):
			 * well-formed, with its path. */
			c->mmaps++;
			if (!rec_mmap_path(p, len))
				c->bad_records++;
			break;
		default:
			c->bad_records++;
			break;
		}
		ring_release(r);
	}
}

void
collect_for(struct collect *c, struct ring *r, long ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		collect_drain(c, r);
		sleep_ms(2);
	}
	collect_drain(c, r);
}
