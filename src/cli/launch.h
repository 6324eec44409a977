/* SPDX-License-Identifier: MIT */
/* launch: starts COMMAND as a child that waits, so the sampler can attach
 * before its first instruction, then lets it exec. */
#ifndef CTOP_CLI_LAUNCH_H
#define CTOP_CLI_LAUNCH_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* Where the command's standard streams go. */
struct launch_io {
	bool quiet;		/* under the TUI: stdin is /dev/null, and
				 * stdout and stderr go to a file */
	const char *out_file;	/* --command-output: stdout and stderr go
				 * there (any run); NULL = inherited, or
				 * with quiet a new private file */
};

struct launch {
	pid_t pid;
	int go_fd;		/* closing it lets the child exec */
	int err_fd;		/* the child writes errno here if exec fails */
	char out_path[PATH_MAX];/* where its output goes, "" = inherited */
	char out_note[160];	/* for the status line: where the output
				 * goes, or why it is discarded */
};

/* Forks the child, its output redirected as io says. With quiet and no
 * out_file, the output goes to a new file ctop-prof-PID-XXXXXX.out (PID
 * the command's, XXXXXX random; created O_EXCL, mode 0600) in
 * $XDG_RUNTIME_DIR when set and usable, else in the working directory;
 * when neither works, to /dev/null, and out_note says why. out_file
 * follows the rules of --output for existing paths (export.h): a regular
 * file is truncated in place, a device, FIFO or socket written through (a
 * FIFO without a reader is refused, never waited for), a directory
 * refused with -EISDIR. Returns 0, or -errno and *cause (caller frees). */
int launch_prepare(struct launch *l, char **argv, const struct launch_io *io,
    char **cause);

/* Lets the child exec; returns 0 once exec succeeded, or the errno of the
 * failed exec (ENOENT, EACCES...), after which the child has exited. */
int launch_go(struct launch *l);

/* Kills the child that never ran (attach failed) and reaps it. */
void launch_abort(struct launch *l);

/* Ends a command that outlived the profiling: SIGTERM, then SIGKILL after
 * grace_s; returns its wait status. Call only once the sampler detached. */
int launch_terminate(pid_t pid, double grace_s);

/* The exit code for a wait status: the code, or 128 + the signal. */
int launch_exit_code(int wait_status);

/* Whether argv would run CPython: its name starts with "python", or it is
 * a script whose #! line names python (ctop-demo.py, pyenv's shims). */
bool launch_looks_python(char *const argv[]);

#endif
