/* SPDX-License-Identifier: MIT */
/* sampler, perf backend: the event set. One event per (thread, CPU) with
 * inherit, so threads born later are covered by the kernel; one mmap ring
 * per CPU, every other event of that CPU redirected into it with
 * PERF_EVENT_IOC_SET_OUTPUT (perf record's layout, design.md 1a). A
 * refusal is explained by gates.c. */
#include "config.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gates.h"
#include "perf_internal.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38

static int
perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return (int)syscall(SYS_perf_event_open, a, pid, cpu, -1,
	    PERF_FLAG_FD_CLOEXEC);
}

int
perf__paranoid(void)
{
	char buf[32];

	if (sampler__proc_read("/proc/sys/kernel/perf_event_paranoid", buf,
	    sizeof buf) <= 0)
		return -100;
	return atoi(buf);
}

/* root, CAP_PERFMON or CAP_SYS_ADMIN: paranoid does not apply. */
bool
perf__privileged(void)
{
	return geteuid() == 0 || sampler__proc_has_cap(CAP_PERFMON_BIT) ||
	    sampler__proc_has_cap(CAP_SYS_ADMIN_BIT);
}

/* perf_event_open said err (negative): one line naming the gate. */
void
perf__explain(int err, pid_t pid, char **cause)
{
	struct gate_facts f;
	char buf[512];

	gates_gather(&f, GATE_PERF, err, pid);
	gates_perf_cause(&f, buf, sizeof buf);
	sampler__set_cause(cause, "%s", buf);
}

void
perf__attr_init(struct perf_event_attr *a, const struct sampler_opts *o,
    bool kernel, uint32_t pages)
{
	/* --stack-size auto starts deep: a sample taken before the first
	 * walks are judged cannot be joined or copied again (sqlite3's
	 * shell needs 17-27 KiB: 2% of a short run truncated from 16384). */
	uint64_t stack = (o->stack_auto && !o->all ? PERF_AUTO_FIRST :
	    o->stack_size) & ~7ull;

	memset(a, 0, sizeof *a);
	a->size = sizeof *a;
	/* cpu-clock is an hrtimer: it only fires while the task runs, and it
	 * exists in every VM (hardware cycles mostly do not). Its period is
	 * in ns, so a fixed period gives exactly hz per running thread. */
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CPU_CLOCK;
	a->sample_period = 1000000000ull / o->hz;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	if (o->unwind_fp || kernel)
		a->sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (!o->unwind_fp) {
		if (stack > PERF_STACK_MAX)
			stack = PERF_STACK_MAX;
		a->sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = PERF_REGS_MASK;
		a->sample_stack_user = (uint32_t)stack;
		/* DWARF unwinding does the user part: the kernel need not
		 * walk (or guess) a frame-pointer chain there. */
		a->exclude_callchain_user = 1;
	}
	/* Enabled at once: side-band records (FORK) of disabled events are
	 * not written, and attach needs them to tell inherited threads from
	 * ones it must still open. */
	a->disabled = 0;
	/* -a: CPU-wide events see every task already; inheriting is for
	 * events that follow one task. */
	a->inherit = !o->all;
	/* Threads only, not forked children, unless they are wanted. */
	a->inherit_thread = !o->children && !o->all;
	a->exclude_hv = 1;
	a->exclude_kernel = !kernel;
	a->exclude_callchain_kernel = !kernel;
	a->exclude_idle = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	/* Wake the sampler when half the ring is used, not per sample (a
	 * wake-up costs about 0.1 ms of CPU on a VM); the other half is
	 * 60 samples of 16 KiB for the sampler to come; the poll timeout
	 * bounds the latency otherwise. */
	a->watermark = 1;
	a->wakeup_watermark = pages * (uint32_t)sysconf(_SC_PAGESIZE) / 2;
}

/* The events' period (ns) and stack copy, split in two where
 * perf__split_wanted: the short events' and the deep ones' samples
 * together come at the period's rate, each at an even pace of its own,
 * so every sample still stands for one period. */
void
perf__attr_size(struct perf_state *p, uint64_t period, uint32_t stack)
{
	p->split.on = perf__split_wanted(p, stack);
	p->attr.sample_period = period;
	p->attr.sample_stack_user = stack;
	if (!p->split.on)
		return;
	p->split.deep = p->attr;
	p->split.deep.sample_period = period * SAMPLE_SPLIT_EVERY;
	p->attr.sample_period = period * SAMPLE_SPLIT_EVERY /
	    (SAMPLE_SPLIT_EVERY - 1);
	p->attr.sample_stack_user = SAMPLE_SPLIT_SHORT;
}

/* Whether copies of stack bytes are split: once the walks' rehearsal of
 * the split went well (split.ready), until a split fails. */
bool
perf__split_wanted(const struct perf_state *p, uint32_t stack)
{
	return p->stack_auto && !p->split.off && p->split.ready &&
	    stack > SAMPLE_SPLIT_SHORT;
}

/* The whole copy asked: the deep events' when split. */
uint32_t
perf__stack_asked(const struct perf_state *p)
{
	return p->split.on ? p->split.deep.sample_stack_user :
	    p->attr.sample_stack_user;
}

static int
fds_add(struct perf_state *p, int fd)
{
	if (util_grow(&p->fds, &p->capfds, p->nfds + 1, sizeof *p->fds, 64))
		return -ENOMEM;
	p->fds[p->nfds++] = fd;
	return 0;
}

bool
perf__tid_known(const struct perf_state *p, pid_t tid)
{
	for (size_t i = 0; i < p->ntids; i++)
		if (p->tids[i] == tid)
			return true;
	return false;
}

int
perf__tid_add(struct perf_state *p, pid_t tid)
{
	if (perf__tid_known(p, tid))
		return 0;
	if (util_grow(&p->tids, &p->captids, p->ntids + 1, sizeof *p->tids, 64))
		return -ENOMEM;
	p->tids[p->ntids++] = tid;
	return 1;
}

void
perf__tid_remove(struct perf_state *p, pid_t tid)
{
	for (size_t i = 0; i < p->ntids; i++) {
		if (p->tids[i] == tid) {
			p->tids[i] = p->tids[--p->ntids];
			return;
		}
	}
}

/* Maps the ring of a CPU's first event; halves it while locked memory
 * runs out (unprivileged users get perf_event_mlock_kb, 516 KiB). */
static int
ring_map(struct perf_ring *r, int fd, int cpu, uint32_t pages)
{
	size_t pgsz = (size_t)sysconf(_SC_PAGESIZE);
	void *m;

	for (;;) {
		r->map_len = (1 + (size_t)pages) * pgsz;
		/* PROT_WRITE: we own data_tail, so the kernel never
		 * overwrites unread data; it drops and sends LOST. */
		m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		if (m != MAP_FAILED)
			break;
		if (errno != EPERM && errno != ENOMEM)
			return -errno;
		if (pages <= 2)
			return -ENOMEM;
		pages /= 2;
	}
	r->fd = fd;
	r->cpu = cpu;
	r->pg = m;
	r->data = (unsigned char *)m + r->pg->data_offset;
	r->size = r->pg->data_size;
	return 0;
}

static struct perf_ring *
ring_of_cpu(struct perf_state *p, int cpu)
{
	for (int i = 0; i < p->nrings; i++)
		if (p->rings[i].cpu == cpu)
			return &p->rings[i];
	return NULL;
}

/* Opens an event of attr a for tid on one CPU: its fd, or -errno. */
static int
open_event(struct perf_state *p, struct perf_event_attr *a, pid_t tid,
    int cpu)
{
	int fd = perf_event_open(a, tid, cpu);

	if (fd < 0 && errno == EINVAL && a->inherit_thread) {
		/* Kernels before 5.13 know no inherit_thread. */
		a->inherit_thread = 0;
		fd = perf_event_open(a, tid, cpu);
	}
	if (fd < 0)
		return -errno;
	if (fds_add(p, fd) < 0) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* Opens tid's event on one CPU (and the split's deep one) and points it
 * at that CPU's ring (mapping the ring if this is the CPU's first
 * event). 0, 1 when the CPU is not usable (offline), or -errno. */
static int
open_one(struct perf_state *p, pid_t tid, int cpu, uint32_t pages)
{
	struct perf_ring *r = ring_of_cpu(p, cpu);
	int fd = open_event(p, &p->attr, tid, cpu);

	if (fd < 0)
		return fd == -ENODEV ? 1 : fd;
	if (r && ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0)
		return -errno;
	if (!r) {
		int err;

		r = &p->rings[p->nrings];
		err = ring_map(r, fd, cpu, pages);
		if (err < 0)
			return err == -ENOMEM ? PERF_ERR_MMAP : err;
		p->nrings++;
	}
	if (!p->split.on)
		return 0;
	fd = open_event(p, &p->split.deep, tid, cpu);
	if (fd < 0)
		return fd;
	return ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0 ? -errno : 0;
}

/* The kernel gives a new thread, and with --children a forked child, a
 * copy of its creator's events; while every event of a task was copied,
 * the two contexts count as one, and on a switch between them the kernel
 * swaps the contexts instead of stopping and starting the events, so the
 * creator's part-run period goes on in the new task and ends with it. A
 * thread that starts short threads or forks often, running less than a
 * period between them, lost most of its samples without a LOST record
 * (at 99 Hz: 20-30 of 218 due for a thread joining 500 threads a second,
 * 9 of 71 for a forking parent). An event no new task inherits makes no
 * new task's context a copy of its creator's: a counter that neither
 * samples nor writes, one per thread opened. Failing to open it costs
 * that protection only. */
static void
open_copy_anchor(struct perf_state *p, pid_t tid)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.exclude_kernel = p->attr.exclude_kernel;
	a.exclude_hv = 1;
	fd = perf_event_open(&a, tid, -1);
	if (fd >= 0 && fds_add(p, fd) < 0)
		close(fd);
}

/* Opens tid on every usable CPU. 0 or -errno (*cause says why). */
int
perf__open_tid(struct perf_state *p, pid_t tid, uint32_t pages, char **cause)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_CONF), cpu, err, opened = 0;

	if (!p->rings) {
		p->rings = calloc((size_t)ncpu, sizeof *p->rings);
		if (!p->rings)
			return -ENOMEM;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		err = open_one(p, tid, cpu, pages);
		if (err < 0) {
			perf__explain(err, tid, cause);
			return err == PERF_ERR_MMAP ? -ENOMEM : err;
		}
		opened += err == 0;
	}
	if (!opened) {
		sampler__set_cause(cause, "perf_event_open: no usable CPU");
		return -ENODEV;
	}
	if (p->attr.inherit)
		open_copy_anchor(p, tid);
	return perf__tid_add(p, tid) < 0 ? -ENOMEM : 0;
}

/* -a: one event per usable CPU for every task that runs there (pid -1),
 * each the owner of its CPU's ring. 0, or -errno (PERF_ERR_MMAP when a
 * ring could not be mapped). */
int
perf__open_cpus(struct perf_state *p, uint32_t pages)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_CONF), cpu, err, opened = 0;

	if (!p->rings && !(p->rings = calloc((size_t)ncpu, sizeof *p->rings)))
		return -ENOMEM;
	for (cpu = 0; cpu < ncpu; cpu++) {
		if ((err = open_one(p, -1, cpu, pages)) < 0)
			return err;
		opened += err == 0;
	}
	return opened ? 0 : -ENODEV;
}

void
perf__close(struct perf_state *p)
{
	for (size_t i = 0; i < p->nfds; i++)
		ioctl(p->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	for (int i = 0; i < p->nrings; i++)
		munmap(p->rings[i].pg, p->rings[i].map_len);
	for (size_t i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	free(p->fds);
	free(p->rings);
	free(p->tids);
	free(p->bounce);
	memset(p, 0, sizeof *p);
}

/* Raises the soft fd limit to the hard one: events take one fd per
 * thread and CPU, and Debian's soft default is 1024. */
void
perf__raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
