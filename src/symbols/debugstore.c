/* SPDX-License-Identifier: MIT */
/* symbols: decompressed copies of separate debug files kept on disk from
 * one run to the next, in a directory of the user's cache (the cli's
 * --debug-cache DIR|off). Debian's -dbg and -dbgsym
 * files are zlib-compressed, and libdw inflates every debug section of
 * one when it first reads its DWARF: for libc6-dbg's 4 MiB, 80 ms of CPU
 * and 9 MiB of memory in every run (issue 17, goals 3 and 4). An
 * uncompressed copy is mapped instead, its pages read only where libdw
 * looks. The first run pays the inflating once more, to write the copy.
 *
 * Only a directory of ours that no one else may write is used, a link
 * never followed into it; a copy is named by the build id of the file it
 * copies, written under a temporary name and renamed into place, and read
 * only when it is ours and carries that build id. Anything else, or a
 * failure, leaves the file as it was found: libdw inflates it as before. */
#include "config.h"

#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"

#define BUILD_ID_MAX 64

int
symbols__store_open(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof path)
		return -1;
	strcpy(path, dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(path, 0700);
			*p = '/';
		}
	(void)mkdir(path, 0700);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The build id of the ELF file in fd into id (BUILD_ID_MAX bytes);
 * its length, or 0 for none. */
static int
file_build_id(int fd, unsigned char *id)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *got = NULL;
	ssize_t n = e ? dwelf_elf_gnu_build_id(e, &got) : -1;

	if (n > 0 && n <= BUILD_ID_MAX)
		memcpy(id, got, (size_t)n);
	else
		n = 0;
	elf_end(e);
	return (int)n;
}

/* Whether the ELF file in fd has build id id. */
static bool
has_build_id(int fd, const unsigned char *id, int len)
{
	unsigned char got[BUILD_ID_MAX];

	return file_build_id(fd, got) == len &&
	    memcmp(got, id, (size_t)len) == 0;
}

/* Whether the copy in fd may be read: a regular file of ours with the
 * build id it is named by. */
static bool
copy_usable(int fd, const unsigned char *id, int len)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && has_build_id(fd, id, len);
}

uint64_t
symbols__store_bytes(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	uint64_t sum = 0;
	struct dirent *e;
	struct stat st;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return UINT64_MAX;
	}
	while ((e = readdir(d)) != NULL)
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(d);
	return sum;
}

/* Writes the decompressed copy of fd as name in the store: 0, or -1
 * (nothing left behind). */
static int
store_make(int dirfd, const char *name, int fd)
{
	char tmp[NAME_MAX];
	struct stat st;
	int out;

	if (fstat(fd, &st) != 0 ||
	    snprintf(tmp, sizeof tmp, ".%d.%s", (int)getpid(), name) >=
	    (int)sizeof tmp)
		return -1;
	/* A temporary file of a run of ours that was killed. */
	(void)unlinkat(dirfd, tmp, 0);
	out = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0)
		return -1;
	if (symbols__debug_decompress_into(fd, st.st_size, out) < 0 ||
	    symbols__store_bytes(dirfd) > SYMBOLS_STORE_BYTES_MAX ||
	    renameat(dirfd, tmp, dirfd, name) != 0) {
		close(out);
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	close(out);
	return 0;
}

/* The store's name of the copy of the file with build id id. */
static void
copy_name(const unsigned char *id, int len, char *name)
{
	symbols__hex(id, len, name);
	strcpy(name + 2 * len, ".debug");
}

int
symbols__debug_store_find(const char *dir, const unsigned char *id,
    int len, char **path)
{
	char name[2 * BUILD_ID_MAX + sizeof ".debug"];
	int dirfd, fd;

	if (dir == NULL || len <= 0 || len > BUILD_ID_MAX)
		return -1;
	copy_name(id, len, name);
	if ((dirfd = symbols__store_open(dir)) < 0)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dirfd);
	if (fd >= 0 && (!copy_usable(fd, id, len) ||
	    (*path = util_path_join(dir, name)) == NULL)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

bool
symbols__debug_store_add(const char *dir, const unsigned char *id,
    int len, int fd)
{
	char name[2 * BUILD_ID_MAX + sizeof ".debug"];
	int dirfd, rc;

	if (dir == NULL || len <= 0 || len > BUILD_ID_MAX || fd < 0 ||
	    !symbols__debug_wants_copy(fd) || !has_build_id(fd, id, len))
		return false;
	copy_name(id, len, name);
	if ((dirfd = symbols__store_open(dir)) < 0)
		return false;
	rc = store_make(dirfd, name, fd);
	close(dirfd);
	return rc == 0;
}
