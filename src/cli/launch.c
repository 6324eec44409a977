/* SPDX-License-Identifier: MIT */
/* Launching COMMAND: fork, wait on a pipe for the sampler to attach, exec.
 * An exec failure comes back through a close-on-exec pipe, so success is
 * seen as EOF and failure as the errno (as posix_spawn does). */
#include "config.h"

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
child_redirect_io(char *out_path, size_t size)
{
	int in, out;

	in = open("/dev/null", O_RDONLY);
	snprintf(out_path, size, "ctop-prof-%d.out", (int)getpid());
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	if (in >= 0)
		dup2(in, 0);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);
}

static void
child_run(char **argv, int go_fd, int err_fd, bool quiet_io)
{
	char path[64], c;
	sigset_t none;
	int err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Wait until the sampler has attached: EOF on go_fd. */
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
	if (quiet_io)
		child_redirect_io(path, sizeof path);
	execvp(argv[0], argv);
	err = errno;
	if (write(err_fd, &err, sizeof err) < 0)
		_exit(127);
	_exit(err == ENOENT ? 127 : 126);
}

int
launch_prepare(struct launch *l, char **argv, bool quiet_io)
{
	int go[2], er[2];
	pid_t pid;

	memset(l, 0, sizeof *l);
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(go[0]); close(go[1]); close(er[0]); close(er[1]);
		return -err;
	}
	if (pid == 0) {
		close(go[1]);
		close(er[0]);
		child_run(argv, go[0], er[1], quiet_io);
	}
	close(go[0]);
	close(er[1]);
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = er[0];
	if (quiet_io)
		snprintf(l->out_path, sizeof l->out_path, "ctop-prof-%d.out",
		    (int)pid);
	return 0;
}

int
launch_go(struct launch *l)
{
	ssize_t n;
	int err = 0;

	close(l->go_fd);
	l->go_fd = -1;
	do
		n = read(l->err_fd, &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(l->err_fd);
	l->err_fd = -1;
	return n == (ssize_t)sizeof err ? err : 0;
}

void
launch_abort(struct launch *l)
{
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	l->go_fd = l->err_fd = -1;
	kill(l->pid, SIGKILL);
	while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int
launch_terminate(pid_t pid, double grace_s)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	int status = -1, i, steps = (int)(grace_s / 0.02);
	pid_t r;

	r = waitpid(pid, &status, WNOHANG);
	if (r == pid || (r < 0 && errno == ECHILD))
		return status;
	kill(pid, SIGTERM);
	for (i = 0; i < steps; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return status;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? status : -1;
}

int
launch_exit_code(int wait_status)
{
	if (wait_status < 0)
		return 125;
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 125;
}
