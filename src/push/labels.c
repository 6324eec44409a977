/* SPDX-License-Identifier: MIT */
/* push: what the command line gives the pusher, checked before anything
 * runs: the server URL (no password in it: it would show in ps) and the
 * labels, in the syntax Pyroscope accepts in name=APP{KEY=VALUE,...}. */
#include "config.h"

#include "ctop/push.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_dl.h"

#define PUSH_VALUE_MAX 128

static int
refuse(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return -EINVAL;
}

int
push_check_url(const char *url, char **cause)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *pass = NULL;
	int err = 0;

	*cause = NULL;
	/* Without libcurl there is nothing to check with; push_new() then
	 * says what is missing, as the run-time failure it is. */
	if (curl_dl_load(NULL) < 0)
		return 0;
	u = curl_url();
	if (u == NULL)
		return refuse(cause, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		err = refuse(cause, "bad --push URL '%s': need "
		    "http://HOST[:PORT] or https://HOST[:PORT]", url);
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		err = refuse(cause, "bad --push URL '%s': the scheme must be "
		    "http or https", url);
	else if (curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		/* The URL itself is not echoed: it holds the password. */
		err = refuse(cause, "--push URL has a password in it, which "
		    "any user sees in ps: put it in CTOP_PUSH_USER and "
		    "CTOP_PUSH_PASSWORD, or a token in CTOP_PUSH_TOKEN");
	curl_free(scheme);
	curl_free(host);
	curl_free(pass);
	curl_url_cleanup(u);
	return err;
}

static bool
value_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_.:/-", c) != NULL;
}

static bool
key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || (k[0] >= '0' && k[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' &&
		    k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '_'))
			return false;
	return true;
}

int
push_check_tag(const char *tag, char **cause)
{
	static const char *const ours[] = { "hostname", "pid", "backend",
	    "service_name" };
	const char *eq = strchr(tag, '=');
	size_t kn, i;

	*cause = NULL;
	if (eq == NULL)
		return refuse(cause, "bad --tag '%s': need KEY=VALUE", tag);
	kn = (size_t)(eq - tag);
	if (!key_ok(tag, kn))
		return refuse(cause, "bad --tag '%s': KEY must be letters, "
		    "digits and _, not starting with a digit", tag);
	if (kn >= 2 && tag[0] == '_' && tag[1] == '_')
		return refuse(cause, "bad --tag '%s': keys starting with __ "
		    "are reserved by Pyroscope", tag);
	for (i = 0; i < sizeof ours / sizeof ours[0]; i++)
		if (strlen(ours[i]) == kn && strncmp(tag, ours[i], kn) == 0)
			return refuse(cause, "bad --tag '%s': ctop-prof sets "
			    "%s itself", tag, ours[i]);
	if (eq[1] == '\0' || strlen(eq + 1) > PUSH_VALUE_MAX)
		return refuse(cause, "bad --tag '%s': VALUE must be 1 to %d "
		    "characters", tag, PUSH_VALUE_MAX);
	for (i = 1; eq[i] != '\0'; i++)
		if (!value_char(eq[i]))
			return refuse(cause, "bad --tag '%s': VALUE may hold "
			    "only letters, digits and _ . : / -", tag);
	return 0;
}

void
push_app_from_comm(const char *comm, char *buf, size_t size)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; comm[i] != '\0' && i + 1 < size; i++)
		buf[i] = value_char(comm[i]) ? comm[i] : '_';
	buf[i] = '\0';
	if (i == 0)
		snprintf(buf, size, "unknown");
}
