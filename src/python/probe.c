/* SPDX-License-Identifier: MIT */
/* python probe: is this process CPython, which version, where is its
 * _PyRuntime? We read /proc/PID/maps, open the executable and any mapped
 * libpython3.X.so* through /proc/PID/map_files (or /proc/PID/root) as
 * src/symbols does, and look the symbols up with libelf. */
#include "config.h"

#include "ctop/python.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"

/* One file mapped by the target: its first mapping (lowest offset). */
struct probe_file {
	uint64_t start, end, off;
	char path[PATH_MAX];
};

/* What the symbol tables of one file said. */
struct probe_syms {
	uint64_t runtime;	/* st_value of _PyRuntime; 0: absent */
	uint64_t version;	/* st_value of Py_Version; 0: absent */
	uint64_t code_type;	/* st_value of PyCode_Type; 0: absent */
	uint64_t bias;		/* load address - link-time address */
};

static void set_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_cause(char **cause, const char *fmt, ...)
{
	char buf[PATH_MAX + 128];
	va_list ap;

	if (!cause)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	*cause = strdup(buf);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A libpython3.X.so* by name: embedded interpreters (uwsgi, a C program)
 * and pyenv's builds link one. Not libpython3.so, the stable ABI's
 * forwarder, which holds no runtime. */
static bool
is_libpython(const char *path)
{
	const char *b = base_name(path);

	return strncmp(b, "libpython3.", 11) == 0 &&
	    b[11] >= '0' && b[11] <= '9' && strstr(b, ".so");
}

/* Parses one maps line; returns false for anonymous mappings. */
static bool
parse_maps_line(const char *line, struct probe_file *f)
{
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %n",
	    &f->start, &f->end, &f->off, &pos) < 3 || pos == 0 ||
	    line[pos] != '/')
		return false;
	snprintf(f->path, sizeof f->path, "%s", line + pos);
	f->path[strcspn(f->path, "\n")] = '\0';
	return true;
}

/* Finds the executable's and a libpython's first mappings. Returns 0 or
 * -errno (the process is gone or unreadable). */
static int
probe_maps(pid_t pid, struct probe_file *exe, struct probe_file *lib)
{
	char path[64], exe_path[PATH_MAX], line[PATH_MAX + 128];
	struct probe_file f;
	ssize_t n;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	n = readlink(path, exe_path, sizeof exe_path - 1);
	exe_path[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if (!(fp = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof line, fp)) {
		if (!parse_maps_line(line, &f))
			continue;
		if (!exe->path[0] && exe_path[0] &&
		    strcmp(f.path, exe_path) == 0)
			*exe = f;
		else if (!lib->path[0] && is_libpython(f.path))
			*lib = f;
	}
	fclose(fp);
	return 0;
}

/* The file as the target sees it: map_files works for deleted files and
 * other mount namespaces (it needs privileges), /proc/PID/root next. */
static int
probe_open(pid_t pid, const struct probe_file *f)
{
	char buf[PATH_MAX + 64];
	int fd;

	snprintf(buf, sizeof buf, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
	    (int)pid, f->start, f->end);
	if ((fd = util_open_regular(buf)) >= 0)
		return fd;
	snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)pid, f->path);
	return util_open_regular(buf);
}

/* Looks for _PyRuntime, Py_Version and PyCode_Type in the section of
 * type type. */
static void
scan_symtab(Elf *elf, Elf64_Word type, struct probe_syms *s)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    sym.st_shndx == SHN_UNDEF ||
			    !(name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			if (!s->runtime && strcmp(name, "_PyRuntime") == 0)
				s->runtime = sym.st_value;
			else if (!s->version && strcmp(name, "Py_Version") == 0)
				s->version = sym.st_value;
			else if (!s->code_type &&
			    strcmp(name, "PyCode_Type") == 0)
				s->code_type = sym.st_value;
		}
	}
}

/* Load bias from the PT_LOAD that holds the mapping's file offset: the
 * mapping's start is that offset's link-time address plus the bias. */
static bool
elf_bias(Elf *elf, const struct probe_file *f, uint64_t *bias)
{
	size_t i, phnum;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    f->off < (ph.p_offset & ~(uint64_t)0xfff) ||
		    f->off >= ph.p_offset + ph.p_filesz)
			continue;
		*bias = f->start - (ph.p_vaddr - ph.p_offset + f->off);
		return true;
	}
	return false;
}

/* Reads the symbols of one file. .symtab is scanned only when full
 * (a libpython, or an executable named python*): Debian's python3.11
 * exports _PyRuntime in .dynsym, and a big non-Python executable would
 * cost its whole .symtab for nothing. */
static int
probe_file_syms(pid_t pid, const struct probe_file *f, bool full,
    struct probe_syms *s)
{
	int fd, rc = -ENOENT;
	Elf *elf;

	memset(s, 0, sizeof *s);
	if ((fd = probe_open(pid, f)) < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		scan_symtab(elf, SHT_DYNSYM, s);
		if (!s->runtime && full)
			scan_symtab(elf, SHT_SYMTAB, s);
		if (s->runtime && elf_bias(elf, f, &s->bias))
			rc = 0;
	}
	elf_end(elf);
	close(fd);
	return rc;
}

/* 3.X from a name like libpython3.10.so.1.0 or python3.9; 0: none. */
static unsigned
minor_from_name(const char *path)
{
	const char *p = strstr(base_name(path), "python3.");
	unsigned minor;

	if (!p || sscanf(p + 8, "%u", &minor) != 1)
		return 0;
	return minor;
}

static int
unsupported_minor(unsigned minor, char **cause)
{
	char v[16];

	snprintf(v, sizeof v, "3.%u", minor);
	set_cause(cause, "CPython %s not supported", v);
	return PYTHON_UNSUPPORTED;
}

/* Version, then layout, of the interpreter found in file f. */
static int
probe_version(pid_t pid, const struct probe_file *f,
    const struct probe_syms *s, struct python_layout *out, char **cause)
{
	uint32_t hex = 0;
	unsigned minor;
	int rc;

	/* Py_Version (3.11+) is a const in the target's memory. */
	if (s->version &&
	    python__read(pid, s->version + s->bias, &hex, sizeof hex) < 0)
		hex = 0;
	minor = hex ? (hex >> 16) & 0xff : minor_from_name(f->path);
	if (hex && hex >> 24 != 3) {
		set_cause(cause, "unknown Python version in %s", f->path);
		return PYTHON_UNSUPPORTED;
	}
	if (!minor) {
		set_cause(cause, "CPython version unknown "
		    "(no Py_Version in %s)", f->path);
		return PYTHON_UNSUPPORTED;
	}
	if (minor < 11)
		return unsupported_minor(minor, cause);
	if (minor >= 13)
		rc = python_layout_from_debug_offsets(pid, s->runtime + s->bias,
		    out, cause);
	else if ((rc = python__layout_table(minor, out)) != 0)
		return unsupported_minor(minor, cause);
	if (rc != PYTHON_OK)
		return rc;
	if (minor < 13) {
		out->version = hex ? hex : 0x03000000u | minor << 16;
		out->runtime = s->runtime + s->bias;
	}
	/* Lets the namer tell a code object from whatever else a racing
	 * read or a reused address shows it. */
	out->code_type = s->code_type ? s->code_type + s->bias : 0;
	return PYTHON_OK;
}

int
python_probe(pid_t pid, struct python_layout *out, char **cause)
{
	struct probe_file exe = { 0 }, lib = { 0 };
	struct probe_syms s;
	int rc;

	if (cause)
		*cause = NULL;
	memset(out, 0, sizeof *out);
	if ((rc = probe_maps(pid, &exe, &lib)) < 0) {
		set_cause(cause, "cannot read the process's maps: %s",
		    strerror(-rc));
		return PYTHON_ERROR;
	}
	/* An embedded or shared libpython holds the runtime; otherwise the
	 * executable links it statically (Debian's python3.11). */
	if (lib.path[0] && probe_file_syms(pid, &lib, true, &s) == 0)
		return probe_version(pid, &lib, &s, out, cause);
	if (exe.path[0] && probe_file_syms(pid, &exe,
	    strstr(base_name(exe.path), "python") != NULL, &s) == 0)
		return probe_version(pid, &exe, &s, out, cause);
	if (lib.path[0]) {
		set_cause(cause, "_PyRuntime not found in %s", lib.path);
		return PYTHON_ERROR;
	}
	return PYTHON_NOT_PYTHON;
}
