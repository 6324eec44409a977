/* SPDX-License-Identifier: MIT */
/* Launching COMMAND: fork, wait on a pipe for the sampler to attach, exec.
 * An exec failure comes back through a close-on-exec pipe, so success is
 * seen as EOF and failure as the errno (as posix_spawn does). Under the
 * TUI its output goes to a private file nobody can plant or predict. */
#include "config.h"

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/export.h"

/* The name's fixed parts: ctop-prof-PID-XXXXXX.out. */
#define OUT_PREFIX "ctop-prof-"
#define OUT_SUFFIX ".out"

/* "output of the command: PATH" for the status line; a path too long for
 * it keeps its end, where the file name is. */
static void
out_set_note(struct launch *l, const char *path)
{
	static const char head[] = "output of the command: ";
	size_t room = sizeof l->out_note - sizeof head, len = strlen(path);

	if (len <= room)
		snprintf(l->out_note, sizeof l->out_note, "%s%s", head, path);
	else
		snprintf(l->out_note, sizeof l->out_note, "%s...%s", head,
		    path + len - (room - 3));
}

/* Makes DIR/ctop-prof-PID-XXXXXX.out with mkostemps: O_CREAT|O_EXCL (so
 * never an existing file, a planted symlink or a FIFO), mode 0600, a name
 * nobody can guess in advance. PID is ours until the child's is known.
 * Returns the fd (close-on-exec) and fills path, or -errno. */
static int
out_create(const char *dir, char *path, size_t size)
{
	int fd;

	if ((size_t)snprintf(path, size, "%s/" OUT_PREFIX "%d-XXXXXX"
	    OUT_SUFFIX, dir, (int)getpid()) >= size)
		return -ENAMETOOLONG;
	fd = mkostemps(path, strlen(OUT_SUFFIX), O_CLOEXEC);
	if (fd < 0) {
		path[0] = '\0';
		return -errno;
	}
	return fd;
}

/* $XDG_RUNTIME_DIR when it is an absolute path to a directory (private to
 * the user by its spec), else NULL. */
static const char *
runtime_dir(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (!d || d[0] != '/' || stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

/* The private output file under the TUI, or /dev/null with a note. */
static int
out_private(struct launch *l)
{
	const char *dirs[2] = { runtime_dir(), "." };
	int i, fd = -ENOENT;

	for (i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		fd = out_create(dirs[i], l->out_path, sizeof l->out_path);
		if (fd >= 0) {
			out_set_note(l, l->out_path);
			return fd;
		}
	}
	/* Never on the screen: the live view would be drawn over. The
	 * error is the working directory's, tried last. */
	snprintf(l->out_note, sizeof l->out_note, "output of the command "
	    "discarded: cannot create a file in %sthe working directory: %s "
	    "(use --command-output FILE)", dirs[0] ? "XDG_RUNTIME_DIR or " :
	    "", strerror(-fd));
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* --command-output FILE, by the rules of --output for what exists. */
static int
out_named(struct launch *l, const char *file, char **cause)
{
	char *final = NULL;
	struct stat st;
	int fd;

	if ((fd = export_path_resolve(file, &final, &st, cause)) < 0)
		return fd;
	if (S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		if (asprintf(cause, "cannot write the command's output to %s: "
		    "it is a %s (give a file name)", file,
		    S_ISDIR(st.st_mode) ? "directory" : "block device") < 0)
			*cause = NULL;
		fd = -EISDIR;
	} else if (st.st_mode == 0 || S_ISREG(st.st_mode)) {
		/* In place: the command writes as it goes, and the file
		 * keeps its mode, owner and links. */
		/* O_NONBLOCK: a FIFO made here since the lstat fails at once
		 * rather than hang the launch; cleared for the command. */
		fd = open(final, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		if (fd < 0) {
			fd = -errno;
			if (asprintf(cause, "cannot write the command's output "
			    "to %s: %s", file, strerror(-fd)) < 0)
				*cause = NULL;
		}
	} else {
		fd = export_open_through(final, &st, 0, cause);
	}
	if (fd >= 0) {
		snprintf(l->out_path, sizeof l->out_path, "%s", file);
		out_set_note(l, file);
	}
	free(final);
	return fd;
}

/* Gives the private file the command's pid, keeping its random part:
 * ctop-prof-CHILD-XXXXXX.out. Never replaces anything; on any failure
 * the first name stays (the status line names whichever it is). */
static void
out_rename_for(struct launch *l, pid_t child)
{
	char to[PATH_MAX], *base = strrchr(l->out_path, '/');
	const char *rnd = strrchr(l->out_path, '-');

	if (!base || !rnd || (size_t)snprintf(to, sizeof to, "%.*s/"
	    OUT_PREFIX "%d%s", (int)(base - l->out_path), l->out_path,
	    (int)child, rnd) >= sizeof to)
		return;
	if (renameat2(AT_FDCWD, l->out_path, AT_FDCWD, to,
	    RENAME_NOREPLACE) < 0)
		return;
	snprintf(l->out_path, sizeof l->out_path, "%s", to);
	out_set_note(l, to);
}

static void
child_redirect_io(bool quiet, int out)
{
	int in;

	if (quiet && (in = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(in, 0);
		if (in > 2)
			close(in);
	}
	/* dup2 clears close-on-exec on 1 and 2; out itself closes at exec. */
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
}

static void
child_run(char **argv, int go_fd, int err_fd, bool quiet, int out)
{
	sigset_t none;
	char c;
	int err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Wait until the sampler has attached: EOF on go_fd. */
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
	child_redirect_io(quiet, out);
	execvp(argv[0], argv);
	err = errno;
	if (write(err_fd, &err, sizeof err) < 0)
		_exit(127);
	_exit(err == ENOENT ? 127 : 126);
}

/* The fd the command's stdout and stderr get, -1 to inherit. */
static int
out_open(struct launch *l, const struct launch_io *io, char **cause)
{
	if (io->out_file)
		return out_named(l, io->out_file, cause);
	if (io->quiet)
		return out_private(l);
	return -1;
}

int
launch_prepare(struct launch *l, char **argv, const struct launch_io *io,
    char **cause)
{
	int go[2], er[2], out, err;
	pid_t pid;

	memset(l, 0, sizeof *l);
	*cause = NULL;
	out = out_open(l, io, cause);
	if (out < -1)
		return out;
	if (pipe2(go, O_CLOEXEC) < 0)
		goto fail_errno;
	if (pipe2(er, O_CLOEXEC) < 0) {
		err = errno;
		close(go[0]);
		close(go[1]);
		errno = err;
		goto fail_errno;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(go[0]); close(go[1]); close(er[0]); close(er[1]);
		errno = err;
		goto fail_errno;
	}
	if (pid == 0) {
		close(go[1]);
		close(er[0]);
		child_run(argv, go[0], er[1], io->quiet, out);
	}
	close(go[0]);
	close(er[1]);
	if (out >= 0)
		close(out);
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = er[0];
	if (io->quiet && !io->out_file && l->out_path[0] != '\0')
		out_rename_for(l, pid);
	return 0;

fail_errno:
	err = -errno;
	if (out >= 0)
		close(out);
	if (l->out_path[0] != '\0' && !io->out_file)
		unlink(l->out_path);
	return err;
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

/* The file execvp would run for name, or NULL (caller frees). */
static char *
launch_resolve(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char *full;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (asprintf(&full, "%.*s/%s", (int)(end - p),
		    end > p ? p : ".", name) < 0)
			return NULL;
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

bool
launch_looks_python(char *const argv[])
{
	const char *base = strrchr(argv[0], '/');
	char line[256] = "", *file;
	ssize_t n = 0;
	int fd;

	base = base ? base + 1 : argv[0];
	if (strncmp(base, "python", 6) == 0)
		return true;
	if ((file = launch_resolve(argv[0])) == NULL)
		return false;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(file);
	if (fd >= 0) {
		n = read(fd, line, sizeof line - 1);
		close(fd);
	}
	if (n <= 2 || line[0] != '#' || line[1] != '!')
		return false;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return strstr(line, "python") != NULL;
}
