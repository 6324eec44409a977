/* SPDX-License-Identifier: MIT */
/* libcurl, loaded when --push needs it rather than at every start: its
 * thirty libraries (TLS, HTTP/2, LDAP, Kerberos...) cost about 16 ms of
 * the dynamic loader's CPU and 3.5 MB of RSS in every run, and most runs
 * never push. Include this instead of <curl/curl.h>: the curl_* calls of
 * the push module then go through the table curl_dl_load() fills. */
#ifndef CTOP_PUSH_CURL_DL_H
#define CTOP_PUSH_CURL_DL_H

/* The type-checking macros of curl.h would wrap the names below. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

struct curl_dl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *c);
	void (*easy_cleanup)(CURL *c);
	char *(*easy_escape)(CURL *c, const char *s, int len);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *l,
	    const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	curl_mime *(*mime_init)(CURL *c);
	curl_mimepart *(*mime_addpart)(curl_mime *m);
	CURLcode (*mime_name)(curl_mimepart *p, const char *name);
	CURLcode (*mime_filename)(curl_mimepart *p, const char *name);
	CURLcode (*mime_type)(curl_mimepart *p, const char *type);
	CURLcode (*mime_data)(curl_mimepart *p, const char *data,
	    size_t len);
	void (*mime_free)(curl_mime *m);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *u);
	CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part,
	    unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part,
	    unsigned int flags);
};

extern struct curl_dl curl_dl;

/* Loads libcurl once (any thread; later calls return the first answer).
 * 0, or -1 with *cause (malloc'd): which library, why, and the package
 * that brings it. */
int curl_dl_load(char **cause);

/* curl.h makes these two macros that check their count of arguments. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init	(*curl_dl.global_init)
#define curl_easy_init		(*curl_dl.easy_init)
#define curl_easy_setopt	(*curl_dl.easy_setopt)
#define curl_easy_getinfo	(*curl_dl.easy_getinfo)
#define curl_easy_perform	(*curl_dl.easy_perform)
#define curl_easy_cleanup	(*curl_dl.easy_cleanup)
#define curl_easy_escape	(*curl_dl.easy_escape)
#define curl_free		(*curl_dl.free)
#define curl_slist_append	(*curl_dl.slist_append)
#define curl_slist_free_all	(*curl_dl.slist_free_all)
#define curl_mime_init		(*curl_dl.mime_init)
#define curl_mime_addpart	(*curl_dl.mime_addpart)
#define curl_mime_name		(*curl_dl.mime_name)
#define curl_mime_filename	(*curl_dl.mime_filename)
#define curl_mime_type		(*curl_dl.mime_type)
#define curl_mime_data		(*curl_dl.mime_data)
#define curl_mime_free		(*curl_dl.mime_free)
#define curl_url		(*curl_dl.url)
#define curl_url_cleanup	(*curl_dl.url_cleanup)
#define curl_url_set		(*curl_dl.url_set)
#define curl_url_get		(*curl_dl.url_get)

#endif
