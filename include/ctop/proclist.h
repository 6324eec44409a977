/* SPDX-License-Identifier: MIT */
/* proclist: the processes of this machine as the process picker lists
 * them (ctop-prof without a target): pid, user, CPU share over the last
 * refresh interval, threads, resident memory, command line, and whether
 * we may profile it (the sampler's gates, foretold: nothing is asked of
 * the process). Kernel threads are left out. Thread: main. */
#ifndef CTOP_PROCLIST_H
#define CTOP_PROCLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_row {
	pid_t pid;
	uid_t uid;
	char user[32];		/* the name, or the uid in digits */
	double cpu;		/* % of one CPU since the previous refresh */
	unsigned threads;
	uint64_t rss_kb;
	char comm[16];
	char cmd[512];		/* argv joined by spaces; [comm] if none */
	bool profilable;
	char why[512];		/* when not: the gate, one line */
};

struct proclist;

/* NULL on ENOMEM. Gathers this system's gates once. */
struct proclist *proclist_new(void);
void proclist_free(struct proclist *pl);

/* Rescans /proc. Rows are sorted by CPU share, highest first (then by
 * pid); the first scan's shares are since each process started.
 * Returns 0 or -errno. */
int proclist_refresh(struct proclist *pl);

/* The rows of the last refresh (valid until the next one). */
size_t proclist_rows(const struct proclist *pl, const struct proc_row **rows);

#endif
