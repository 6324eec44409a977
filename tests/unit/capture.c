/* SPDX-License-Identifier: MIT */
/* Test-only ptrace capture: see capture.h. */
#include "config.h"

#include "capture.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
capture_target(const char *name)
{
	static char buf[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (len < 0)
		len = 0;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, sizeof buf, "%s/../targets/%s", exe, name);
	return buf;
}

static uint64_t
stack_top(pid_t pid)
{
	char path[64], line[512];
	unsigned long long lo, hi;
	uint64_t top = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			top = hi;
	}
	fclose(f);
	return top;
}

int
capture_start(struct capture *c, char *const argv[])
{
	int in[2], out[2], rc;

	memset(c, 0, sizeof *c);
	c->pid = -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		rc = -errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	c->pid = fork();
	if (c->pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	if (c->pid < 0) {
		rc = -errno;
		capture_stop(c);
		return rc;
	}
	rc = capture_wait_line(c, "ready", 5000);
	if (rc < 0) {
		capture_stop(c);
		return rc;
	}
	usleep(50 * 1000);
	c->stack_top = stack_top(c->pid);
	return 0;
}

int
capture_send(struct capture *c, const char *line)
{
	size_t len = strlen(line);

	return write(c->in_fd, line, len) == (ssize_t)len ? 0 : -EIO;
}

int
capture_wait_line(struct capture *c, const char *want, int timeout_ms)
{
	char line[256];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = c->out_fd, .events = POLLIN };
		char ch;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		if (read(c->out_fd, &ch, 1) != 1)
			return -EIO;
		if (ch != '\n') {
			if (len < sizeof line - 1)
				line[len++] = ch;
			continue;
		}
		line[len] = '\0';
		if (strncmp(line, want, strlen(want)) == 0)
			return 0;
		len = 0;
	}
}

/* Waits for the stop our PTRACE_INTERRUPT asked for, passing on any
 * signal that arrives first. */
static int
wait_interrupt(pid_t pid)
{
	for (int tries = 0; tries < 16; tries++) {
		int st;

		if (waitpid(pid, &st, __WALL) < 0)
			return -errno;
		if (!WIFSTOPPED(st))
			return -ESRCH;
		if (st >> 16 == PTRACE_EVENT_STOP)
			return 0;
		if (ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(st)) < 0)
			return -errno;
	}
	return -EAGAIN;
}

static void
regs_to_dwarf(const struct user_regs_struct *r, uint64_t *regs)
{
	regs[CTOP_REG_RAX] = r->rax;
	regs[CTOP_REG_RDX] = r->rdx;
	regs[CTOP_REG_RCX] = r->rcx;
	regs[CTOP_REG_RBX] = r->rbx;
	regs[CTOP_REG_RSI] = r->rsi;
	regs[CTOP_REG_RDI] = r->rdi;
	regs[CTOP_REG_RBP] = r->rbp;
	regs[CTOP_REG_RSP] = r->rsp;
	regs[CTOP_REG_R8] = r->r8;
	regs[CTOP_REG_R9] = r->r9;
	regs[CTOP_REG_R10] = r->r10;
	regs[CTOP_REG_R11] = r->r11;
	regs[CTOP_REG_R12] = r->r12;
	regs[CTOP_REG_R13] = r->r13;
	regs[CTOP_REG_R14] = r->r14;
	regs[CTOP_REG_R15] = r->r15;
	regs[CTOP_REG_RIP] = r->rip;
}

struct rec_sample *
capture_sample(struct capture *c, size_t stack_size)
{
	struct user_regs_struct ur;
	struct iovec iov = { &ur, sizeof ur }, local, remote;
	struct rec_sample *s = NULL;
	struct timespec ts;
	size_t len = stack_size;
	ssize_t got;

	if (!c->seized) {
		if (ptrace(PTRACE_SEIZE, c->pid, 0, 0) < 0)
			return NULL;
		c->seized = true;
	}
	if (ptrace(PTRACE_INTERRUPT, c->pid, 0, 0) < 0 ||
	    wait_interrupt(c->pid) < 0)
		return NULL;
	if (ptrace(PTRACE_GETREGSET, c->pid, (void *)NT_PRSTATUS, &iov) < 0)
		goto cont;
	s = calloc(1, sizeof *s + stack_size);
	if (!s)
		goto cont;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s->tid = c->pid;
	s->weight = 1;
	regs_to_dwarf(&ur, s->regs);
	s->stack_addr = ur.rsp;
	/* The copy ends where the stack mapping does: then it holds the
	 * whole stack. */
	if (c->stack_top > ur.rsp && c->stack_top - ur.rsp < len) {
		len = c->stack_top - ur.rsp;
		s->flags |= SAMPLE_STACK_SHORT;
	}
	local = (struct iovec){ (unsigned char *)(s + 1), len };
	remote = (struct iovec){ (void *)(uintptr_t)ur.rsp, len };
	got = process_vm_readv(c->pid, &local, 1, &remote, 1, 0);
	s->stack_len = got > 0 ? (uint32_t)got : 0;
cont:
	ptrace(PTRACE_CONT, c->pid, 0, 0);
	return s;
}

int
capture_samples(struct capture *c, size_t stack_size, struct rec_sample **out,
    int n)
{
	int got = 0;

	for (int i = 0; i < n; i++) {
		/* Irregular gaps so samples do not lock onto a loop period. */
		usleep(2000 + (unsigned)(rand() % 2000));
		out[got] = capture_sample(c, stack_size);
		if (out[got])
			got++;
	}
	return got;
}

int
capture_probe(void)
{
	pid_t pid = fork();
	int rc = 0, st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		rc = -errno;
	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
	return rc;
}

void
capture_stop(struct capture *c)
{
	int st;

	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &st, __WALL) > 0 && !WIFEXITED(st) &&
		    !WIFSIGNALED(st))
			;
	}
	if (c->in_fd > 0)
		close(c->in_fd);
	if (c->out_fd > 0)
		close(c->out_fd);
	c->pid = -1;
	c->in_fd = c->out_fd = -1;
}
