/* SPDX-License-Identifier: MIT */
/* --load: a snapshot in any format, told by its content, not its name:
 * gzip (pprof, as stored), a raw pprof protobuf, speedscope JSON (a JSON
 * object), `perf script` text (what stackcollapse-perf.pl reads), or
 * folded stacks. The input is untrusted:
 * sizes are bounded, and every error names the file and the byte offset or
 * line. */
#include "config.h"

#include "ctop/export.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"

/* Profiles beyond this are refused rather than read into memory. */
#define READ_MAX ((size_t)1 << 30)

static int
read_fail(char **cause, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
read_fail(char **cause, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (cause && vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return err;
}

/* The whole of in (at most READ_MAX bytes) in *buf, NUL-terminated. */
static int
read_all(FILE *in, const char *path, char **buf, size_t *len, char **cause)
{
	size_t cap = 65536, n = 0, got;
	char *b = malloc(cap + 1), *nb;

	if (!b)
		return -ENOMEM;
	while ((got = fread(b + n, 1, cap - n, in)) > 0) {
		n += got;
		if (n < cap)
			continue;
		if (cap >= READ_MAX) {
			free(b);
			return read_fail(cause, -EFBIG, "%s: larger than %zu "
			    "MiB", path, READ_MAX >> 20);
		}
		cap *= 2;
		if (!(nb = realloc(b, cap + 1))) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
	}
	if (ferror(in)) {
		int err = errno ? -errno : -EIO;

		free(b);
		return read_fail(cause, err, "%s: read error at byte %zu: %s",
		    path, n, strerror(-err));
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* gunzip (gzip or zlib headers) of in, at most READ_MAX bytes out. */
static int
gunzip(const char *in, size_t n, uint8_t **out, size_t *len,
    const char *path, char **cause)
{
	size_t cap = n * 4 + 4096;
	uint8_t *b = NULL, *nb;
	z_stream zs;
	int zr;

	memset(&zs, 0, sizeof(zs));
	/* 15 + 32: a gzip or zlib header, told apart by zlib. */
	if (inflateInit2(&zs, 15 + 32) != Z_OK || !(b = malloc(cap)))
		goto nomem;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	for (;;) {
		zs.next_out = b + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_OK && zs.avail_out == 0 && cap < READ_MAX) {
			cap *= 2;
			if (!(nb = realloc(b, cap)))
				goto nomem;
			b = nb;
			continue;
		}
		zr = read_fail(cause, -EINVAL, "%s: byte %lu: gzip data %s",
		    path, zs.total_in, zr == Z_OK || zr == Z_BUF_ERROR ?
		    (cap >= READ_MAX ? "inflates past 1 GiB" :
		    "cut short") : zs.msg ? zs.msg : "corrupt");
		inflateEnd(&zs);
		free(b);
		return zr;
	}
	*out = b;
	*len = zs.total_out;
	inflateEnd(&zs);
	return 0;
nomem:
	inflateEnd(&zs);
	free(b);
	return -ENOMEM;
}

/* `perf script` output: a header line (not indented) then indented frame
 * lines "ADDR SYM (MODULE)". Folded lines are not indented: an indented
 * second line says perf script (whose reader then checks the rest). */
static bool
looks_perf_script(const char *b, size_t n)
{
	const char *eol, *p = b, *end = b + n;

	while (p < end && (*p == '#' || *p == '\n')) {	/* perf's comments */
		eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	if (p >= end || isspace((unsigned char)*p))
		return false;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return false;
	p = eol + 1;
	return p < end && (*p == '\t' || *p == ' ');
}

/* A raw (not gzipped) pprof: a protobuf opening with field 1 (tag 0x0a,
 * sample_type) and the short length of its first ValueType, as Go's and
 * ours do. Text never starts with a newline and a control byte, so other
 * binary garbage goes to the folded reader, whose error names the line. */
static bool
looks_raw_pprof(const char *b, size_t n)
{
	return n > 2 && b[0] == 0x0a && b[1] > 0 && b[1] < 0x20 &&
	    b[1] != '\t' && b[1] != '\n' && b[1] != '\r';
}

static int
read_folded(struct profile *p, char *buf, size_t n, const char *path,
    char **cause)
{
	FILE *in = n ? fmemopen(buf, n, "r") : NULL;
	int err;

	if (!n)
		return 0;	/* an empty file is an empty profile */
	if (!in)
		return -errno;
	err = export__folded_read_stream(p, in, path, cause);
	fclose(in);
	return err;
}

int
export_read(struct profile *p, const char *path, char **cause)
{
	bool std = strcmp(path, "-") == 0;
	FILE *in = std ? stdin : fopen(path, "re");
	const char *name = std ? "standard input" : path;
	uint8_t *raw = NULL;
	size_t n = 0, rn = 0;
	char *buf = NULL;
	int err;

	if (!in)
		return read_fail(cause, -errno, "cannot open %s: %s", path,
		    strerror(errno));
	err = read_all(in, name, &buf, &n, cause);
	if (!std)
		fclose(in);
	if (err)
		return err;
	if (n >= 2 && (uint8_t)buf[0] == 0x1f && (uint8_t)buf[1] == 0x8b) {
		err = gunzip(buf, n, &raw, &rn, name, cause);
		if (!err)
			err = export__pprof_read(p, raw, rn, name, cause);
	} else if (looks_raw_pprof(buf, n)) {
		err = export__pprof_read(p, (uint8_t *)buf, n, name, cause);
	} else if (n && buf[strspn(buf, " \t\r\n")] == '{') {
		err = export__speedscope_read(p, buf, n, name, cause);
	} else if (looks_perf_script(buf, n)) {
		err = export__perf_script_read(p, buf, n, name, cause);
	} else {
		err = read_folded(p, buf, n, name, cause);
	}
	if (err == -ENOMEM && cause && !*cause)
		read_fail(cause, err, "%s: out of memory", name);
	free(raw);
	free(buf);
	return err;
}
