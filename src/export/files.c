/* SPDX-License-Identifier: MIT */
/* Snapshot files: format selection and the two safe ways to write one
 * (replace a name the user gave, or make a new name that never clobbers
 * anything), both through a mkstemp temporary in the destination. */
#include "config.h"

#include "ctop/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Give up on BASE-N.EXT after this many clashes. */
#define NEW_NAME_TRIES 10000

/* Sets *cause to "WHAT: strerror(-err)" and returns err. */
static int set_cause(char **cause, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_cause(char **cause, int err, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;

	if (!cause)
		return err;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what || asprintf(cause, "%s: %s", what, strerror(-err)) < 0)
		*cause = NULL;
	free(what);
	return err;
}

/* ------------------------------------------------------------------------
 * Formats
 * ------------------------------------------------------------------------ */


/* The format a file name's extension implies, or NULL for folded. */
static const char *
format_from_path(const char *path)
{
	static const struct { const char *ext, *name; } ext[] = {
		{ ".speedscope.json", "speedscope" },
		{ ".json", "speedscope" },
		{ ".pb.gz", "pprof" },
		{ ".pprof", "pprof" },
		{ ".svg", "svg" },
	};
	size_t len = path ? strlen(path) : 0, i, el;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		el = strlen(ext[i].ext);
		if (len > el && strcasecmp(path + len - el, ext[i].ext) == 0)
			return ext[i].name;
	}
	return NULL;
}

int
export_format_parse(const char *name, const char *path,
    enum export_format *out, char **cause)
{
	if (!name)
		name = format_from_path(path);
	if (!name || strcmp(name, "folded") == 0) {
		*out = EXPORT_FOLDED;
		return 0;
	}
	if (strcmp(name, "pprof") == 0) {
		*out = EXPORT_PPROF;
		return 0;
	}
	if (strcmp(name, "speedscope") == 0) {
		*out = EXPORT_SPEEDSCOPE;
		return 0;
	}
	if (strcmp(name, "svg") == 0) {
		*out = EXPORT_SVG;
		return 0;
	}
	if (cause && asprintf(cause, "unknown format '%s' (known: folded, "
	    "pprof, speedscope, svg)", name) < 0)
		*cause = NULL;
	return -EINVAL;
}

static const char *
format_ext(enum export_format fmt)
{
	switch (fmt) {
	case EXPORT_FOLDED:
		return "folded";
	case EXPORT_PPROF:
		return "pb.gz";
	case EXPORT_SPEEDSCOPE:
		return "speedscope.json";
	case EXPORT_SVG:
		return "svg";
	}
	return "out";
}

/* ------------------------------------------------------------------------
 * Paths
 * ------------------------------------------------------------------------ */

/* The directory part of path ("." for a bare name); caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* dir + "/" + name, or just name when dir is NULL or empty. */
static char *
path_join(const char *dir, const char *name)
{
	char *out;
	size_t dl = dir ? strlen(dir) : 0;

	if (!dl)
		return strdup(name);
	if (asprintf(&out, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/",
	    name) < 0)
		return NULL;
	return out;
}

/* The process umask, read without umask(2), which would change it for a
 * moment under other threads' feet. */
static mode_t
current_umask(void)
{
	mode_t mask = 022;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");
	unsigned int m;

	if (!f)
		return mask;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1) {
			mask = (mode_t)m;
			break;
		}
	fclose(f);
	return mask;
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

/* Writes v through node to fd (left open), flushed. */
static int
write_view_fd(int fd, enum export_format fmt, const struct pview *v,
    uint32_t node, const struct export_meta *meta)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3), err = 0;
	FILE *f;

	if (dup_fd < 0)
		return -errno;
	f = fdopen(dup_fd, "w");
	if (!f) {
		err = -errno;
		close(dup_fd);
		return err;
	}
	switch (fmt) {
	case EXPORT_FOLDED:
		err = folded_write(f, v, node);
		break;
	case EXPORT_PPROF:
		err = pprof_write(f, v, node, meta);
		break;
	case EXPORT_SPEEDSCOPE:
		err = speedscope_write(f, v, node);
		break;
	case EXPORT_SVG:
		err = svg_write(f, v, node, meta && meta->svg_icicle);
		break;
	default:
		err = -EINVAL;
	}
	if (!err && fflush(f) != 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

/* What a new file holds: view v through node in format fmt, or (diff
 * set) the diff's two-count folded stacks through node, or (text set)
 * len bytes of text. */
struct contents {
	enum export_format fmt;
	const struct pview *v;
	const struct pdiff *diff;
	uint32_t node;
	const char *text;
	size_t len;
	const struct export_meta *meta;	/* the run, or NULL */
};

static int
write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_contents_fd(int fd, const struct contents *c)
{
	int dup_fd, err = 0;
	FILE *f;

	if (c->text)
		return write_all(fd, c->text, c->len);
	if (!c->diff)
		return write_view_fd(fd, c->fmt, c->v, c->node, c->meta);
	if ((dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	if (!(f = fdopen(dup_fd, "w"))) {
		err = -errno;
		close(dup_fd);
		return err;
	}
	err = folded_write_diff(f, c->diff, c->node);
	if (!err && fflush(f) != 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

/* Writes c into a new mkstemp file DIR/.HINT.XXXXXX, synced and mode 0644
 * minus the umask. Sets *tmp_out (caller frees, and unlinks it once it
 * has been linked or renamed). */
static int
write_temp(const char *dir, const char *hint, const struct contents *c,
    char **tmp_out, char **cause)
{
	char *name = NULL, *tmp;
	int fd, err;

	if (asprintf(&name, ".%s.XXXXXX", hint) < 0)
		return -ENOMEM;
	tmp = path_join(dir, name);
	free(name);
	if (!tmp)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = set_cause(cause, -errno,
		    "cannot create a temporary file in %s",
		    dir && *dir ? dir : ".");
		free(tmp);
		return err;
	}
	err = write_contents_fd(fd, c);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && fchmod(fd, 0644 & ~current_umask()) < 0)
		err = -errno;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (err)
		goto fail;
	*tmp_out = tmp;
	return 0;

fail:
	set_cause(cause, err, "cannot write %s", tmp);
	unlink(tmp);
	free(tmp);
	return err;
}

/* Gives the finished temporary file `tmp` the name `dst` unless dst exists
 * (also as a dangling symlink): link() never follows nor replaces it. On a
 * file system without hard links, renameat2(RENAME_NOREPLACE) does the
 * same. Returns 0, -EEXIST, or -errno. */
static int
claim_name(const char *tmp, const char *dst, int *renamed)
{
	if (link(tmp, dst) == 0)
		return 0;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
		*renamed = 1;
		return 0;
	}
	return -errno;
}

/* export_write_new for any contents, the name's extension ext. */
static int
write_new(const char *dir, const char *base, const char *ext,
    const struct contents *c, char **path_out, char **cause)
{
	char *tmp = NULL, *name = NULL, *dst = NULL;
	int err, i, renamed = 0;

	if (!base || !*base || strchr(base, '/'))
		return set_cause(cause, -EINVAL, "bad snapshot name '%s'",
		    base ? base : "");
	err = write_temp(dir, base, c, &tmp, cause);
	if (err)
		return err;
	for (i = 0, err = -EEXIST; i < NEW_NAME_TRIES && err == -EEXIST;
	    i++) {
		free(dst);
		dst = NULL;
		if ((i ? asprintf(&name, "%s-%d.%s", base, i, ext) :
		    asprintf(&name, "%s.%s", base, ext)) < 0) {
			err = -ENOMEM;
			break;
		}
		dst = path_join(dir, name);
		free(name);
		if (!dst) {
			err = -ENOMEM;
			break;
		}
		err = claim_name(tmp, dst, &renamed);
	}
	if (err)
		set_cause(cause, err, "cannot create %s", dst ? dst : base);
	if (!renamed)
		unlink(tmp);
	free(tmp);
	if (err) {
		free(dst);
		return err;
	}
	*path_out = dst;
	return 0;
}

int
export_write_new(const char *dir, const char *base, enum export_format fmt,
    const struct pview *v, uint32_t node, char **path_out, char **cause)
{
	struct contents c = { fmt, v, NULL, node, NULL, 0, NULL };

	return write_new(dir, base, format_ext(fmt), &c, path_out, cause);
}

/* ctop-prof-LABEL-YYYYmmdd-HHMMSS in base. */
static void
snapshot_base(char *base, size_t size, const char *label)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(base, size, "ctop-prof-%s-%s", label, stamp);
}

int
export_write_snapshot(const char *dir, const char *label,
    enum export_format fmt, const struct pview *v, uint32_t node,
    const struct export_meta *meta, char **path_out, char **cause)
{
	struct contents c = { fmt, v, NULL, node, NULL, 0, meta };
	char base[160];

	snapshot_base(base, sizeof base, label);
	return write_new(dir ? dir : ".", base, format_ext(fmt), &c,
	    path_out, cause);
}

int
export_write_diff_snapshot(const char *dir, const char *label,
    const struct pdiff *d, uint32_t node, char **path_out, char **cause)
{
	struct contents c = { EXPORT_FOLDED, NULL, d, node, NULL, 0, NULL };
	char base[180];

	snapshot_base(base, sizeof base - 8, label);
	strcat(base, "-diff");
	return write_new(dir ? dir : ".", base, "folded", &c, path_out,
	    cause);
}

int
export_write_text(const char *dir, const char *label, const char *what,
    const char *text, size_t len, char **path_out, char **cause)
{
	struct contents c = { EXPORT_FOLDED, NULL, NULL, 0, text ? text : "",
	    len, NULL };
	char named[128], base[200];

	/* ctop-prof-LABEL-WHAT-YYYYmmdd-HHMMSS: what comes before the time. */
	snprintf(named, sizeof named, "%s-%s", label, what);
	snapshot_base(base, sizeof base, named);
	return write_new(dir ? dir : ".", base, "txt", &c, path_out, cause);
}

/* ------------------------------------------------------------------------
 * --output: the user's file (interface.md, "Files and formats")
 * ------------------------------------------------------------------------ */

/* Symlinks followed before giving up, as the kernel's MAXSYMLINKS. */
#define LINK_HOPS 40
/* The temporary name: short, so that any valid FILE name works beside it
 * (a 255-byte name plus a suffix would not). */
#define TMP_PREFIX ".ctop"
#define TMP_NAME_SIZE (sizeof(TMP_PREFIX) + 6)

/* Sets *cause to a preformatted line and returns err. */
static int set_line(char **cause, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_line(char **cause, int err, const char *fmt, ...)
{
	va_list ap;

	if (!cause)
		return err;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return err;
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The kernel's protected_symlinks rule, applied by us because we resolve
 * links by hand: a link in a sticky world-writable directory is followed
 * only when we or the directory's owner own it. So a link planted in /tmp
 * by another user cannot aim root's file at /etc/shadow. */
static int
link_check_owner(const char *link, const struct stat *lst, char **cause)
{
	struct stat ds;
	char *dir = dir_of(link);
	int err = 0;

	if (!dir)
		return -ENOMEM;
	if (stat(dir, &ds) == 0 && (ds.st_mode & S_ISVTX) &&
	    (ds.st_mode & S_IWOTH) && lst->st_uid != geteuid() &&
	    lst->st_uid != ds.st_uid)
		err = set_line(cause, -EACCES, "cannot write %s: it is a "
		    "symlink owned by uid %u in the sticky, world-writable "
		    "directory %s, which is not followed (as the kernel's "
		    "protected_symlinks does; remove it or give another name)",
		    link, (unsigned)lst->st_uid, dir);
	free(dir);
	return err;
}

/* The target of the symlink `link`, relative ones taken from its
 * directory. Caller frees. */
static char *
link_target(const char *link, const struct stat *lst)
{
	size_t size = (lst->st_size > 0 ? (size_t)lst->st_size : 255) + 1;
	char *buf = malloc(size), *dir, *out;
	ssize_t n;

	if (!buf)
		return NULL;
	n = readlink(link, buf, size);
	if (n < 0 || (size_t)n >= size) {
		free(buf);
		if (n >= 0)
			errno = EAGAIN;	/* it grew under us */
		return NULL;
	}
	buf[n] = '\0';
	if (buf[0] == '/')
		return buf;
	dir = dir_of(link);
	out = dir ? path_join(dir, buf) : NULL;
	free(dir);
	free(buf);
	return out;
}

int
export_path_resolve(const char *path, char **final, struct stat *st,
    char **cause)
{
	char *cur = strdup(path), *next;
	int hops, err;

	if (!cur)
		return -ENOMEM;
	for (hops = 0;; hops++) {
		if (lstat(cur, st) < 0) {
			err = -errno;
			if (err == -ENOENT) {
				memset(st, 0, sizeof *st);
				*final = cur;
				return 0;
			}
			set_cause(cause, err, "cannot write %s", cur);
			break;
		}
		if (!S_ISLNK(st->st_mode)) {
			*final = cur;
			return 0;
		}
		if (hops >= LINK_HOPS) {
			err = set_cause(cause, -ELOOP, "cannot write %s", path);
			break;
		}
		if ((err = link_check_owner(cur, st, cause)) < 0)
			break;
		if (!(next = link_target(cur, st))) {
			err = set_cause(cause, -errno, "cannot read the "
			    "symlink %s", cur);
			break;
		}
		free(cur);
		cur = next;
	}
	free(cur);
	return err;
}

/* Opens the directory of path for *at() calls; O_PATH when it cannot be
 * read (only write and search are needed). */
static int
dir_open(const char *path, char **cause)
{
	char *dir = dir_of(path);
	int fd;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = set_cause(cause, -errno, "cannot write %s: directory %s",
		    path, dir);
	free(dir);
	return fd;
}

/* mkstemp in the directory dirfd, which stays the same directory even if
 * its path is renamed meanwhile: DIR/.ctopXXXXXX, O_EXCL, mode 0600. */
static int
tmp_create(int dirfd, char name[TMP_NAME_SIZE])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	struct timespec ts;
	int tries, i, fd;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) !=
		    (ssize_t)sizeof rnd) {
			clock_gettime(CLOCK_REALTIME, &ts);
			for (i = 0; i < 6; i++)
				rnd[i] = (unsigned char)((ts.tv_nsec >>
				    (i * 5)) ^ getpid() ^ tries * 7);
		}
		memcpy(name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1);
		for (i = 0; i < 6; i++)
			name[sizeof(TMP_PREFIX) - 1 + i] =
			    set[rnd[i] % (sizeof(set) - 1)];
		name[TMP_NAME_SIZE - 1] = '\0';
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}


/* Gives the temporary file the old file's owner (when we may: root, or
 * a group we are in), permission bits and access ACL, so replacing a
 * private 0600 file never makes it readable to others. The set-id bits
 * are dropped, as a write by another user would do. */
static void
tmp_keep_attrs(int fd, const char *old_path, const struct stat *old)
{
	char acl[4096];
	ssize_t n;

	if (fchown(fd, old->st_uid, old->st_gid) < 0 &&
	    fchown(fd, (uid_t)-1, old->st_gid) < 0)
		(void)0;	/* the owner is ours then: still private */
	if (fchmod(fd, old->st_mode & 0777) < 0)
		return;
	n = getxattr(old_path, "system.posix_acl_access", acl, sizeof acl);
	if (n > 0)
		(void)fsetxattr(fd, "system.posix_acl_access", acl, (size_t)n,
		    0);
}

/* The regular-file case: a temporary file in FILE's directory, synced,
 * then rename() over FILE. A failure anywhere leaves FILE as it was.
 * old is FILE's stat, st_mode 0 for a new name. Hard links to the old
 * file keep the old contents: rename makes a new inode, and writing in
 * place could not leave FILE intact on a full disk. */
static int
replace_file(const char *path, const struct stat *old, enum export_format fmt,
    const struct pview *v, const struct export_meta *meta, char **cause)
{
	char name[TMP_NAME_SIZE];
	int dirfd, fd, err;

	if ((dirfd = dir_open(path, cause)) < 0)
		return dirfd;
	if ((fd = tmp_create(dirfd, name)) < 0) {
		err = set_cause(cause, fd, "cannot create a temporary file "
		    "beside %s", path);
		close(dirfd);
		return err;
	}
	err = write_view_fd(fd, fmt, v, 0, meta);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && old->st_mode != 0)
		tmp_keep_attrs(fd, path, old);
	else if (!err && fchmod(fd, 0644 & ~current_umask()) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, name, dirfd, base_of(path)) < 0)
		err = -errno;
	if (err) {
		unlinkat(dirfd, name, 0);
		set_line(cause, err, "cannot write %s: %s (%s)", path,
		    strerror(-err), old->st_mode != 0 ? "the old file is left "
		    "as it was" : "no file was made");
	} else {
		fsync(dirfd);	/* the rename, durable: best effort */
	}
	close(dirfd);
	return err;
}

int
export_open_through(const char *path, const struct stat *st, int wait_ms,
    char **cause)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	int fd, waited = 0, fl;

	if (S_ISSOCK(st->st_mode)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(path) >= sizeof sa.sun_path)
			return set_cause(cause, -ENAMETOOLONG, "cannot connect "
			    "to the socket %s", path);
		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)
		    < 0) {
			int err = set_cause(cause, -errno, "cannot connect to "
			    "the socket %s (a stream socket with a listener "
			    "is needed)", path);

			if (fd >= 0)
				close(fd);
			return err;
		}
		return fd;
	}
	/* O_NONBLOCK: opening a FIFO without a reader fails (ENXIO) instead
	 * of hanging, and a terminal line does not wait for its carrier. */
	for (;;) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd >= 0 || errno != ENXIO || !S_ISFIFO(st->st_mode) ||
		    waited >= wait_ms)
			break;
		nanosleep(&nap, NULL);
		waited += 50;
	}
	if (fd < 0)
		return errno == ENXIO && S_ISFIFO(st->st_mode) ?
		    set_line(cause, -ENXIO, "cannot write %s: no process reads "
		    "this FIFO (start its reader first)", path) :
		    set_cause(cause, -errno, "cannot write %s", path);
	/* Then plain blocking writes: the reader sets the pace. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* Why a place cannot be written at all (a usage error), or 0. */
static int
place_refuse(const char *path, const struct stat *st, char **cause)
{
	if (S_ISDIR(st->st_mode))
		return set_line(cause, -EISDIR, "cannot write %s: it is a "
		    "directory (give a file name)", path);
	if (S_ISBLK(st->st_mode))
		return set_line(cause, -EISDIR, "cannot write %s: it is a "
		    "block device, which would be overwritten (give a file "
		    "name)", path);
	return 0;
}

/* In a sticky directory only root and the owners of the file or the
 * directory may rename over a file: say so now, not after the recording. */
static int
sticky_check_owner(const char *path, const struct stat *st, char **cause)
{
	struct stat ds;
	char *dir = dir_of(path);
	int err = 0;

	if (!dir)
		return -ENOMEM;
	if (geteuid() != 0 && stat(dir, &ds) == 0 && (ds.st_mode & S_ISVTX) &&
	    st->st_uid != geteuid() && ds.st_uid != geteuid())
		err = set_line(cause, -EPERM, "cannot write %s: it belongs to "
		    "uid %u in the sticky directory %s, so it cannot be "
		    "replaced (give another name)", path, (unsigned)st->st_uid,
		    dir);
	free(dir);
	return err;
}

int
export_place_check(const char *path, struct export_place *pl, char **cause)
{
	char name[TMP_NAME_SIZE], *final = NULL;
	struct stat st;
	int err, dirfd, fd;

	memset(pl, 0, sizeof *pl);
	pl->path = path;
	if (!path || !*path)
		return set_line(cause, -EISDIR, "no output file name");
	if (strcmp(path, "-") == 0) {
		pl->kind = EXPORT_PLACE_STDOUT;
		return 0;
	}
	if ((err = export_path_resolve(path, &final, &st, cause)) < 0)
		return err;
	if ((err = place_refuse(path, &st, cause)) < 0)
		goto out;
	if (st.st_mode != 0 && !S_ISREG(st.st_mode)) {
		/* Opening it now could consume a FIFO's reader or rewind a
		 * tape: only check that it may be written. */
		pl->kind = EXPORT_PLACE_STREAM;
		if (faccessat(AT_FDCWD, final, W_OK, AT_EACCESS) < 0)
			err = set_cause(cause, -errno, "cannot write %s", path);
		goto out;
	}
	/* The file is made exactly as at the end: a temporary file beside
	 * it, so a read-only or full inode table shows now, not after the
	 * whole recording. */
	pl->kind = EXPORT_PLACE_FILE;
	if (st.st_mode != 0 &&
	    (err = sticky_check_owner(final, &st, cause)) < 0)
		goto out;
	if ((dirfd = dir_open(final, cause)) < 0) {
		err = dirfd;
		goto out;
	}
	fd = tmp_create(dirfd, name);
	if (fd < 0) {
		char *dir = dir_of(final);

		err = set_cause(cause, fd, "cannot write %s: cannot create "
		    "files in directory %s", path, dir ? dir : ".");
		free(dir);
	} else {
		close(fd);
		unlinkat(dirfd, name, 0);
	}
	close(dirfd);
out:
	free(final);
	return err;
}

int
export_place_write(const struct export_place *pl, enum export_format fmt,
    const struct pview *v, bool checkpoint, char **cause)
{
	char *final = NULL;
	struct stat st;
	int err, fd;

	if (pl->kind == EXPORT_PLACE_STDOUT) {
		if (checkpoint)
			return 0;
		err = write_view_fd(STDOUT_FILENO, fmt, v, 0, pl->meta);
		return err ? set_cause(cause, err, "cannot write the profile "
		    "to standard output") : 0;
	}
	/* Resolved again: the link or file may have changed meanwhile. */
	if ((err = export_path_resolve(pl->path, &final, &st, cause)) < 0)
		return err;
	if ((err = place_refuse(pl->path, &st, cause)) < 0)
		goto out;
	if (st.st_mode == 0 || S_ISREG(st.st_mode)) {
		err = replace_file(final, &st, fmt, v, pl->meta, cause);
		goto out;
	}
	if (checkpoint)		/* a stream gets the final profile */
		goto out;
	fd = export_open_through(final, &st, EXPORT_FIFO_WAIT_MS, cause);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	/* Became a regular file since the lstat: never write one in place. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		close(fd);
		err = replace_file(final, &st, fmt, v, pl->meta, cause);
		goto out;
	}
	err = write_view_fd(fd, fmt, v, 0, pl->meta);
	if (close(fd) < 0 && !err && errno != EINTR)
		err = -errno;
	if (err)
		set_cause(cause, err, "cannot write %s", pl->path);
out:
	free(final);
	return err;
}
