/* SPDX-License-Identifier: MIT */
/* launch: starts COMMAND as a child that waits, so the sampler can attach
 * before its first instruction, then lets it exec. */
#ifndef CTOP_CLI_LAUNCH_H
#define CTOP_CLI_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int go_fd;		/* closing it lets the child exec */
	int err_fd;		/* the child writes errno here if exec fails */
	char out_path[64];	/* where its output goes, "" = inherited */
};

/* Forks the child. With quiet_io, its stdin is /dev/null and its stdout
 * and stderr go to ctop-prof-<pid>.out in the working directory (under the
 * TUI). Returns 0 or -errno. */
int launch_prepare(struct launch *l, char **argv, bool quiet_io);

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

#endif
