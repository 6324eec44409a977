/* SPDX-License-Identifier: MIT */
/* --load: a snapshot in any format, told by its content, not its name:
 * gzip (pprof, as stored), a raw pprof protobuf, speedscope JSON (a JSON
 * object), `perf script` text (what stackcollapse-perf.pl reads), or
 * folded stacks. The input is untrusted:
 * sizes are bounded, and every error names the file and where: the line,
 * the byte offset, or a pprof's element (its sample or location). */
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
/* Bytes looked at to tell the format. */
#define READ_PEEK 65536

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

/* head (hn bytes already read) and the rest of in, at most READ_MAX bytes
 * in all, in *buf, NUL-terminated. */
static int
read_rest(FILE *in, const char *head, size_t hn, const char *path,
    char **buf, size_t *len, char **cause)
{
	size_t cap = 65536 > hn * 2 ? 65536 : hn * 2, n = hn, got;
	char *b = malloc(cap + 1), *nb;

	if (!b)
		return -ENOMEM;
	memcpy(b, head, hn);
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

/* Folded input is streamed, not held in memory (a file may be large, or
 * endless as /dev/zero, which the folded reader refuses at its line
 * limit): the bytes already read for the format, then the rest of in. */
struct peeked {
	const char *head;
	size_t len, at;
	FILE *rest;
};

static ssize_t
peeked_read(void *cookie, char *buf, size_t size)
{
	struct peeked *pk = cookie;
	size_t n;

	if (pk->at < pk->len) {
		n = pk->len - pk->at < size ? pk->len - pk->at : size;
		memcpy(buf, pk->head + pk->at, n);
		pk->at += n;
		return (ssize_t)n;
	}
	n = fread(buf, 1, size, pk->rest);
	return n == 0 && ferror(pk->rest) ? -1 : (ssize_t)n;
}

static int
read_folded(struct profile *p, const char *head, size_t n, FILE *rest,
    const char *path, char **cause)
{
	struct peeked pk = { head, n, 0, rest };
	cookie_io_functions_t io = { .read = peeked_read };
	FILE *in = fopencookie(&pk, "r", io);
	int err;

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
	char *head, *buf = NULL;
	uint8_t *raw = NULL;
	size_t hn, n = 0, rn = 0;
	int err = 0;

	if (!in)
		return read_fail(cause, -errno, "%s: %s", path,
		    strerror(errno));
	if (!(head = malloc(READ_PEEK + 1))) {
		if (!std)
			fclose(in);
		return -ENOMEM;
	}
	/* The format from the first bytes; only the formats read whole are
	 * then read whole. */
	hn = fread(head, 1, READ_PEEK, in);
	head[hn] = '\0';
	if (hn < READ_PEEK && ferror(in))
		err = read_fail(cause, errno ? -errno : -EIO, "%s: read error "
		    "at byte %zu: %s", name, hn, strerror(errno ? errno : EIO));
	else if (!(hn >= 2 && (uint8_t)head[0] == 0x1f &&
	    (uint8_t)head[1] == 0x8b) && !looks_raw_pprof(head, hn) &&
	    !(hn && head[strspn(head, " \t\r\n")] == '{') &&
	    !looks_perf_script(head, hn))
		err = read_folded(p, head, hn, in, name, cause);
	else
		err = read_rest(in, head, hn, name, &buf, &n, cause);
	if (!std)
		fclose(in);
	if (err || !buf)
		goto out;
	if (n >= 2 && (uint8_t)buf[0] == 0x1f && (uint8_t)buf[1] == 0x8b) {
		err = gunzip(buf, n, &raw, &rn, name, cause);
		if (!err)
			err = export__pprof_read(p, raw, rn, true, name,
			    cause);
	} else if (looks_raw_pprof(buf, n)) {
		err = export__pprof_read(p, (uint8_t *)buf, n, false, name,
		    cause);
	} else if (n && buf[strspn(buf, " \t\r\n")] == '{') {
		err = export__speedscope_read(p, buf, n, name, cause);
	} else {
		err = export__perf_script_read(p, buf, n, name, cause);
	}
out:
	if (err == -ENOMEM && cause && !*cause)
		read_fail(cause, err, "%s: out of memory", name);
	free(raw);
	free(buf);
	free(head);
	return err;
}
