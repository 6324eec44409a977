/* SPDX-License-Identifier: MIT */
/* symbols: the kernel image's symbol table kept in the store (the
 * --debug-cache directory) from one run to the next. Reading
 * /proc/kallsyms whole costs 0.1 s of CPU (the kernel formats 121,000
 * lines), a fifth of a 60 s profile's (issue 17, goal 3); a kept table
 * takes a millisecond, and only the first lines of /proc/kallsyms are
 * read, for where the image lies this boot.
 *
 * A file per kernel build, BUILDID.kallsyms: a header, the symbols'
 * offsets from _text, their names' offsets, the names. Offsets only: the
 * build's layout, which its System.map publishes; never an address of
 * the running kernel. Written under a temporary name and renamed into
 * place; read only when it is ours, a regular file, of that build and
 * well formed; else /proc/kallsyms is read whole, as without a store. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define KIMAGE_MAGIC "ctopksy1"
#define KIMAGE_ID_MAX 136	/* hex of a 64-byte build id, and a NUL */
/* Far above a kernel's (121,000 symbols, 1.7 MB of names here). */
#define KIMAGE_BYTES_MAX (64u << 20)

struct kimage_head {
	char magic[8];
	char id[KIMAGE_ID_MAX];
	uint32_t n, n_names, stext, etext;
};

/* The file's name for build id id; false when id is not a build id. */
static bool
kimage_name(const char *id, char *name, size_t size)
{
	size_t len = strlen(id);

	if (len == 0 || len >= KIMAGE_ID_MAX ||
	    strspn(id, "0123456789abcdef") != len)
		return false;
	return (size_t)snprintf(name, size, "%s.kallsyms", id) < size;
}

/* Whether the table read into block (size bytes) is whole and well
 * formed for id; img pointed into it when it is. */
static bool
kimage_parse(void *block, size_t size, const char *id,
    struct symbols__kimage *img)
{
	struct kimage_head h;
	const char *p = block;
	uint64_t want;

	if (size < sizeof h)
		return false;
	memcpy(&h, block, sizeof h);
	want = sizeof h + 8ull * h.n + h.n_names;
	if (memcmp(h.magic, KIMAGE_MAGIC, sizeof h.magic) != 0 ||
	    strncmp(h.id, id, sizeof h.id) != 0 || h.n == 0 ||
	    h.n_names == 0 || want != size)
		return false;
	*img = (struct symbols__kimage){ .n = h.n, .n_names = h.n_names,
	    .stext = h.stext, .etext = h.etext, .block = block,
	    .off = (const uint32_t *)(p + sizeof h),
	    .name = (const uint32_t *)(p + sizeof h + 4ull * h.n),
	    .names = p + sizeof h + 8ull * h.n };
	if (img->names[h.n_names - 1] != '\0')
		return false;
	for (uint32_t i = 1; i < h.n; i++)
		if (img->off[i] < img->off[i - 1])
			return false;
	return true;
}

bool
symbols__kimage_read(const char *dir, const char *id,
    struct symbols__kimage *img)
{
	char name[NAME_MAX];
	struct stat st;
	void *block = NULL;
	int dirfd, fd = -1;
	bool done = false;

	if (dir == NULL || !kimage_name(id, name, sizeof name) ||
	    (dirfd = symbols__store_open(dir)) < 0)
		return false;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dirfd);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_size <= 0 ||
	    (uint64_t)st.st_size > KIMAGE_BYTES_MAX ||
	    (block = malloc((size_t)st.st_size)) == NULL)
		goto out;
	/* A regular file of ours reads whole or fails. */
	done = read(fd, block, (size_t)st.st_size) == st.st_size &&
	    kimage_parse(block, (size_t)st.st_size, id, img);
out:
	if (fd >= 0)
		close(fd);
	if (!done)
		free(block);
	return done;
}

void
symbols__kimage_free(struct symbols__kimage *img)
{
	free(img->block);
	img->block = NULL;
}

/* Writes all of buf to fd; false on a short write. */
static bool
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool
symbols__kimage_write(const char *dir, const char *id,
    const struct symbols__kimage *img)
{
	struct kimage_head h = { .n = img->n, .n_names = img->n_names,
	    .stext = img->stext, .etext = img->etext };
	char name[NAME_MAX], tmp[NAME_MAX];
	int dirfd, out;
	bool done;

	if (dir == NULL || img->n == 0 || img->n_names == 0 ||
	    !kimage_name(id, name, sizeof name) ||
	    (size_t)snprintf(tmp, sizeof tmp, ".%d.%s", (int)getpid(), name) >=
	    sizeof tmp || (dirfd = symbols__store_open(dir)) < 0)
		return false;
	memcpy(h.magic, KIMAGE_MAGIC, sizeof h.magic);
	snprintf(h.id, sizeof h.id, "%s", id);
	/* A temporary file of a run of ours that was killed. */
	(void)unlinkat(dirfd, tmp, 0);
	out = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	done = out >= 0 && write_all(out, &h, sizeof h) &&
	    write_all(out, img->off, 4ull * img->n) &&
	    write_all(out, img->name, 4ull * img->n) &&
	    write_all(out, img->names, img->n_names) &&
	    symbols__store_bytes(dirfd) <= SYMBOLS_STORE_BYTES_MAX &&
	    renameat(dirfd, tmp, dirfd, name) == 0;
	if (out >= 0)
		close(out);
	if (!done && out >= 0)
		(void)unlinkat(dirfd, tmp, 0);
	close(dirfd);
	return done;
}
