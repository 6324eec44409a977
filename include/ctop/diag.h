/* SPDX-License-Identifier: MIT */
/* diag: the diagnostics of -v and --log. One process-wide sink that main
 * sets once before any other thread starts; the modules write to it
 * without knowing whether anyone reads (nothing is written then).
 * Thread: diag_set from main before threads start; diag from any thread. */
#ifndef CTOP_DIAG_H
#define CTOP_DIAG_H

#include <stdio.h>

/* Where diagnostics go: an open stream (stderr, or the --log file), or
 * NULL for nowhere (the default). The stream stays the caller's. */
void diag_set(FILE *f);

/* Writes "ctop-prof: MESSAGE\n" to the sink, if any, in one piece. */
__attribute__((format(printf, 1, 2)))
void diag(const char *fmt, ...);

#endif
