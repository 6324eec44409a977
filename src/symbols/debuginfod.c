/* SPDX-License-Identifier: MIT */
/* --debuginfod can only work when libdw finds the debuginfod client library
 * at run time (it dlopen()s it: a fresh system without it silently asks no
 * server) and the user named a server in DEBUGINFOD_URLS. Both are checked
 * before anything is attached, so a user who asks for downloads and would
 * get none is told why. */
#include "config.h"

#include "ctop/symbols.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The soname elfutils' libdwfl loads (DEBUGINFOD_SONAME in elfutils). */
#define DEBUGINFOD_CLIENT_SONAME "libdebuginfod.so.1"

int
symbols_debuginfod_check(char **cause)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	void *client = dlopen(DEBUGINFOD_CLIENT_SONAME, RTLD_LAZY | RTLD_LOCAL);

	if (!client) {
		if (cause && asprintf(cause, "the debuginfod client library "
		    "(%s, Debian package libdebuginfod1) is not installed "
		    "(install it, or run without --debuginfod)",
		    DEBUGINFOD_CLIENT_SONAME) < 0)
			*cause = NULL;
		return -ENOENT;
	}
	dlclose(client);
	if (!urls || !*urls) {
		if (cause && (*cause = strdup("no server to ask: DEBUGINFOD_URLS "
		    "is empty (set it to your debuginfod servers' URLs, "
		    "or run without --debuginfod)")) == NULL)
			return -ENOMEM;
		return -ENOENT;
	}
	return 0;
}
