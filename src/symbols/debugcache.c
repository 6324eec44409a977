/* SPDX-License-Identifier: MIT */
/* symbols: separate debug files with compressed sections, decompressed
 * once per run into memory files shared by every process's symbols
 * (internal.h, struct symbols__debug_cache). Debian's -dbg and -dbgsym
 * files are zlib-compressed, and libdw inflates every debug section of a
 * file when a process's Dwfl first reads its DWARF: under -a, where a
 * process's state is made again after an eviction, inflating libc's
 * debug file (4 MiB to 10 MiB) again for each new state was two thirds of
 * the worker's time with 100 processes alive. Files are known by the
 * build id of the module they serve: libdwfl's own search by build id
 * opens the file itself and keeps that handle, so a copy can only take
 * the place of a search, not of its result. The copy is made with
 * libelf: the file copied into a memfd, each compressed section
 * decompressed in place, the file laid out again. */
#include "config.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Files remembered, with or without a copy, and the bytes the copies may
 * hold in all (memory, not disk): past either, files are given as they
 * are. */
#define DEBUG_FILES_MAX 64
#define DEBUG_COPY_BYTES_MAX (256u << 20)
#define BUILD_ID_MAX 64

struct debug_file {
	unsigned char id[BUILD_ID_MAX];	/* the module's build id */
	int id_len;
	int copy;		/* the decompressed copy, or -1: none needed
				 * or none could be made */
	char *name;		/* the file's path, for libdwfl */
};

struct symbols__debug_cache {
	struct debug_file v[DEBUG_FILES_MAX];
	size_t n;
	uint64_t bytes;		/* in the copies */
	uint64_t made, reused;
};

struct symbols__debug_cache *
symbols__debug_cache_new(void)
{
	return calloc(1, sizeof(struct symbols__debug_cache));
}

void
symbols__debug_cache_free(struct symbols__debug_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].copy >= 0)
			close(c->v[i].copy);
		free(c->v[i].name);
	}
	free(c);
}

static struct debug_file *
file_find(struct symbols__debug_cache *c, const unsigned char *id, int len)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id_len == len && memcmp(c->v[i].id, id,
		    (size_t)len) == 0)
			return &c->v[i];
	return NULL;
}

static bool
has_compressed_sections(Elf *e)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) != NULL &&
		    (sh.sh_flags & SHF_COMPRESSED) != 0)
			return true;
	return false;
}

/* Copies fd's size bytes into out. 0 or -1. */
static int
copy_bytes(int fd, int out, off_t size)
{
	char buf[65536];
	off_t at = 0;
	ssize_t n;

	while (at < size) {
		n = pread(fd, buf, sizeof buf, at);
		if (n <= 0)
			return -1;
		if (write(out, buf, (size_t)n) != n)
			return -1;
		at += n;
	}
	return 0;
}

/* Decompresses every compressed section of the ELF file in fd in place
 * and writes it out laid out again. 0 or -1. */
static int
decompress_in_place(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_RDWR, NULL);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int rc = 0;

	if (e == NULL)
		return -1;
	while (rc == 0 && (scn = elf_nextscn(e, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) != NULL &&
		    (sh.sh_flags & SHF_COMPRESSED) != 0 &&
		    elf_compress(scn, 0, 0) < 0)
			rc = -1;
	if (rc == 0 && elf_update(e, ELF_C_WRITE) < 0)
		rc = -1;
	elf_end(e);
	return rc;
}

int
symbols__debug_decompress_into(int fd, off_t size, int out)
{
	return copy_bytes(fd, out, size) < 0 || decompress_in_place(out) < 0 ?
	    -1 : 0;
}

/* A decompressed copy of the ELF file in fd (size bytes), or -1. */
static int
copy_decompressed(int fd, off_t size)
{
	int out = memfd_create("ctop-debug", MFD_CLOEXEC);

	if (out < 0)
		return -1;
	if (symbols__debug_decompress_into(fd, size, out) < 0) {
		close(out);
		return -1;
	}
	return out;
}

bool
symbols__debug_wants_copy(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool yes = e != NULL && elf_kind(e) == ELF_K_ELF &&
	    has_compressed_sections(e);

	elf_end(e);
	return yes;
}

int
symbols__debug_copy_find(struct symbols__debug_cache *c,
    const unsigned char *id, int len, char **name)
{
	struct debug_file *f;
	int fd;

	if (c == NULL || len <= 0 || len > BUILD_ID_MAX ||
	    (f = file_find(c, id, len)) == NULL || f->copy < 0)
		return -1;
	/* Each Dwfl owns and closes the descriptor it is given. */
	fd = fcntl(f->copy, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	*name = f->name ? strdup(f->name) : NULL;
	c->reused++;
	return fd;
}

void
symbols__debug_copy_add(struct symbols__debug_cache *c,
    const unsigned char *id, int len, int fd, const char *name)
{
	struct debug_file *f;
	struct stat st;

	if (c == NULL || len <= 0 || len > BUILD_ID_MAX || fd < 0 ||
	    c->n == DEBUG_FILES_MAX || file_find(c, id, len) != NULL ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	f = &c->v[c->n++];
	memset(f, 0, sizeof *f);
	memcpy(f->id, id, (size_t)len);
	f->id_len = len;
	f->copy = -1;
	if (!symbols__debug_wants_copy(fd) ||
	    c->bytes >= DEBUG_COPY_BYTES_MAX ||
	    (f->copy = copy_decompressed(fd, st.st_size)) < 0)
		return;
	f->name = name ? strdup(name) : NULL;
	if (fstat(f->copy, &st) == 0)
		c->bytes += (uint64_t)st.st_size;
	c->made++;
}

void
symbols__debug_cache_stats(const struct symbols__debug_cache *c,
    uint64_t *made, uint64_t *reused, uint64_t *bytes)
{
	*made = c ? c->made : 0;
	*reused = c ? c->reused : 0;
	*bytes = c ? c->bytes : 0;
}
