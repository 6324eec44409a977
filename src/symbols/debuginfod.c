/* SPDX-License-Identifier: MIT */
/* --debuginfod can only work when libdw finds the debuginfod client library
 * at run time (it dlopen()s it: a fresh system without it silently asks no
 * server) and the user named a server in DEBUGINFOD_URLS. Both are checked
 * before anything is attached, so a user who asks for downloads and would
 * get none is told why.
 *
 * Without --debuginfod (the cli then unsets DEBUGINFOD_URLS) the library
 * is not loaded at all: libdwfl (elfutils 0.188) dlopen()s it the first
 * time a module's debug file is not found on the machine, whether or not
 * a server is named, and with it libcurl, GnuTLS, Kerberos and LDAP: 18 ms
 * of CPU and 6 MB of memory here in every run (issue 17, goals 3 and 4),
 * for a client that then asks nothing. The dlopen below, the program's,
 * comes first for libdw (as sigmask.c's sigprocmask does for libunwind),
 * refuses that library while no server is named and hands every other
 * call to the next dlopen (the C library's, or a sanitizer's). */
#include "config.h"

#include "ctop/symbols.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The soname elfutils' libdwfl loads (DEBUGINFOD_SONAME in elfutils). */
#define DEBUGINFOD_CLIENT_SONAME "libdebuginfod.so.1"

typedef void *dlopen_fn(const char *, int);

static dlopen_fn *next_dlopen;
static pthread_once_t next_once = PTHREAD_ONCE_INIT;

static void
find_next_dlopen(void)
{
	next_dlopen = (dlopen_fn *)dlsym(RTLD_NEXT, "dlopen");
}

static void *
real_dlopen(const char *file, int mode)
{
	pthread_once(&next_once, find_next_dlopen);
	return next_dlopen ? next_dlopen(file, mode) : NULL;
}

void *
dlopen(const char *file, int mode)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (file != NULL && strcmp(file, DEBUGINFOD_CLIENT_SONAME) == 0 &&
	    (urls == NULL || *urls == '\0'))
		return NULL;
	return real_dlopen(file, mode);
}

int
symbols_debuginfod_check(char **cause)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	void *client = real_dlopen(DEBUGINFOD_CLIENT_SONAME,
	    RTLD_LAZY | RTLD_LOCAL);

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
