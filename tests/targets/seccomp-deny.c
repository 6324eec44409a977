/* SPDX-License-Identifier: MIT */
/* Test launcher: runs a command under a seccomp filter that makes some
 * system calls fail with EPERM, as a container's default profile does,
 * so the permission gates can be seen on a machine that has none.
 *   seccomp-deny perf -- COMMAND [ARG...]    perf_event_open fails
 *   seccomp-deny ptrace -- COMMAND [ARG...]  ptrace and process_vm_readv
 * A classic BPF program written by hand (no libseccomp); NO_NEW_PRIVS
 * lets an unprivileged user install it. Exits 126 when it cannot. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-deny: add this architecture's AUDIT_ARCH"
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	offsetof(struct seccomp_data, field))
/* If nr matches, jump to the EPERM return `to_deny` instructions on. */
#define DENY_IF(nr, to_deny) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), \
	(to_deny), 0)
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static struct sock_filter perf_prog[] = {
	LOAD(arch),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
	RET(SECCOMP_RET_ALLOW),		/* another ABI: not ours to judge */
	LOAD(nr),
	DENY_IF(SYS_perf_event_open, 1),
	RET(SECCOMP_RET_ALLOW),
	RET(SECCOMP_RET_ERRNO | EPERM),
};

static struct sock_filter ptrace_prog[] = {
	LOAD(arch),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
	RET(SECCOMP_RET_ALLOW),
	LOAD(nr),
	DENY_IF(SYS_ptrace, 2),
	DENY_IF(SYS_process_vm_readv, 1),
	RET(SECCOMP_RET_ALLOW),
	RET(SECCOMP_RET_ERRNO | EPERM),
};

static int
install(struct sock_filter *prog, size_t len)
{
	struct sock_fprog fp = { (unsigned short)len, prog };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}

static int
usage(void)
{
	fputs("usage: seccomp-deny perf|ptrace -- COMMAND [ARG...]\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	int err;

	if (argc < 4 || strcmp(argv[2], "--") != 0)
		return usage();
	if (strcmp(argv[1], "perf") == 0)
		err = install(perf_prog, sizeof perf_prog / sizeof perf_prog[0]);
	else if (strcmp(argv[1], "ptrace") == 0)
		err = install(ptrace_prog,
		    sizeof ptrace_prog / sizeof ptrace_prog[0]);
	else
		return usage();
	if (err < 0) {
		fprintf(stderr, "seccomp-deny: cannot install the filter: %s\n",
		    strerror(errno));
		return 126;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "seccomp-deny: %s: %s\n", argv[3], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
