/* SPDX-License-Identifier: MIT */
/* Unit tests of the export module: folded names, writer, reader (round
 * trips, malformed and random input), format selection, and the safe file
 * writers (never overwrite, never through a symlink, atomic replace). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctop/export.h"
#include "ctop/profile.h"
#include "../tap.h"

#ifndef CTOP_TEST_DATA
#define CTOP_TEST_DATA "tests/data"
#endif

static char tmpdir[256];

static char *
tmp_path(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

static const char *
data_path(const char *name)
{
	static char buf[512];
	const char *dir = getenv("top_srcdir");

	if (dir)
		snprintf(buf, sizeof(buf), "%s/tests/data/%s", dir, name);
	else
		snprintf(buf, sizeof(buf), "%s/%s", CTOP_TEST_DATA, name);
	return buf;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* The whole file as a malloc'd string (NULL if unreadable). */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* The folded text of a whole view (caller frees). */
static char *
folded_text(const struct pview *v, uint32_t node)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (folded_write(m, v, node) != 0) {
		fclose(m);
		free(buf);
		return NULL;
	}
	fclose(m);
	return buf;
}

/* Reads path into a new profile and returns the folded text of its
 * merged view; *err gets folded_read's result. */
static char *
reread(const char *path, int *err, char **cause)
{
	struct profile *p = profile_new(NULL);
	struct pview *v;
	char *text;

	*err = folded_read(p, path, cause);
	v = profile_view(p, NULL, 0);
	text = folded_text(v, 0);
	pview_unref(v);
	profile_free(p);
	return text;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
test_names(void)
{
	struct frame f = { .name = "a;b\nc\rd", .kind = FRAME_FUNC };
	char buf[64];
	size_t n;

	n = folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "a_b_c_d", "; and line breaks become _");
	is_int(n, 7, "length returned");
	f.name = "inl";
	f.kind = FRAME_INLINE;
	folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "inl_[i]", "inline suffix");
	f.kind = FRAME_KERNEL;
	folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "inl_[k]", "kernel suffix");
	f.kind = FRAME_JIT;
	folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "inl_[j]", "jit suffix");
	f.kind = FRAME_PROCESS;
	folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "inl", "no suffix for a process");
	f.kind = FRAME_MARKER;
	f.name = "[truncated]";
	folded_frame_name(&f, buf, sizeof(buf));
	is_str(buf, "[truncated]", "no suffix for a marker");
	f.name = "abcdef";
	f.kind = FRAME_KERNEL;
	n = folded_frame_name(&f, buf, 4);
	ok(n == 10 && strcmp(buf, "abc") == 0,
	    "truncates like snprintf (%zu, \"%s\")", n, buf);
	n = folded_frame_name(&f, buf, 8);
	is_str(buf, "abcdef_", "truncates inside the suffix");
	is_int(folded_frame_name(&f, NULL, 0), 10, "size 0: length only");
}

static uint32_t
intern(struct profile *p, const char *name, uint8_t kind)
{
	struct frame f = { .name = name, .kind = kind };

	return profile_intern(p, &f);
}

static void
test_write(void)
{
	struct profile *p = profile_new(NULL);
	uint32_t pr = intern(p, "prog", FRAME_PROCESS);
	uint32_t m = intern(p, "main", FRAME_FUNC);
	uint32_t a = intern(p, "a;x", FRAME_FUNC);
	uint32_t k = intern(p, "sys", FRAME_KERNEL);
	uint32_t t = intern(p, "[truncated]", FRAME_MARKER);
	uint32_t s1[] = { pr, m, a, k }, s2[] = { pr, m }, s3[] = { pr, t };
	uint32_t s4[] = { pr, m, a };
	struct pview *v;
	char *text;

	profile_add(p, 1, 0, s1, 4, 5);
	profile_add(p, 2, 0, s2, 2, 2);
	profile_add(p, 1, 0, s3, 2, 1);
	profile_add(p, 1, 0, s4, 3, 3);
	v = profile_view(p, NULL, 0);
	text = folded_text(v, 0);
	is_str(text, "prog;main 2\nprog;main;a_x 3\nprog;main;a_x;sys_[k] 5\n"
	    "prog;[truncated] 1\n",
	    "every stack, interior selfs on their own line, tree order");
	free(text);
	text = folded_text(v, v->nodes[v->nodes[1].first_child].first_child);
	is_str(text, "prog;main;a_x 3\nprog;main;a_x;sys_[k] 5\n",
	    "only stacks through a node, full paths from the process");
	free(text);
	{
		FILE *m2 = fopen("/dev/null", "w");

		is_int(folded_write(m2, v, v->n_nodes), -EINVAL,
		    "bad node rejected");
		fclose(m2);
	}
	pview_unref(v);
	profile_free(p);
}

static void
test_read(void)
{
	struct profile *p = profile_new(NULL);
	struct profile_stats st;
	struct pview *v;
	char *cause = NULL;
	uint32_t i, kinds[6] = { 0 };
	const char *path = tmp_path("kinds.folded");
	static const char text[] =
	    "x_[k];f_[k];g_[i];h_[j];[truncated];_[k];[unknown]_[k] 3\n"
	    "x_[k];f_[k] 18446744073709551612\n";
	static const char past[] = "a;b 18446744073709551615\na;c 1\n";

	write_file(path, text, sizeof(text) - 1);
	is_int(folded_read(p, path, &cause), 0, "suffixed frames read");
	profile_get_stats(p, &st);
	is_int(st.frames, 7, "seven distinct frames");
	ok(st.samples == UINT64_MAX && st.nodes == 8, "counts adding up to "
	    "2^64-1 accepted (%llu samples, %u nodes)",
	    (unsigned long long)st.samples, st.nodes);
	for (i = 0; i < st.frames; i++)
		kinds[profile_frame(p, i)->kind]++;
	ok(kinds[FRAME_PROCESS] == 1 && kinds[FRAME_KERNEL] == 2 &&
	    kinds[FRAME_INLINE] == 1 && kinds[FRAME_JIT] == 1 &&
	    kinds[FRAME_MARKER] == 1 && kinds[FRAME_FUNC] == 1,
	    "kinds parsed from suffixes and brackets");
	is_str(profile_frame(p, 0)->name, "x_[k]",
	    "first frame is the process, suffix kept");
	is_str(profile_frame(p, 1)->name, "f", "suffix stripped");
	is_str(profile_frame(p, 5)->name, "_[k]", "a bare suffix is a name");
	is_str(profile_frame(p, 6)->name, "[unknown]", "kernel [unknown]");
	profile_free(p);

	/* A sum that wrapped would give node a a total of 0, and a view would
	 * drop it with a;c (a fuzz finding): such a file is refused. */
	p = profile_new(NULL);
	write_file(path, past, sizeof(past) - 1);
	is_int(folded_read(p, path, &cause), -EINVAL,
	    "counts adding up past 2^64-1 refused");
	ok(cause && strstr(cause, ":2: the counts add up past"),
	    "at line 2, said so: %s", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	profile_free(p);

	p = profile_new(NULL);
	is_int(folded_read(p, data_path("crlf.folded"), &cause), 0,
	    "CRLF file read");
	v = profile_view(p, NULL, 0);
	is_int(v->total, 16, "CRLF counts");
	is_str(v->frames[v->funcs[0].frame].name, "jitted",
	    "no stray carriage return in names");
	is_int(v->funcs[0].self, 5, "duplicate lines add up elsewhere");
	pview_unref(v);
	profile_free(p);

	path = tmp_path("empty.folded");
	write_file(path, "", 0);
	p = profile_new(NULL);
	is_int(folded_read(p, path, &cause), 0, "empty file: empty profile");
	profile_get_stats(p, &st);
	is_int(st.samples, 0, "no samples");
	profile_free(p);

	p = profile_new(NULL);
	cause = NULL;
	is_int(folded_read(p, tmp_path("missing.folded"), &cause), -ENOENT,
	    "missing file: -ENOENT");
	ok(cause && strstr(cause, "missing.folded"), "cause names the file: %s",
	    cause ? cause : "(null)");
	free(cause);
	profile_free(p);
}

static void
test_round_trip(const char *name)
{
	const char *path = data_path(name), *p1 = tmp_path("rt1.folded");
	char *t1, *t2, *cause = NULL;
	int err;

	t1 = reread(path, &err, &cause);
	is_int(err, 0, "%s read", name);
	write_file(p1, t1, strlen(t1));
	t2 = reread(p1, &err, &cause);
	is_int(err, 0, "%s written and read again", name);
	ok(t1 && t2 && strcmp(t1, t2) == 0 && *t1,
	    "%s: write -> read -> write gives identical bytes", name);
	free(t1);
	free(t2);
}

struct bad_case {
	const char *what;
	const char *text;
	size_t len;
	const char *where;	/* ":LINE:" expected in the cause */
};

#define BAD(w, t, at) { w, t, sizeof(t) - 1, at }

static void
test_malformed(void)
{
	static const struct bad_case cases[] = {
		BAD("no count", "a;b 5\nno_count\n", ":2: no count"),
		BAD("count 0", "a;b 0\n", ":1: the count"),
		BAD("negative count", "a 1\na;b -3\n", ":2: the count"),
		BAD("count not a number", "a;b x1\n", ":1: the count"),
		BAD("count with a fraction", "a 5\n\nb 1\nc 1.5\n",
		    ":4: the count"),
		BAD("count overflows", "a 18446744073709551616\n",
		    ":1: the count"),
		BAD("trailing space", "a 5 \n", ":1: the count"),
		BAD("no frames", " 5\n", ":1: no frames"),
		BAD("NUL byte", "a 1\nb\0c 2\n", ":2: NUL byte"),
		BAD("binary garbage", "a 1\r\nb 2\r\n\x01\x02\xff\xfe\x80\n",
		    ":3: no count"),
		BAD("garbage count", "a;b \x80\x81\n", ":1: the count"),
	};
	const char *path = tmp_path("bad.folded");
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct profile *p = profile_new(NULL);
		char *cause = NULL;
		int err;

		write_file(path, cases[i].text, cases[i].len);
		err = folded_read(p, path, &cause);
		ok(err == -EINVAL && cause && strstr(cause, path) &&
		    strstr(cause, cases[i].where), "%s rejected: %s",
		    cases[i].what, cause ? cause : "(no cause)");
		free(cause);
		profile_free(p);
	}
}

static void
test_huge_line(void)
{
	const char *path = tmp_path("huge.folded");
	size_t big = 16u * 1024 * 1024 + 16;
	char *buf = malloc(big + 32), *cause = NULL;
	struct profile *p = profile_new(NULL);
	int err;

	memcpy(buf, "a;b 1\n", 6);
	memset(buf + 6, 'x', big);
	memcpy(buf + 6 + big, " 1\n", 3);
	write_file(path, buf, big + 9);
	err = folded_read(p, path, &cause);
	ok(err == -EINVAL && cause && strstr(cause, ":2: line longer"),
	    "line over 16 MiB rejected: %s", cause ? cause : "(no cause)");
	free(cause);
	profile_free(p);

	/* Just under the limit is fine. */
	p = profile_new(NULL);
	cause = NULL;
	memset(buf, 'y', 16u * 1024 * 1024 - 2);
	memcpy(buf + 16u * 1024 * 1024 - 2, " 7\n", 3);
	write_file(path, buf, 16u * 1024 * 1024 + 1);
	err = folded_read(p, path, &cause);
	is_int(err, 0, "a line of exactly 16 MiB is accepted");
	free(cause);
	free(buf);
	profile_free(p);
	unlink(path);
}

/* A few valid folded lines, then 0-3 random bytes overwritten. */
static size_t
mutated(char *buf, size_t size, unsigned int *seed)
{
	static const char *const lines[] = {
		"app;main;f 3\n", "app;main;g_[i];h_[k] 12\r\n",
		"app;[truncated];lib.so+0x10 1\n", "app;main;f;f;f 7\n",
		"app 2\n", "x;[unknown]_[k] 5\n",
	};
	size_t len = 0, n = (size_t)(rand_r(seed) % 12), k, l;

	for (k = 0; k < n; k++) {
		const char *line = lines[rand_r(seed) % 6];

		l = strlen(line);
		if (len + l >= size)
			break;
		memcpy(buf + len, line, l);
		len += l;
	}
	for (k = rand_r(seed) % 4; len && k > 0; k--)
		buf[rand_r(seed) % len] = (char)rand_r(seed);
	return len;
}

/* 2000 random buffers, biased to the format's own bytes: never a crash,
 * only 0 or -EINVAL, and a cause with every error. */
static void
test_fuzz(void)
{
	static const char alphabet[] = ";;;  0123456789\n\n\r[]_ikj\0ab\xff";
	const char *path = tmp_path("fuzz.folded");
	unsigned int seed = 12345, i, good = 0, bad = 0, odd = 0;
	char buf[600];

	for (i = 0; i < 2000; i++) {
		struct profile *p = profile_new(NULL);
		size_t len = (size_t)(rand_r(&seed) % 512), k;
		char *cause = NULL;
		int err;

		if (i % 2) {
			/* Valid lines with a few bytes changed. */
			len = mutated(buf, sizeof(buf), &seed);
		} else {
			for (k = 0; k < len; k++)
				buf[k] = rand_r(&seed) % 4 ?
				    alphabet[rand_r(&seed) %
				    (sizeof(alphabet) - 1)] :
				    (char)rand_r(&seed);
		}
		write_file(path, buf, len);
		err = folded_read(p, path, &cause);
		if (err == 0) {
			struct pview *v = profile_view(p, NULL, 0);
			char *t = folded_text(v, 0);

			good++;
			odd += t == NULL;
			free(t);
			pview_unref(v);
		} else if (err == -EINVAL && cause) {
			bad++;
		} else {
			odd++;
		}
		free(cause);
		profile_free(p);
	}
	ok(odd == 0 && good + bad == 2000, "2000 random inputs: %u read, "
	    "%u rejected, %u odd", good, bad, odd);
}

/* Whether cause names path and a place in it: "PATH:LINE:" (text),
 * "PATH: byte N:" (binary) or "PATH: pprof: byte N of" (a gzipped pprof's
 * inflated bytes), what every --load error promises. */
static bool
names_place(const char *cause, const char *path)
{
	size_t n = strlen(path), d;

	if (!cause || strncmp(cause, path, n) != 0)
		return false;
	cause += n;
	if (strncmp(cause, ": pprof: byte ", 14) == 0) {
		d = strspn(cause + 14, "0123456789");
		return d > 0 && strncmp(cause + 14 + d, " of ", 4) == 0;
	}
	if (strncmp(cause, ": byte ", 7) == 0)
		cause += 7;
	else if (*cause++ != ':')
		return false;
	d = strspn(cause, "0123456789");
	return d > 0 && cause[d] == ':';
}

/* Random bytes given to --load's reader (export_read, which tells the
 * format from the first bytes), with a fixed seed so that a run is the
 * same as the last: plain, and led by each format's first bytes so that
 * every reader gets its share (plain random bytes reach the JSON reader
 * one time in 256 and pprof's one in 2300, too rarely to test by
 * chance). Each is read or refused with its place named; none crashes. */
static void
test_load_garbage(void)
{
	static const struct {
		const char *what, *lead, *reader;
		size_t n;
	} kind[] = {
		{ "plain", "", NULL, 0 },
		{ "folded-like", "a;b;c 3\n", NULL, 8 },
		{ "speedscope", "{", "speedscope", 1 },
		{ "speedscope with a key", "{\"shared\": ", "speedscope", 11 },
		{ "raw pprof", "\x0a\x05", "pprof", 2 },
		{ "gzip", "\x1f\x8b", "gzip", 2 },
		{ "perf script", "x 1 2: cpu-clock:\n\t", "perf script", 19 },
	};
	const char *path = tmp_path("garbage.bin");
	unsigned int seed = 20261206, i, k;
	uint8_t buf[4096];

	for (k = 0; k < sizeof(kind) / sizeof(kind[0]); k++) {
		unsigned int read = 0, placed = 0, by_reader = 0, odd = 0;
		char first_odd[256] = "";

		for (i = 0; i < 500; i++) {
			struct profile *p = profile_new(NULL);
			size_t len = 1 + (size_t)(rand_r(&seed) % sizeof(buf)), j;
			char *cause = NULL;
			int err;

			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)rand_r(&seed);
			memcpy(buf, kind[k].lead, kind[k].n < len ?
			    kind[k].n : len);
			write_file(path, buf, len);
			err = export_read(p, path, &cause);
			if (err == 0) {
				read++;
			} else if (err == -EINVAL && names_place(cause, path)) {
				placed++;
				by_reader += kind[k].reader &&
				    strstr(cause, kind[k].reader) != NULL;
			} else if (!odd++) {
				snprintf(first_odd, sizeof(first_odd),
				    " (first: %d %s)", err, cause ? cause : "-");
			}
			free(cause);
			profile_free(p);
		}
		ok(odd == 0 && read + placed == 500, "--load of 500 random "
		    "inputs, %s: %u read, %u refused naming the line or byte, "
		    "%u otherwise%s", kind[k].what, read, placed, odd,
		    first_odd);
		if (kind[k].reader)
			ok(by_reader >= 400, "%s: %u of 500 refused by the %s "
			    "reader (the lead chose it)", kind[k].what, by_reader,
			    kind[k].reader);
	}
}

static void
test_formats(void)
{
	enum export_format f = (enum export_format)99;
	char *cause = NULL;

	is_int(export_format_parse(NULL, NULL, &f, &cause), 0, "default");
	is_int(f, EXPORT_FOLDED, "default is folded");
	is_int(export_format_parse("folded", "x.svg", &f, &cause), 0,
	    "--format wins over the extension");
	is_int(export_format_parse(NULL, "out.txt", &f, &cause), 0, ".txt");
	is_int(export_format_parse(NULL, "dir.v2/out", &f, &cause), 0,
	    "no extension");
	is_int(export_format_parse(NULL, "a.folded", &f, &cause), 0,
	    ".folded");
	is_int(export_format_parse(NULL, "a.weird", &f, &cause), 0,
	    "unknown extension: folded");
	is_int(export_format_parse(NULL, "a.svg", &f, &cause), 0, ".svg");
	is_int(f, EXPORT_SVG, ".svg is svg");
	is_int(export_format_parse("pprof", NULL, &f, &cause), 0, "pprof");
	is_int(f, EXPORT_PPROF, "pprof by name");
	is_int(export_format_parse(NULL, "a.pb.gz", &f, &cause), 0, ".pb.gz");
	is_int(f, EXPORT_PPROF, ".pb.gz is pprof");
	is_int(export_format_parse(NULL, "a.PPROF", &f, &cause), 0, ".pprof");
	is_int(f, EXPORT_PPROF, ".pprof is pprof, any case");
	is_int(export_format_parse("speedscope", NULL, &f, &cause), 0,
	    "speedscope");
	is_int(f, EXPORT_SPEEDSCOPE, "speedscope by name");
	is_int(export_format_parse(NULL, "a.speedscope.json", &f, &cause), 0,
	    ".speedscope.json");
	is_int(f, EXPORT_SPEEDSCOPE, ".speedscope.json is speedscope");
	is_int(export_format_parse("bogus", NULL, &f, &cause), -EINVAL,
	    "unknown format");
	ok(cause && strstr(cause, "unknown format 'bogus'"), "cause: %s",
	    cause ? cause : "(null)");
	free(cause);
}

/* export_place_check without the place (the old export_check_output). */
static int
export_check_output(const char *path, char **cause)
{
	struct export_place pl;

	return export_place_check(path, &pl, cause);
}

/* Check, then write the whole view, as --output does. */
static int
export_write_replace(const char *path, enum export_format fmt,
    const struct pview *v, uint32_t node, char **cause)
{
	struct export_place pl;
	int err = export_place_check(path, &pl, cause);

	(void)node;
	return err ? err : export_place_write(&pl, fmt, v, false, cause);
}

static void
test_check_output(void)
{
	char *cause = NULL;

	is_int(export_check_output(tmp_path("out.folded"), &cause), 0,
	    "writable directory");
	is_int(export_check_output(tmp_path("nodir/out.folded"), &cause),
	    -ENOENT, "missing directory");
	ok(cause && strstr(cause, "nodir"), "cause: %s",
	    cause ? cause : "(null)");
	free(cause);
	cause = NULL;
	is_int(export_check_output(tmpdir, &cause), -EISDIR,
	    "a directory is not a file");
	free(cause);
	cause = NULL;
	write_file(tmp_path("plain"), "x", 1);
	is_int(export_check_output(tmp_path("plain/out.folded"), &cause),
	    -ENOTDIR, "a file as the directory");
	free(cause);
	unlink(tmp_path("plain"));
}

static struct pview *
small_view(struct profile **pp)
{
	struct profile *p = profile_new(NULL);
	uint32_t s[] = { intern(p, "prog", FRAME_PROCESS),
	    intern(p, "main", FRAME_FUNC) };

	profile_add(p, 1, 0, s, 2, 9);
	*pp = p;
	return profile_view(p, NULL, 0);
}

static void
test_write_new(void)
{
	char *path = NULL, *cause = NULL, *text;
	struct profile *p;
	struct pview *v = small_view(&p);
	struct stat st;
	int n0;

	mkdir(tmp_path("snap"), 0755);
	write_file(tmp_path("snap/s.folded"), "keep\n", 5);
	write_file(tmp_path("snap/target"), "target content\n", 15);
	symlink("target", tmp_path("snap/s-1.folded"));
	n0 = count_entries(tmp_path("snap"));
	umask(022);
	is_int(export_write_new(tmp_path("snap"), "s", EXPORT_FOLDED, v, 0,
	    &path, &cause), 0, "snapshot written");
	ok(path && strstr(path, "/snap/s-2.folded"),
	    "skips the file and the symlink: %s", path ? path : "(null)");
	text = path ? slurp(path) : NULL;
	is_str(text, "prog;main 9\n", "snapshot content");
	free(text);
	text = slurp(tmp_path("snap/s.folded"));
	is_str(text, "keep\n", "existing file untouched");
	free(text);
	text = slurp(tmp_path("snap/target"));
	is_str(text, "target content\n", "symlink target untouched");
	free(text);
	ok(lstat(tmp_path("snap/s-1.folded"), &st) == 0 && S_ISLNK(st.st_mode),
	    "symlink still a symlink");
	ok(path && stat(path, &st) == 0 && (st.st_mode & 0777) == 0644 &&
	    st.st_nlink == 1, "mode 0644, temporary link gone (mode %o)",
	    (unsigned)(st.st_mode & 0777));
	is_int(count_entries(tmp_path("snap")), n0 + 1,
	    "exactly one new entry, no temporary left");
	free(path);
	path = NULL;
	is_int(export_write_new(tmp_path("snap"), "s", EXPORT_FOLDED, v, 0,
	    &path, &cause), 0, "second snapshot");
	ok(path && strstr(path, "/snap/s-3.folded"), "next free name: %s",
	    path ? path : "(null)");
	free(path);
	is_int(export_write_new(tmp_path("nodir"), "s", EXPORT_FOLDED, v, 0,
	    &path, &cause), -ENOENT, "missing directory fails");
	ok(cause && strstr(cause, "temporary"), "cause: %s",
	    cause ? cause : "(null)");
	free(cause);
	pview_unref(v);
	profile_free(p);
}

static void
test_write_replace(void)
{
	const char *dst = tmp_path("rep/out.folded");
	char *cause = NULL, *text;
	struct profile *p;
	struct pview *v = small_view(&p);
	struct stat before, after;

	mkdir(tmp_path("rep"), 0755);
	write_file(dst, "old content that is longer\n", 27);
	stat(dst, &before);
	is_int(export_write_replace(dst, EXPORT_FOLDED, v, 0, &cause), 0,
	    "replace written");
	text = slurp(dst);
	is_str(text, "prog;main 9\n", "new content replaced the old");
	free(text);
	stat(dst, &after);
	ok(before.st_ino != after.st_ino,
	    "replaced by rename (a new inode), never truncated in place");
	is_int(count_entries(tmp_path("rep")), 1, "no temporary file left");
	mkdir(tmp_path("rep/adir"), 0755);
	is_int(export_write_replace(tmp_path("rep/adir"), EXPORT_FOLDED, v, 0,
	    &cause), -EISDIR, "cannot replace a directory");
	ok(cause != NULL, "cause: %s", cause ? cause : "(null)");
	free(cause);
	is_int(count_entries(tmp_path("rep")), 2,
	    "temporary unlinked on failure");
	rmdir(tmp_path("rep/adir"));
	pview_unref(v);
	profile_free(p);
}

/* Removes what the tests made (one level of subdirectories). */
static void
cleanup(void)
{
	static const char *const sub[] = { "snap", "rep", "" };
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char dir[512];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub[i]);
		if (!(d = opendir(dir)))
			continue;
		while ((e = readdir(d))) {
			char f[800];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(f, sizeof(f), "%s/%s", dir, e->d_name);
			unlink(f);
		}
		closedir(d);
		rmdir(dir);
	}
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test-folded.XXXXXX",
	    t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_names();
	test_write();
	test_read();
	test_round_trip("sample.folded");
	test_round_trip("crlf.folded");
	test_malformed();
	test_huge_line();
	test_fuzz();
	test_load_garbage();
	test_formats();
	test_check_output();
	test_write_new();
	test_write_replace();
	cleanup();
	return done_testing();
}
