/* SPDX-License-Identifier: MIT */
/* sampler: small /proc readers (task state, tracer, uid, comm, the mapping
 * that holds a stack pointer). Plain open/read into caller buffers: no
 * stdio and no allocation, so the sampler thread may call them any time. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Reads up to size-1 bytes of a /proc file and NUL-terminates them.
 * Returns the length or -errno. */
ssize_t
sampler__proc_read(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Parses "pid (comm) S ppid ... flags" from a stat line. The comm may
 * hold spaces and parentheses, so fields start after the last ')'. */
int
sampler__proc_stat(const char *stat, char *state, unsigned long *flags)
{
	const char *p = strrchr(stat, ')');
	int field;

	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p += 2;
	if (state)
		*state = *p;
	if (!flags)
		return 0;
	/* state is field 3; flags is field 9. */
	for (field = 3; field < 9; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	*flags = strtoul(p, NULL, 10);
	return 0;
}

/* The state letter of a kept /proc/.../stat fd, or 0 when unreadable
 * (the thread is gone). One pread: this runs per sample. */
char
sampler__proc_state_fd(int fd)
{
	char buf[512];
	char state;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sampler__proc_stat(buf, &state, NULL) < 0)
		return 0;
	return state;
}

/* The same without a kept fd. */
char
sampler__proc_state_tid(pid_t pid, pid_t tid)
{
	char path[64];
	char state;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	state = sampler__proc_state_fd(fd);
	close(fd);
	return state;
}

static uint64_t
parse_u64(const char *p)
{
	uint64_t v = 0;

	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

/* The whole machine's idle time so far (idle + iowait of /proc/stat's
 * "cpu" line, every CPU's summed), in ns; 0 when unreadable. */
uint64_t
sampler__proc_idle_ns(void)
{
	char buf[256];
	const char *p = buf;
	uint64_t field[5] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);

	if (sampler__proc_read("/proc/stat", buf, sizeof buf) <= 0 ||
	    strncmp(buf, "cpu ", 4) != 0 || hz <= 0)
		return 0;
	for (unsigned i = 0; i < 5; i++) {	/* user nice system idle iowait */
		p += strcspn(p, " ");
		p += strspn(p, " ");
		field[i] = parse_u64(p);
	}
	return (field[3] + field[4]) * (1000000000ull / (uint64_t)hz);
}

/* Field n (1: the pid) of a stat line, or NULL. The comm (field 2) may
 * hold spaces and parentheses, so field 3 starts after the last ')'. */
static const char *
stat_field(const char *stat, int n)
{
	const char *p = strrchr(stat, ')');
	int field;

	if (!p || p[1] != ' ' || !p[2] || n < 3)
		return NULL;
	p += 2;
	for (field = 3; field < n; field++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		p++;
	}
	return p;
}

/* utime + stime (fields 14 and 15) of a stat line, in ns. */
static uint64_t
stat_cpu_ns(const char *stat)
{
	const char *p = stat_field(stat, 14);
	uint64_t ticks;
	long hz = sysconf(_SC_CLK_TCK);

	if (!p || hz <= 0)
		return 0;
	ticks = parse_u64(p);
	p = strchr(p, ' ');
	if (!p)
		return 0;
	ticks += parse_u64(p + 1);
	return ticks * (1000000000ull / (uint64_t)hz);
}

uint64_t
sampler__proc_cpu_ns(int fd, pid_t pid, pid_t tid, bool schedstat)
{
	char buf[512];
	bool kept = fd >= 0;
	ssize_t n;

	if (!kept) {
		snprintf(buf, sizeof buf, "/proc/%d/task/%d/%s", pid, tid,
		    schedstat ? "schedstat" : "stat");
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (!kept)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return schedstat ? parse_u64(buf) : stat_cpu_ns(buf);
}

/* startstack (field 28): the stack pointer the process started with,
 * where argc lies; 0 when unreadable (another user's process). */
uint64_t
sampler__proc_start_stack(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (sampler__proc_read(path, buf, sizeof buf) <= 0 ||
	    (p = stat_field(buf, 28)) == NULL)
		return 0;
	return parse_u64(p);
}

uint64_t
sampler__proc_auxv_id(pid_t pid)
{
	char path[64], buf[1024];
	uint64_t h = 14695981039346656037ull;
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf);
	close(fd);
	/* FNV-1a: only equality matters. */
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
	return n > 0 ? h : 0;
}

/* The number after "key:" in a status text, -1 without one. */
static long
status_value(const char *text, const char *key)
{
	const char *p;
	size_t klen = strlen(key);

	for (p = text; p; ) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static long
proc_status_field(pid_t pid, pid_t tid, const char *key)
{
	char path[64], buf[4096];

	if (tid > 0)
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid,
		    tid);
	else
		snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0)
		return -1;
	return status_value(buf, key);
}

/* /proc/TID names any thread (hidden from the listing, not from open). */
pid_t
sampler__proc_tgid(pid_t tid, pid_t *ppid)
{
	char path[64], buf[4096];
	long tgid, pp;

	*ppid = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	if (sampler__proc_read(path, buf, sizeof buf) < 0)
		return 0;
	tgid = status_value(buf, "Tgid");
	pp = status_value(buf, "PPid");
	*ppid = pp > 0 ? (pid_t)pp : 0;
	return tgid > 0 ? (pid_t)tgid : 0;
}

/* TracerPid of a thread (tid 0: the process), -1 when unknown. */
pid_t
sampler__proc_tracer(pid_t pid, pid_t tid)
{
	return (pid_t)proc_status_field(pid, tid, "TracerPid");
}

/* Real uid of a process, -1 when unknown. */
long
sampler__proc_uid(pid_t pid)
{
	return proc_status_field(pid, 0, "Uid");
}

void
sampler__proc_comm(pid_t pid, pid_t tid, char comm[16])
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tid);
	n = sampler__proc_read(path, buf, sizeof buf);
	if (n < 0)
		n = 0;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 15)
		n = 15;
	memcpy(comm, buf, (size_t)n);
	memset(comm + n, 0, 16 - (size_t)n);
}

/* 1 to 16 lower-case hex digits at *pp, as the kernel writes addresses;
 * false for none (a line that is no mapping) or more (it would wrap). */
static bool
parse_hex(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	int d, n = 0;

	*v = 0;
	for (;; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		if (++n > 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	*pp = p;
	return n > 0;
}

bool
sampler__maps_line_range(const char *line, uint64_t *lo, uint64_t *hi,
    bool *exec)
{
	const char *p = line;

	if (!parse_hex(&p, lo) || *p != '-')
		return false;
	p++;
	if (!parse_hex(&p, hi))
		return false;
	/* " rwxp": the third letter; a line cut after the range is none */
	*exec = *p == ' ' && p[1] && p[2] && p[3] == 'x';
	return true;
}

bool
sampler__maps_line_file(const char *line, struct sampler_map_file *f)
{
	const char *p = line;
	uint64_t maj, min;

	memset(f, 0, sizeof *f);
	if (!parse_hex(&p, &f->lo) || *p++ != '-' || !parse_hex(&p, &f->hi))
		return false;
	/* " rwxp " */
	if (*p++ != ' ' || !p[0] || !p[1] || !p[2] || !p[3] || p[4] != ' ')
		return false;
	p += 5;
	if (!parse_hex(&p, &f->off) || *p++ != ' ' || !parse_hex(&p, &maj) ||
	    *p++ != ':' || !parse_hex(&p, &min) || *p++ != ' ')
		return false;
	f->dev = maj << 32 | min;
	for (; *p >= '0' && *p <= '9'; p++)
		f->ino = f->ino * 10 + (uint64_t)(*p - '0');
	while (*p == ' ')
		p++;
	if (*p != '/')
		return false;
	f->path = p;
	f->path_len = strlen(p);
	return f->path_len < 4096;
}

bool
sampler__maps_line_holds(const char *line, uint64_t sp, uint64_t *lo,
    uint64_t *hi)
{
	uint64_t a, b;
	bool x;

	if (!sampler__maps_line_range(line, &a, &b, &x) || sp < a || sp >= b)
		return false;
	*lo = a;
	*hi = b;
	return true;
}

int
sampler__proc_maps_each(pid_t pid, char *buf, size_t size,
    bool (*fn)(void *ctx, const char *line), void *ctx)
{
	char path[64], *line, *nl;
	size_t have = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + have, size - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (!fn(ctx, line))
				goto out;
			line = nl + 1;
		}
		/* Keep the unfinished line; drop it if it fills the buffer
		 * (its address range was at its start and is checked below
		 * only if complete, which cannot happen for such a line). */
		have = (size_t)(buf + have - line);
		if (have >= size - 1)
			have = 0;
		memmove(buf, line, have);
	}
	if (have > 0) {
		buf[have] = '\0';
		fn(ctx, buf);
	}
out:
	close(fd);
	return 0;
}

struct holds {
	uint64_t sp, *lo, *hi;
	bool found;
};

static bool
line_holds(void *ctx, const char *line)
{
	struct holds *h = ctx;

	h->found = sampler__maps_line_holds(line, h->sp, h->lo, h->hi);
	return !h->found;
}

/* Finds the mapping of /proc/PID/maps that contains sp. Returns 0 with
 * [*lo, *hi), -ENOENT when no mapping holds sp, or -errno. */
int
sampler__proc_stack_range(pid_t pid, uint64_t sp, char *buf, size_t size,
    uint64_t *lo, uint64_t *hi)
{
	struct holds h = { sp, lo, hi, false };
	int rc = sampler__proc_maps_each(pid, buf, size, line_holds, &h);

	return rc < 0 ? rc : h.found ? 0 : -ENOENT;
}

int
sampler__proc_yama_scope(void)
{
	char buf[16];

	if (sampler__proc_read("/proc/sys/kernel/yama/ptrace_scope", buf,
	    sizeof buf) <= 0)
		return -1;
	return atoi(buf);
}

/* True when capability number cap is in our effective set. */
bool
sampler__proc_has_cap(int cap)
{
	char buf[4096];
	const char *p;
	unsigned long long eff;

	if (sampler__proc_read("/proc/self/status", buf, sizeof buf) < 0)
		return false;
	p = strstr(buf, "\nCapEff:");
	if (!p)
		return false;
	eff = strtoull(p + 8, NULL, 16);
	return (eff >> cap) & 1;
}

/* sampler__proc_descendants at one depth: false once fn said stop. */
static bool
descend(pid_t pid, int depth, sampler__child_fn fn, void *arg)
{
	char path[320], buf[4096], *tok, *save;
	struct dirent *de;
	bool go = true;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if (depth > SAMPLER_DESCEND_MAX || !(d = opendir(path)))
		return true;
	while (go && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		if (sampler__proc_read(path, buf, sizeof buf) <= 0)
			continue;
		for (tok = strtok_r(buf, " \n", &save); go && tok;
		    tok = strtok_r(NULL, " \n", &save)) {
			pid_t child = (pid_t)atoi(tok);

			if (child > 0 && (go = fn(child, arg)))
				go = descend(child, depth + 1, fn, arg);
		}
	}
	closedir(d);
	return go;
}

void
sampler__proc_descendants(pid_t pid, sampler__child_fn fn, void *arg)
{
	descend(pid, 0, fn, arg);
}
