/* SPDX-License-Identifier: MIT */
/* kallsyms' parser on files in /proc/kallsyms' format: names and modules,
 * text symbols only, _stext/_etext, a table the kernel did not sort, a
 * line longer than a read, a last line without a newline, "__pfx_"
 * names kept once, addresses across high halves; the image's table kept
 * between runs (placed where the image lies this boot, modules from the
 * whole file, refused when not whole, not ours or a link); and the real
 * /proc/kallsyms where it shows addresses, every symbol of it. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "../src/symbols/kallsyms.h"

static char path[] = "/tmp/ctop-kallsyms.XXXXXX";

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* pc's "name module", the module "-" for the kernel image. */
static const char *
named(struct kallsyms *k, uint64_t pc)
{
	static char out[256];
	const char *mod, *name = kallsyms_name(k, pc, &mod);

	snprintf(out, sizeof out, "%s %s", name,
	    strcmp(mod, "[kernel.kallsyms]") == 0 ? "-" : mod);
	return out;
}

/* A pc and the "name module" it must be named. */
struct name_case {
	uint64_t pc;
	const char *want, *what;
};

/* A table loaded from text, each case's pc named as it wants (label
 * before each check); the table is the caller's to free. */
static struct kallsyms *
load_and_name(const char *text, const struct name_case *cases, size_t n,
    const char *label)
{
	struct kallsyms *k = kallsyms_new();

	write_file(text);
	ok(kallsyms_load_file(k, path), "%sthe table loads", label);
	for (size_t i = 0; i < n; i++)
		is_str(named(k, cases[i].pc), cases[i].want, "%s%s", label,
		    cases[i].what);
	return k;
}

static void
test_format(void)
{
	static const struct name_case cases[] = {
		{ 0xffffffff81000050ull, "startup_64 -",
		  "a pc in the kernel image: its function" },
		{ 0xffffffff81000250ull, "secondary_startup -",
		  "a data symbol names nothing" },
		{ 0xffffffff81000310ull, "do_syscall_64 -",
		  "the next text symbol" },
		{ 0xffffffffc0001010ull, "ext4_write ext4",
		  "a module's symbol, sorted into place, with its module" },
		{ 0xffffffffc0002010ull, "ext4_read ext4",
		  "the module's other symbol" },
		{ 0xffffffffc0003010ull, "xfs_thing xfs", "the next module's" },
		{ 0xffffffffc0004010ull, "odd_mod -",
		  "a module not in brackets: none" },
		{ 0xffffffffc0005010ull, "last_one -",
		  "a last line without a newline" },
	};
	struct kallsyms *k;
	uint64_t lo = 0, hi = 0;
	bool text;

	/* Module lines after the kernel's, one of them out of order; data
	 * symbols (D, b) between. */
	k = load_and_name(
	    "ffffffff81000000 T _stext\n"
	    "ffffffff81000000 T startup_64\n"
	    "ffffffff81000100 t secondary_startup\n"
	    "ffffffff81000200 D some_data\n"
	    "ffffffff81000300 T do_syscall_64\n"
	    "ffffffff82000000 T _etext\n"
	    "ffffffff82000010 b bss_thing\n"
	    "ffffffffc0002000 t ext4_read\t[ext4]\n"
	    "ffffffffc0001000 T ext4_write\t[ext4]\n"
	    "ffffffffc0003000 t xfs_thing\t[xfs]\n"
	    "ffffffffc0004000 t odd_mod\tnobrackets\n"
	    "ffffffffc0005000 t last_one",
	    cases, sizeof cases / sizeof cases[0], "");
	text = kallsyms_text(k, &lo, &hi);
	ok(text && lo == 0xffffffff81000000ull &&
	    hi == 0xffffffff82000000ull, "_stext and _etext: %#llx-%#llx",
	    (unsigned long long)lo, (unsigned long long)hi);
	kallsyms_free(k);
}

static void
test_long_line(void)
{
	struct kallsyms *k = kallsyms_new();
	size_t n = 70 * 1024;
	char *text = malloc(n + 200);

	if (!text || !k) {
		ok(0, "long line: memory");
		return;
	}
	/* A name longer than a read (64 KiB) is dropped, not half read as
	 * a line of its own; the lines around it stay. */
	static const char head[] = "ffffffff81000000 T before\n"
	    "ffffffff81000100 T ";
	size_t at = sizeof head - 1;

	memcpy(text, head, at);
	memset(text + at, 'x', n);
	strcpy(text + at + n, "\nffffffff81000200 T after\n");
	write_file(text);
	free(text);
	ok(kallsyms_load_file(k, path), "long line: the table loads");
	is_str(named(k, 0xffffffff81000150ull), "before -",
	    "long line: dropped (its range is its predecessor's)");
	is_str(named(k, 0xffffffff81000210ull), "after -",
	    "long line: the line after it read");
	kallsyms_free(k);
}

/* A module of more symbols than the arena's first megabyte holds: its
 * name, kept once, must be found again after the arena moved. */
static void
test_arena_moves(void)
{
	enum { N = 60000 };
	struct kallsyms *k = kallsyms_new();
	char *text = malloc((size_t)N * 64 + 256), *p = text;

	if (!text || !k) {
		ok(0, "arena: memory");
		free(text);
		kallsyms_free(k);
		return;
	}
	for (int i = 0; i < N; i++)
		p += sprintf(p, "ffffffffc0%06x t function_number_%06d_x"
		    "\t[snd_hda]\n", i * 16, i);
	write_file(text);
	free(text);
	ok(kallsyms_load_file(k, path), "arena: the table loads");
	is_str(named(k, 0xffffffffc0000015ull),
	    "function_number_000001_x snd_hda", "arena: an early symbol");
	is_str(named(k, (uint64_t)0xffffffffc0000000ull + (N - 1) * 16 + 4),
	    "function_number_059999_x snd_hda",
	    "arena: the last, after the arena grew");
	kallsyms_free(k);
}

/* Call padding: "__pfx_X" at the 16 bytes before X, kept as X with a
 * flag; pcs there named "__pfx_X", one string however often asked. */
static void
test_pfx(void)
{
	struct kallsyms *k = kallsyms_new();
	const char *mod, *a, *b;

	write_file(
	    "ffffffff81000000 T first\n"
	    "ffffffff810000f0 T __pfx_do_fork\n"
	    "ffffffff81000100 T do_fork\n"
	    "ffffffff810001f0 t __pfx_\n"
	    "ffffffff81000200 t __pfx_lonely\n"
	    "ffffffff81000300 t other\n");
	ok(kallsyms_load_file(k, path), "pfx: the table loads");
	is_str(named(k, 0xffffffff810000f4ull), "__pfx_do_fork -",
	    "pfx: a pc in the padding names the padding");
	is_str(named(k, 0xffffffff81000104ull), "do_fork -",
	    "pfx: a pc in the function names the function");
	is_str(named(k, 0xffffffff810001f4ull), "__pfx_ -",
	    "pfx: a bare \"__pfx_\" is a name of its own");
	is_str(named(k, 0xffffffff81000204ull), "__pfx_lonely -",
	    "pfx: a padding whose function is elsewhere");
	a = kallsyms_name(k, 0xffffffff810000f8ull, &mod);
	b = kallsyms_name(k, 0xffffffff810000fcull, &mod);
	ok(a == b, "pfx: one string for every pc of one padding");
	is_str(named(k, 0xffffffff81000304ull), "other -",
	    "pfx: the symbol after");
	kallsyms_free(k);
}

/* Addresses whose high 32 bits differ (a kernel image and modules apart
 * by more than 4 GiB, as on other architectures): each in its segment;
 * a pc between segments is the last symbol below it. */
static void
test_segments(void)
{
	static const struct name_case cases[] = {
		{ 0xffff7fffffffffffull, "[kernel] -", "below every symbol" },
		{ 0xffff800000001004ull, "mod_a m1", "the first segment" },
		{ 0xffff8000fffffff0ull, "mod_b m1",
		  "past its last symbol, within its high half" },
		{ 0xffff900000000000ull, "mod_b m1",
		  "a high half without symbols: the last below" },
		{ 0xffffffff80fffff0ull, "mod_b m1",
		  "the next segment, below its first symbol" },
		{ 0xffffffff81000004ull, "startup -", "the next segment's first" },
		{ 0xffffffff81000104ull, "tail -", "and its last" },
	};
	kallsyms_free(load_and_name(
	    "ffffffff81000000 T startup\n"
	    "ffffffff81000100 T tail\n"
	    "ffff800000001000 t mod_a\t[m1]\n"
	    "ffff800000002000 t mod_b\t[m1]\n",
	    cases, sizeof cases / sizeof cases[0], "segments: "));
}

/* A kernel's table in /proc/kallsyms' format with the image at base:
 * per-CPU symbols first, as the kernel lists them, a padding, a module
 * above the image. */
static void
write_kernel(uint64_t base, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof text,
	    "0000000000000000 A fixed_percpu_data\n"
	    "0000000000001000 A cpu_number\n"
	    "%016llx T _text\n"
	    "%016llx T _stext\n"
	    "%016llx T startup_64\n"
	    "%016llx T __pfx_do_syscall_64\n"
	    "%016llx T do_syscall_64\n"
	    "%016llx D some_data\n"
	    "%016llx t vfs_write\n"
	    "%016llx T _etext\n"
	    "%016llx t late_text\n"
	    "ffffffffc0001000 t ext4_write\t[ext4]\n%s",
	    (unsigned long long)base, (unsigned long long)base,
	    (unsigned long long)base + 0x10,
	    (unsigned long long)base + 0x1f0,
	    (unsigned long long)base + 0x200,
	    (unsigned long long)base + 0x300,
	    (unsigned long long)base + 0x400,
	    (unsigned long long)base + 0x100000,
	    (unsigned long long)base + 0x200000, extra);
	write_file(text);
}

/* The names of the pcs of write_kernel's table at base, with label. */
static void
names_at(struct kallsyms *k, uint64_t base, const char *label)
{
	uint64_t lo = 0, hi = 0;

	is_str(named(k, base + 0x14), "startup_64 -", "%s: startup_64", label);
	is_str(named(k, base + 0x1f4), "__pfx_do_syscall_64 -",
	    "%s: a padding", label);
	is_str(named(k, base + 0x210), "do_syscall_64 -",
	    "%s: do_syscall_64", label);
	is_str(named(k, base + 0x310), "do_syscall_64 -",
	    "%s: past a data symbol", label);
	is_str(named(k, base + 0x404), "vfs_write -", "%s: vfs_write", label);
	is_str(named(k, base + 0x200004), "late_text -",
	    "%s: the image's last text symbol", label);
	is_str(named(k, 0xffffffffc0001008ull), "ext4_write ext4",
	    "%s: a module's symbol, with its module", label);
	ok(kallsyms_text(k, &lo, &hi) && lo == base && hi == base + 0x100000,
	    "%s: _stext and _etext %#llx-%#llx", label,
	    (unsigned long long)lo, (unsigned long long)hi);
}

/* Whether the file at p holds the 8 bytes of v. */
static bool
file_has_u64(const char *p, uint64_t v)
{
	FILE *f = fopen(p, "rb");
	unsigned char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	bool found = false;

	if (f)
		fclose(f);
	for (size_t i = 0; i + 8 <= n && !found; i++)
		found = memcmp(buf + i, &v, 8) == 0;
	return found;
}

/* A table loaded from dir's kept one (or not) for id: whether it was. */
static bool
load_kept(const char *dir, const char *id, struct kallsyms **out)
{
	struct kallsyms *k = kallsyms_new();

	*out = k;
	return k && kallsyms_load_kept(k, path, dir, id) &&
	    kallsyms_from_kept(k);
}

static void
test_kept(void)
{
	const uint64_t boot1 = 0xffffffff81000000ull;
	const uint64_t boot2 = 0xffffffff9a400000ull;	/* KASLR moved it */
	const char *id = "476428731e95a29ec628ccc60f58960ddc1440b1";
	char dir[] = "/tmp/ctop-kept.XXXXXX", file[256], other[256];
	struct kallsyms *k;
	struct stat st;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "kept: a directory");
		return;
	}
	snprintf(file, sizeof file, "%s/%s.kallsyms", dir, id);
	snprintf(other, sizeof other, "%s/elsewhere", dir);

	write_kernel(boot1, "");
	ok(!load_kept(dir, id, &k), "kept: none yet: the file read whole");
	names_at(k, boot1, "first run");
	kallsyms_free(k);
	ok(stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0777) == 0600, "kept: BUILDID.kallsyms made, mode %o",
	    (unsigned)(st.st_mode & 0777));
	ok(!file_has_u64(file, boot1) && !file_has_u64(file, boot1 + 0x200),
	    "kept: no address of the kernel in it (offsets only)");

	write_kernel(boot2, "");
	ok(load_kept(dir, id, &k), "kept: the next boot reads the kept table");
	names_at(k, boot2, "next boot, kept");
	kallsyms_free(k);

	ok(!load_kept(dir, "aaaa", &k), "kept: another build's kernel: none");
	names_at(k, boot2, "another build");
	kallsyms_free(k);
	ok(!load_kept(dir, "../x", &k) && access(file, F_OK) == 0,
	    "kept: a build id that is no hex: refused");
	kallsyms_free(k);

	/* Cut short: read whole, then kept again whole. */
	if (truncate(file, st.st_size - 1) != 0)
		diag("truncate failed");
	ok(!load_kept(dir, id, &k), "kept: cut short: not read");
	names_at(k, boot2, "cut short");
	kallsyms_free(k);
	ok(load_kept(dir, id, &k), "kept: made again whole by that run");
	kallsyms_free(k);

	/* A link in its place: not followed, its target left as it was. */
	f = fopen(other, "w");
	if (f) {
		fputs("not ours to change\n", f);
		fclose(f);
	}
	unlink(file);
	if (symlink(other, file) != 0)
		diag("symlink failed");
	ok(!load_kept(dir, id, &k), "kept: a link: not followed");
	names_at(k, boot2, "a link");
	kallsyms_free(k);
	f = fopen(other, "r");
	{
		char line[64] = "";

		if (f) {
			if (fgets(line, sizeof line, f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
		is_str(line, "not ours to change\n",
		    "kept: the link's target untouched");
	}
	ok(lstat(file, &st) == 0 && S_ISREG(st.st_mode),
	    "kept: the link replaced by a table of ours");

	/* A directory others may write: neither read nor written. */
	chmod(dir, 0777);
	ok(!load_kept(dir, id, &k), "kept: a directory others may write: "
	    "not read");
	kallsyms_free(k);
	chmod(dir, 0700);

	/* No _text in the file: the kept table cannot be placed. */
	write_file("ffffffff81000000 T startup_64\n");
	ok(!load_kept(dir, id, &k) &&
	    strcmp(named(k, 0xffffffff81000004ull), "startup_64 -") == 0,
	    "kept: no _text this boot: the file read whole");
	kallsyms_free(k);
	unlink(file);
	unlink(other);
	snprintf(file, sizeof file, "%s/aaaa.kallsyms", dir);
	unlink(file);
	ok(rmdir(dir) == 0, "kept: nothing else left in the directory");
}

/* Every text symbol of /proc/kallsyms at an address of its own is what
 * its address is named. */
static void
test_real_every(struct kallsyms *k)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], prev_name[256] = "";
	unsigned long long addr, prev = 0;
	size_t checked = 0, wrong = 0, prev_dup = 0;
	int dup = 0;

	if (!f) {
		ok(0, "/proc/kallsyms: open");
		return;
	}
	/* A symbol is checked when the next line's address differs (the
	 * kernel lists them by address; modules and others after). */
	while (fgets(line, sizeof line, f)) {
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    (type != 't' && type != 'T'))
			continue;
		if (addr == prev)
			dup = 1;
		else {
			if (prev && !dup) {
				const char *m, *got = kallsyms_name(k, prev, &m);

				checked++;
				if (strcmp(got, prev_name) != 0 && wrong++ < 3)
					diag("%#llx: %s, want %s", prev, got,
					    prev_name);
			} else if (prev)
				prev_dup++;
			dup = 0;
		}
		prev = addr;
		snprintf(prev_name, sizeof prev_name, "%s", name);
	}
	fclose(f);
	ok(checked > 1000 && wrong == 0, "/proc/kallsyms: %zu symbols named "
	    "as listed, %zu not (%zu at a shared address not checked)",
	    checked, wrong, prev_dup);
}

static void
test_real(void)
{
	struct kallsyms *k = kallsyms_new();
	uint64_t lo = 0, hi = 0;
	bool text;

	if (!kallsyms_usable(k)) {
		skip("/proc/kallsyms shows no addresses here",
		    "real table");
		kallsyms_free(k);
		return;
	}
	text = kallsyms_text(k, &lo, &hi);
	ok(text && hi > lo, "/proc/kallsyms: the kernel's text %#llx-%#llx",
	    (unsigned long long)lo, (unsigned long long)hi);
	ok(strcmp(kallsyms_name(k, lo, &(const char *){ NULL }), "[kernel]")
	    != 0, "/proc/kallsyms: _stext's address is named (%s)",
	    kallsyms_name(k, lo, &(const char *){ NULL }));
	test_real_every(k);
	kallsyms_free(k);
}

int
main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		printf("1..0 # SKIP no temporary file\n");
		return 77;
	}
	close(fd);
	test_format();
	test_long_line();
	test_arena_moves();
	test_pfx();
	test_segments();
	test_kept();
	test_real();
	unlink(path);
	return done_testing();
}
