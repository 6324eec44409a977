/* SPDX-License-Identifier: MIT */
/* curl_dl: libcurl's functions, found with dlopen when --push first needs
 * them (why: curl_dl.h). */
#include "config.h"

#include "curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The soname of libcurl 7 and 8 (Debian's libcurl4 package). */
#define CURL_SONAME "libcurl.so.4"

struct curl_dl curl_dl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[384];

/* Each entry: the symbol, and where in curl_dl its address goes. */
#define ENTRY(sym, field) { #sym, (void **)&curl_dl.field }
static const struct {
	const char *sym;
	void **slot;
} entries[] = {
	ENTRY(curl_global_init, global_init),
	ENTRY(curl_easy_init, easy_init),
	ENTRY(curl_easy_setopt, easy_setopt),
	ENTRY(curl_easy_getinfo, easy_getinfo),
	ENTRY(curl_easy_perform, easy_perform),
	ENTRY(curl_easy_cleanup, easy_cleanup),
	ENTRY(curl_easy_escape, easy_escape),
	ENTRY(curl_free, free),
	ENTRY(curl_slist_append, slist_append),
	ENTRY(curl_slist_free_all, slist_free_all),
	ENTRY(curl_mime_init, mime_init),
	ENTRY(curl_mime_addpart, mime_addpart),
	ENTRY(curl_mime_name, mime_name),
	ENTRY(curl_mime_filename, mime_filename),
	ENTRY(curl_mime_type, mime_type),
	ENTRY(curl_mime_data, mime_data),
	ENTRY(curl_mime_free, mime_free),
	ENTRY(curl_url, url),
	ENTRY(curl_url_cleanup, url_cleanup),
	ENTRY(curl_url_set, url_set),
	ENTRY(curl_url_get, url_get),
};

static void
load(void)
{
	/* Never closed: the push thread uses it until the process ends. */
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *why;

	if (h == NULL) {
		why = dlerror();
		snprintf(load_error, sizeof load_error, "--push needs "
		    "libcurl (the Debian package libcurl4), which cannot be "
		    "loaded: %s", why ? why : "unknown error");
		return;
	}
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		*entries[i].slot = dlsym(h, entries[i].sym);
		if (*entries[i].slot == NULL) {
			snprintf(load_error, sizeof load_error, "--push needs "
			    "libcurl 7.85 or later: %s has no %s",
			    CURL_SONAME, entries[i].sym);
			return;
		}
	}
}

int
curl_dl_load(char **cause)
{
	pthread_once(&once, load);
	if (load_error[0] == '\0')
		return 0;
	if (cause != NULL)
		*cause = strdup(load_error);
	return -1;
}
