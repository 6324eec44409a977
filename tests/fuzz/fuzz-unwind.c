/* SPDX-License-Identifier: MIT */
/* Fuzz target for the unwinder (unwind_sample, DWARF, fp and auto) and the
 * symbolizer on what it finds: random registers and stack copies, walked
 * against the real modules of a test target (tests/targets/termesc, run
 * blocked on its stdin, so it costs nothing and ends with us). The
 * unwinder reads only the copy and the modules' files, never the target.
 *
 * Input: one byte of flags (bits 0-1 the method, 3 = all three; bit 2
 * SAMPLE_STACK_SHORT; bits 3-7 the frame limit, 1 + 4k), the copy's
 * address (8 bytes), 17 registers (8 bytes each), then the stack copy
 * (the rest, up to 65528 bytes). Each 8-byte value is a selector byte and
 * 7 bytes v, so that mutations reach addresses that matter: selector & 3
 * = 0 the 8 bytes as they are, 1 an address in module (selector >> 2) %
 * modules, 2 an address around the copy, 3 within 255 of 2^64. The copy's
 * address: 0 raw, 1 a usual stack address, 2 within 64 KiB of 2^64, 3
 * below 64 KiB.
 *
 * Invariants: the sampled pc comes first and exact; at most `max`
 * frames; MAX_DEPTH only at max; the stats count one walk and its end;
 * every frame-pointer caller lies in a module; DWARF and fp walks give
 * the same result twice; symbols_resolve names every frame. The copy is
 * allocated at its exact size, so a read past it is an ASan crash. */
#include "config.h"

#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctop/symbols.h"
#include "ctop/unwind.h"

#define MAX_MODS 32
#define MAX_FRAMES 128
#define MAX_STACK 65528

struct range {
	uint64_t lo, hi;
};

static struct {
	bool ready;
	pid_t child;		/* 0: walking our own modules */
	int keep_fd;		/* the child's stdin: it ends when this closes */
	struct symbols *sym;
	struct unwinder *uw;
	struct range mods[MAX_MODS];
	int n_mods;
} fz = { .keep_fd = -1 };

static void
fz_stop(void)
{
	int status;

	if (fz.keep_fd >= 0)
		close(fz.keep_fd);
	if (fz.child > 0)
		waitpid(fz.child, &status, 0);
	unwind_free(fz.uw);
	symbols_free(fz.sym);
}

/* tests/targets/termesc next to this program's directory (fuzz-replay in
 * tests/fuzz, libFuzzer's binaries in tests/fuzz/bin), or as the
 * environment says. */
static bool
find_target(char *path, size_t size)
{
	static const char *const rel[] = { "/../targets/termesc",
	    "/../../targets/termesc" };
	const char *env = getenv("CTOP_FUZZ_UNWIND_TARGET");
	char self[4096], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(path, size, "%s", env);
		return access(path, X_OK) == 0;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		if (snprintf(path, size, "%s%s", self, rel[i]) < (int)size &&
		    access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* Whether a file whose path holds `what` is mapped in pid. */
static bool
maps_have(pid_t pid, const char *what)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* Starts `termesc wait` with its stdin on a pipe we keep; returns its pid
 * once it runs the target's code (exec done), or -1. */
static pid_t
start_child(const char *path)
{
	char exe[4096], want[4096];
	int fds[2];
	pid_t pid;

	if (!realpath(path, want) || pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[0], 0);
		execl(want, want, "wait", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	fz.keep_fd = fds[1];
	/* /proc/PID/exe names the target as soon as the exec begins, before
	 * its mappings are made (once: "no module in /proc/PID/maps" under
	 * load): wait until ld.so has mapped libc as well, for up to 10 s. */
	for (int i = 0; i < 10000; i++) {
		char link[64];
		ssize_t n;
		struct timespec ms = { 0, 1000000 };

		snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
		n = readlink(link, exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			if (strcmp(exe, want) == 0 && maps_have(pid, "/libc."))
				return pid;
		}
		nanosleep(&ms, NULL);
	}
	return pid;
}

/* The file-backed mappings of pid: what "an address in a module" means. */
static void
read_modules(pid_t pid)
{
	char path[64], line[4096];
	unsigned long long lo, hi;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fz.n_mods < MAX_MODS && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
		    strchr(line, '/') && hi > lo)
			fz.mods[fz.n_mods++] = (struct range){ lo, hi };
	}
	fclose(f);
}

static void
fz_init(void)
{
	char path[4096], *cause = NULL;
	pid_t pid = getpid();

	fz.ready = true;
	if (find_target(path, sizeof path) &&
	    (fz.child = start_child(path)) > 0)
		pid = fz.child;
	else
		fprintf(stderr, "fuzz-unwind: tests/targets/termesc not found "
		    "(CTOP_FUZZ_UNWIND_TARGET): walking this program's own "
		    "modules\n");
	atexit(fz_stop);
	read_modules(pid);
	fz.sym = symbols_new(pid, NULL, &cause);
	fuzz_check(fz.sym != NULL, "symbols_new(%d): %s", (int)pid,
	    cause ? cause : "?");
	fz.uw = unwind_new(fz.sym, &cause);
	fuzz_check(fz.uw != NULL, "unwind_new: %s", cause ? cause : "?");
	fuzz_check(fz.n_mods > 0, "no module in /proc/%d/maps", (int)pid);
}

/* ------------------------------------------------------------------------
 * Input decoding
 * ------------------------------------------------------------------------ */

struct input {
	const uint8_t *d;
	size_t n, at;
};

/* k bytes little-endian; past the end they read as 0. */
static uint64_t
take(struct input *in, size_t k)
{
	uint64_t v = 0;

	for (size_t i = 0; i < k; i++, in->at++)
		if (in->at < in->n)
			v |= (uint64_t)in->d[in->at] << (8 * i);
	return v;
}

static uint64_t
value(struct input *in, uint64_t stack_addr, uint32_t stack_len)
{
	uint64_t sel = take(in, 1), v = take(in, 7);
	const struct range *m;

	switch (sel & 3) {
	case 0:
		return v << 8 | sel;
	case 1:
		m = &fz.mods[(sel >> 2) % (uint64_t)fz.n_mods];
		return m->lo + v % (m->hi - m->lo);
	case 2:
		/* 128 bytes either side of the copy, aligned when bit 2. */
		v = stack_addr - 128 + v % ((uint64_t)stack_len + 256);
		return sel & 4 ? v & ~7ull : v;
	default:
		return UINT64_MAX - (v & 0xff);
	}
}

static uint64_t
stack_address(struct input *in)
{
	uint64_t sel = take(in, 1), v = take(in, 7);

	switch (sel & 3) {
	case 0:
		return v << 8 | sel;
	case 1:
		return 0x7ffc00000000ull + (v & 0xffffff8ull);
	case 2:
		return UINT64_MAX - (v & 0xffff);
	default:
		return v & 0xffff;
	}
}

/* The sample the input describes, allocated at its exact size. */
static struct rec_sample *
decode(const uint8_t *data, size_t size, unsigned *flags)
{
	struct input in = { data, size, 0 };
	struct rec_sample *s;
	unsigned char *stack;
	uint64_t addr;
	size_t len, regs_at;

	*flags = (unsigned)take(&in, 1);
	addr = stack_address(&in);
	regs_at = in.at;
	in.at += 8 * CTOP_NREGS;
	len = in.at < size ? size - in.at : 0;
	if (len > MAX_STACK)
		len = MAX_STACK;
	s = malloc(sizeof *s + len);
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->stack_addr = addr;
	s->stack_len = (uint32_t)len;
	s->flags = *flags & 4 ? SAMPLE_STACK_SHORT : 0;
	s->weight = 1;
	stack = (unsigned char *)(s + 1);
	/* The copy: whole values, then the tail as it is. */
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w = value(&in, addr, (uint32_t)len);

		memcpy(stack + i, &w, 8);
	}
	memcpy(stack + len / 8 * 8, data + in.at, len % 8);
	in.at = regs_at;
	for (int r = 0; r < CTOP_NREGS; r++)
		s->regs[r] = value(&in, addr, (uint32_t)len);
	return s;
}

/* ------------------------------------------------------------------------
 * Walks and invariants
 * ------------------------------------------------------------------------ */

static int
walk(struct rec_sample *s, enum unwind_method m, int max,
    struct unwind_frame *f, enum unwind_end *end)
{
	struct unwind_stats a, b;
	int n;

	unwind_set_method(fz.uw, m);
	unwind_get_stats(fz.uw, &a);
	n = unwind_sample(fz.uw, s, f, max, end);
	unwind_get_stats(fz.uw, &b);
	fuzz_check(b.walks == a.walks + 1, "walks %llu -> %llu",
	    (unsigned long long)a.walks, (unsigned long long)b.walks);
	fuzz_check((unsigned)*end < UNWIND_END_COUNT, "end %d", (int)*end);
	fuzz_check(b.ends[*end] == a.ends[*end] + 1, "end %s not counted",
	    unwind_end_name(*end));
	fuzz_check(n >= 1 && n <= max, "method %d: %d frames, max %d", m, n,
	    max);
	fuzz_check(f[0].pc == s->regs[CTOP_REG_RIP] && f[0].exact,
	    "method %d: first frame %#llx, sampled pc %#llx", m,
	    (unsigned long long)f[0].pc,
	    (unsigned long long)s->regs[CTOP_REG_RIP]);
	fuzz_check(*end != UNWIND_MAX_DEPTH || n == max,
	    "method %d: max depth at %d of %d frames", m, n, max);
	return n;
}

static void
check_method(struct rec_sample *s, enum unwind_method m, int max)
{
	static struct unwind_frame f1[MAX_FRAMES], f2[MAX_FRAMES];
	struct frame names[16];
	enum unwind_end e1, e2;
	int n1 = walk(s, m, max, f1, &e1), n2;

	if (m == UNWIND_METHOD_FP) {
		for (int i = 1; i < n1; i++)
			fuzz_check(symbols_module(fz.sym, f1[i].pc - 1) != NULL,
			    "fp caller %d at %#llx is in no module", i,
			    (unsigned long long)f1[i].pc);
	}
	/* auto learns as it walks: only dwarf and fp must repeat. */
	if (m != UNWIND_METHOD_AUTO) {
		n2 = walk(s, m, max, f2, &e2);
		fuzz_check(n1 == n2 && e1 == e2 &&
		    memcmp(f1, f2, sizeof *f1 * (size_t)n1) == 0,
		    "method %d: %d frames (%s), then %d (%s)", m, n1,
		    unwind_end_name(e1), n2, unwind_end_name(e2));
	}
	for (int i = 0; i < n1; i++) {
		int k = symbols_resolve(fz.sym, f1[i].pc, f1[i].exact, names,
		    16);

		fuzz_check(k >= 1 && k <= 16 && names[0].name != NULL,
		    "frame %d at %#llx: %d names", i,
		    (unsigned long long)f1[i].pc, k);
	}
}

FUZZ_TARGET(unwind)
{
	static const enum unwind_method methods[] = { UNWIND_METHOD_DWARF,
	    UNWIND_METHOD_FP, UNWIND_METHOD_AUTO };
	struct rec_sample *s;
	unsigned flags;
	int max;

	if (!fz.ready)
		fz_init();
	s = decode(data, size, &flags);
	if (!s)
		return 0;
	max = 1 + (int)(flags >> 3) * 4;
	if ((flags & 3) == 3) {
		for (int i = 0; i < 3; i++)
			check_method(s, methods[i], max);
	} else {
		check_method(s, methods[flags & 3], max);
	}
	free(s);
	return 0;
}
