/* SPDX-License-Identifier: MIT */
/* fuzz-replay: runs the fuzz targets without libFuzzer (any compiler, any
 * sanitizer build): every input of the corpus, then seeded, deterministic
 * mutations of them for a count or a time budget. A crash names the input
 * and how to regenerate it; exit 0 means nothing crashed or leaked. */
#include "config.h"

#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Provided by the sanitizer runtimes when linked (weak: NULL otherwise). */
extern void __sanitizer_set_death_callback(void (*cb)(void))
    __attribute__((weak));
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
extern void __asan_poison_memory_region(void const volatile *addr,
    size_t size) __attribute__((weak));

extern const struct fuzz_target *const __start_ctop_fuzz_targets[]
    __attribute__((weak));
extern const struct fuzz_target *const __stop_ctop_fuzz_targets[]
    __attribute__((weak));

#define LEAK_CHECK_EVERY 4096

struct input {
	char *path;
	uint8_t *data;
	size_t size;
};

struct corpus {
	struct input *in;
	size_t n, cap;
};

static const char usage_text[] =
"usage: fuzz-replay [-t TARGET] [-n COUNT] [-T SECONDS] [-s SEED]\n"
"                   [-m MAXLEN] [-o CRASHDIR] PATH...\n"
"       fuzz-replay -t TARGET -s SEED -i ITER [-m MAXLEN] PATH... > input\n"
"       fuzz-replay -l | -S\n"
"Runs TARGET on every file of each PATH (a file or a directory), then on\n"
"COUNT mutations (or as many as fit in SECONDS) made from them with SEED.\n"
"-i writes mutation ITER to stdout instead; -l lists the targets;\n"
"-S says which sanitizer checks this build makes (asan, lsan).\n";

/* ------------------------------------------------------------------------
 * Crash reports: the signal handler and the sanitizers' death callback
 * only use async-signal-safe calls (write, open, mkdir)
 * ------------------------------------------------------------------------ */

static struct {
	const char *target;
	const char *crash_dir;		/* NULL: do not save */
	unsigned long long seed;
	const uint8_t *data;		/* the input being run */
	size_t size;
	const char *file;		/* its corpus file, or NULL */
	unsigned long long iter;	/* else its mutation number */
} cur;

static void
put(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	(void)n;
}

static char *
cat_str(char *at, char *end, const char *s)
{
	while (*s && at < end - 1)
		*at++ = *s++;
	*at = '\0';
	return at;
}

static char *
cat_num(char *at, char *end, unsigned long long v)
{
	char tmp[24];
	int i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < 23);
	while (i > 0 && at < end - 1)
		*at++ = tmp[--i];
	*at = '\0';
	return at;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void
crash_report(void)
{
	static char msg[PATH_MAX + 256], path[PATH_MAX];
	char *m = msg, *mend = msg + sizeof(msg), *p = path;
	char *pend = path + sizeof(path);
	int fd;

	m = cat_str(m, mend, "fuzz-replay: ");
	m = cat_str(m, mend, cur.target);
	m = cat_str(m, mend, ": crashed on ");
	if (cur.file) {
		m = cat_str(m, mend, cur.file);
	} else {
		m = cat_str(m, mend, "mutation ");
		m = cat_num(m, mend, cur.iter);
		m = cat_str(m, mend, " of seed ");
		m = cat_num(m, mend, cur.seed);
		m = cat_str(m, mend, " (regenerate it with -i)");
	}
	cat_str(m, mend, "\n");
	put(2, msg);
	if (!cur.crash_dir)
		return;
	mkdir(cur.crash_dir, 0755);
	p = cat_str(p, pend, cur.crash_dir);
	p = cat_str(p, pend, "/crash-");
	p = cat_str(p, pend, cur.target);
	p = cat_str(p, pend, "-");
	if (cur.file) {
		p = cat_str(p, pend, base_name(cur.file));
	} else {
		p = cat_num(p, pend, cur.seed);
		p = cat_str(p, pend, "-");
		p = cat_num(p, pend, cur.iter);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, cur.data, cur.size) != (ssize_t)cur.size) {
		put(2, "fuzz-replay: cannot save the input\n");
	} else {
		put(2, "fuzz-replay: input saved as ");
		put(2, path);
		put(2, "\n");
	}
	if (fd >= 0)
		close(fd);
}

static void
crash_signal(int sig)
{
	crash_report();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catches what the sanitizers leave alone: a handler already installed
 * (ASan's SIGSEGV) stays, and ASan reports through the death callback. */
static void
crash_handlers_install(void)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(crash_report);
}

/* ------------------------------------------------------------------------
 * Corpus
 * ------------------------------------------------------------------------ */

static int
corpus_add_file(struct corpus *c, const char *path)
{
	struct input in = { 0 };
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	in.size = (size_t)len;
	in.data = malloc(in.size ? in.size : 1);
	in.path = strdup(path);
	if (!in.data || !in.path || fread(in.data, 1, in.size, f) != in.size) {
		free(in.data);
		free(in.path);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		struct input *ni = realloc(c->in, ncap * sizeof(*ni));

		if (!ni) {
			free(in.data);
			free(in.path);
			return -ENOMEM;
		}
		c->in = ni;
		c->cap = ncap;
	}
	c->in[c->n++] = in;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, by name (readdir's order varies), so that a
 * seed gives the same mutations everywhere. */
static int
corpus_add_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[PATH_MAX];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) *
			    sizeof(*nn));

			if (!nn) {
				err = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			err = -ENOMEM;
		else
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!err && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			err = corpus_add_file(c, path);
		free(names[i]);
	}
	free(names);
	return err;
}

static int
corpus_add(struct corpus *c, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? corpus_add_dir(c, path) :
	    corpus_add_file(c, path);
}

static void
corpus_free(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->in[i].data);
		free(c->in[i].path);
	}
	free(c->in);
}

/* ------------------------------------------------------------------------
 * Mutations: mutation ITER of SEED depends on nothing else but the corpus
 * ------------------------------------------------------------------------ */

/* splitmix64: a good 64-bit generator from any state, even 0. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
rng_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rng_next(s) % n) : 0;
}

/* Bytes and tokens that mean something to the parsers we fuzz: folded
 * separators, suffixes and counts, /proc maps fields, perf-map lines. */
static const char special_bytes[] = ";; \n\r\t0123456789[]_ikjx-:/+\0\xff";
static const char *const tokens[] = {
	";", " ", "\n", "\r\n", ";;", "_[i]", "_[k]", "_[j]", "[truncated]",
	"[unknown]", " 1", " 0", " 18446744073709551615",
	" 18446744073709551616", "+0x", "0x7fffffffffff", "r-xp", " (deleted)",
	"[vdso]", "[stack]", "\0",
};
static const char *const numbers[] = {
	"0", "1", "9", "10", "4294967295", "4294967296",
	"18446744073709551615", "18446744073709551616",
	"99999999999999999999999", "-1", "007",
};

struct mbuf {
	uint8_t *b;
	size_t len, cap;
};

/* Inserts n bytes at pos, cutting what would pass the cap. */
static void
mb_insert(struct mbuf *m, size_t pos, const void *src, size_t n)
{
	if (pos > m->len)
		pos = m->len;
	if (n > m->cap - pos)
		n = m->cap - pos;
	if (m->len + n > m->cap)
		m->len = m->cap - n;
	memmove(m->b + pos + n, m->b + pos, m->len - pos);
	memmove(m->b + pos, src, n);
	m->len += n;
}

static void
mb_erase(struct mbuf *m, size_t pos, size_t n)
{
	if (pos >= m->len)
		return;
	if (n > m->len - pos)
		n = m->len - pos;
	memmove(m->b + pos, m->b + pos + n, m->len - pos - n);
	m->len -= n;
}

/* Replaces the run of digits around a random digit by another number. */
static void
mutate_number(struct mbuf *m, uint64_t *s)
{
	size_t at = rng_below(s, m->len + 1), i, end;
	const char *num = numbers[rng_below(s, sizeof(numbers) /
	    sizeof(numbers[0]))];
	char tmp[24];

	for (i = 0; i < m->len && (m->b[(at + i) % m->len] < '0' ||
	    m->b[(at + i) % m->len] > '9'); i++)
		;
	if (i == m->len) {
		at = m->len;
		end = m->len;
	} else {
		at = (at + i) % m->len;
		while (at > 0 && m->b[at - 1] >= '0' && m->b[at - 1] <= '9')
			at--;
		for (end = at; end < m->len && m->b[end] >= '0' &&
		    m->b[end] <= '9'; end++)
			;
	}
	if (rng_below(s, 3) == 0) {
		snprintf(tmp, sizeof(tmp), "%llu",
		    (unsigned long long)(rng_next(s) >> rng_below(s, 64)));
		num = tmp;
	}
	mb_erase(m, at, end - at);
	mb_insert(m, at, num, strlen(num));
}

/* Copies a line (or any chunk) of another input to a random place. */
static void
mutate_splice(struct mbuf *m, const struct corpus *c, uint64_t *s)
{
	const struct input *o = c->n ? &c->in[rng_below(s, c->n)] : NULL;
	size_t from, n;
	const uint8_t *nl;

	if (!o || !o->size)
		return;
	from = rng_below(s, o->size);
	if (rng_below(s, 2)) {
		/* A whole line: from its start to its '\n'. */
		while (from > 0 && o->data[from - 1] != '\n')
			from--;
		nl = memchr(o->data + from, '\n', o->size - from);
		n = nl ? (size_t)(nl - o->data) - from + 1 : o->size - from;
	} else {
		n = 1 + rng_below(s, o->size - from < 256 ?
		    o->size - from : 256);
	}
	mb_insert(m, rng_below(s, m->len + 1), o->data + from, n);
}

static void
mutate_once(struct mbuf *m, const struct corpus *c, uint64_t *s)
{
	size_t pos = rng_below(s, m->len), n;
	const char *t;
	uint8_t byte;

	switch (rng_below(s, 10)) {
	case 0:
		if (m->len)
			m->b[pos] ^= (uint8_t)(1u << rng_below(s, 8));
		break;
	case 1:
		if (m->len)
			m->b[pos] = (uint8_t)rng_next(s);
		break;
	case 2:
		byte = (uint8_t)special_bytes[rng_below(s,
		    sizeof(special_bytes) - 1)];
		if (m->len && rng_below(s, 2))
			m->b[pos] = byte;
		else
			mb_insert(m, rng_below(s, m->len + 1), &byte, 1);
		break;
	case 3:
		t = tokens[rng_below(s, sizeof(tokens) / sizeof(tokens[0]))];
		mb_insert(m, rng_below(s, m->len + 1), t, *t ? strlen(t) : 1);
		break;
	case 4:
		mb_erase(m, pos, 1 + rng_below(s, 16));
		break;
	case 5:
		n = 1 + rng_below(s, m->len - pos < 64 ? m->len - pos : 64);
		if (m->len) {
			uint8_t tmp[64];

			memcpy(tmp, m->b + pos, n);
			mb_insert(m, rng_below(s, m->len + 1), tmp, n);
		}
		break;
	case 6:
		mutate_splice(m, c, s);
		break;
	case 7:
		if (rng_below(s, 4) == 0)
			m->len = pos;
		break;
	case 8:
		mutate_number(m, s);
		break;
	default:
		/* Swap two bytes: reorders separators and digits. */
		if (m->len) {
			size_t q = rng_below(s, m->len);

			byte = m->b[pos];
			m->b[pos] = m->b[q];
			m->b[q] = byte;
		}
		break;
	}
}

/* Builds mutation `iter` of `seed` into m (m->cap is the length limit):
 * a corpus input (or nothing) with 1 to 8 stacked changes. */
static void
mutation_make(struct mbuf *m, const struct corpus *c, uint64_t seed,
    uint64_t iter)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dull ^ iter;
	size_t k, rounds;

	rng_next(&s);
	m->len = 0;
	if (c->n) {
		const struct input *in = &c->in[rng_below(&s, c->n)];

		m->len = in->size < m->cap ? in->size : m->cap;
		memcpy(m->b, in->data, m->len);
	}
	rounds = 1 + rng_below(&s, 1 + rng_below(&s, 8));
	for (k = 0; k < rounds; k++)
		mutate_once(m, c, &s);
}

/* ------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------ */

/* A target for the self-test of the harness (run-fuzz-smoke.sh), hidden
 * from -l: '!' in the input crashes it, '%' leaks, '^' reads one byte past
 * the input (which only ASan sees). */
FUZZ_TARGET(_selftest)
{
	static volatile uint8_t sink;
	static void *volatile leak;

	if (memchr(data, '!', size))
		abort();
	if (memchr(data, '%', size))
		leak = malloc(7);
	if (memchr(data, '^', size))
		sink = data[size];
	/* Losing the only pointer is what makes it a leak. */
	if (leak)
		leak = NULL;
	(void)sink;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one input from an exact-size heap copy, so that ASan sees a read
 * past its end, as libFuzzer's copy does. */
static void
run_one(const struct fuzz_target *t, const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy) {
		fprintf(stderr, "fuzz-replay: out of memory\n");
		exit(1);
	}
	memcpy(copy, data, size);
	cur.data = copy;
	cur.size = size;
	t->run(copy, size);
	free(copy);
}

static int
leak_check(const char *what, unsigned long long from, unsigned long long to)
{
	if (!__lsan_do_recoverable_leak_check ||
	    !__lsan_do_recoverable_leak_check())
		return 0;
	fprintf(stderr, "fuzz-replay: %s: leak in %s %llu to %llu (seed "
	    "%llu)\n", cur.target, what, from, to, cur.seed);
	return -1;
}

static const struct fuzz_target *
target_find(const char *name)
{
	const struct fuzz_target *const *t, *found = NULL;
	int n = 0;

	for (t = __start_ctop_fuzz_targets; t && t < __stop_ctop_fuzz_targets;
	    t++) {
		if (name && strcmp((*t)->name, name) == 0)
			return *t;
		if ((*t)->name[0] != '_') {
			found = *t;
			n++;
		}
	}
	/* Without -t, the only target there is. */
	return !name && n == 1 ? found : NULL;
}

static void
targets_list(void)
{
	const struct fuzz_target *const *t;

	for (t = __start_ctop_fuzz_targets; t && t < __stop_ctop_fuzz_targets;
	    t++)
		if ((*t)->name[0] != '_')
			printf("%s\n", (*t)->name);
}

struct opts {
	const char *target;
	unsigned long long count, seed, iter;
	double seconds;
	size_t max_len;
	int list, one, sanitizers;
};

static int
opts_parse(int argc, char **argv, struct opts *o)
{
	char *end;
	int c;

	while ((c = getopt(argc, argv, "lSt:n:T:s:m:o:i:h")) != -1) {
		errno = 0;
		end = NULL;
		switch (c) {
		case 'l': o->list = 1; break;
		case 'S': o->sanitizers = 1; break;
		case 't': o->target = optarg; break;
		case 'o': cur.crash_dir = optarg; break;
		case 'n': o->count = strtoull(optarg, &end, 10); break;
		case 's': o->seed = strtoull(optarg, &end, 10); break;
		case 'i': o->iter = strtoull(optarg, &end, 10); o->one = 1;
			  break;
		case 'm': o->max_len = strtoull(optarg, &end, 10); break;
		case 'T': o->seconds = strtod(optarg, &end); break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return -1;
		}
		if (end && (*end || end == optarg || errno))
			return -1;
	}
	return o->max_len ? 0 : -1;
}

/* Runs every corpus input, then the mutations; returns the exit code. */
static int
fuzz_run(const struct fuzz_target *t, const struct corpus *c,
    const struct opts *o)
{
	struct mbuf m = { malloc(o->max_len), 0, o->max_len };
	double start = now_s(), deadline = start + o->seconds;
	unsigned long long i, last = 0;
	int rc = 1;
	size_t k;

	if (!m.b)
		return 1;
	for (k = 0; k < c->n; k++) {
		cur.file = c->in[k].path;
		run_one(t, c->in[k].data, c->in[k].size);
	}
	cur.file = NULL;
	if (leak_check("corpus inputs", 0, c->n))
		goto out;
	/* Without -n, mutations run until the deadline (none without -T). */
	for (i = 0; !o->count || i < o->count; i++) {
		if ((o->seconds > 0 || !o->count) && now_s() >= deadline)
			break;
		mutation_make(&m, c, o->seed, i);
		cur.iter = i;
		run_one(t, m.b, m.len);
		if ((i + 1) % LEAK_CHECK_EVERY == 0) {
			if (leak_check("mutations", last, i))
				goto out;
			last = i + 1;
		}
	}
	if (i > last && leak_check("mutations", last, i - 1))
		goto out;
	printf("%s: %zu corpus inputs and %llu mutations (seed %llu, "
	    "max %zu bytes) in %.1f s: no crash\n", t->name, c->n, i,
	    o->seed, o->max_len, now_s() - start);
	rc = 0;
out:
	free(m.b);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .max_len = 16384 };
	struct corpus c = { 0 };
	const struct fuzz_target *t;
	int i, err, rc;

	if (opts_parse(argc, argv, &o) < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (o.sanitizers) {
		printf("asan %s, lsan %s\n",
		    __asan_poison_memory_region ? "on" : "off",
		    __lsan_do_recoverable_leak_check ? "on" : "off");
		return 0;
	}
	if (o.list) {
		targets_list();
		return 0;
	}
	t = target_find(o.target);
	if (!t) {
		fprintf(stderr, "fuzz-replay: %s (see -l)\n", o.target ?
		    "no such target" : "more than one target: pick with -t");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		if ((err = corpus_add(&c, argv[i])) < 0) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i],
			    strerror(-err));
			corpus_free(&c);
			return 1;
		}
	}
	cur.target = t->name;
	cur.seed = o.seed;
	if (o.one) {
		struct mbuf m = { malloc(o.max_len), 0, o.max_len };

		rc = m.b ? 0 : 1;
		if (m.b) {
			mutation_make(&m, &c, o.seed, o.iter);
			rc = fwrite(m.b, 1, m.len, stdout) == m.len ? 0 : 1;
		}
		free(m.b);
		corpus_free(&c);
		return rc;
	}
	crash_handlers_install();
	rc = fuzz_run(t, &c, &o);
	corpus_free(&c);
	return rc;
}
