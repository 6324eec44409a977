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
#include <sys/stat.h>
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

static const char *const later_formats[] = { "speedscope", "pprof", "svg" };

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
	size_t i;

	if (!name)
		name = format_from_path(path);
	if (!name || strcmp(name, "folded") == 0) {
		*out = EXPORT_FOLDED;
		return 0;
	}
	for (i = 0; i < sizeof(later_formats) / sizeof(later_formats[0]); i++)
		if (strcmp(name, later_formats[i]) == 0)
			break;
	if (cause && asprintf(cause, i < sizeof(later_formats) /
	    sizeof(later_formats[0]) ?
	    "format '%s' is not implemented yet (use folded)" :
	    "unknown format '%s' (known: folded)", name) < 0)
		*cause = NULL;
	return -EINVAL;
}

static const char *
format_ext(enum export_format fmt)
{
	switch (fmt) {
	case EXPORT_FOLDED:
		return "folded";
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

int
export_check_output(const char *path, char **cause)
{
	struct stat st;
	char *dir;
	int err = 0;

	if (!path || !*path)
		return set_cause(cause, -EINVAL, "no output file name");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return set_cause(cause, -EISDIR, "cannot write %s", path);
	dir = dir_of(path);
	if (!dir)
		return set_cause(cause, -ENOMEM, "cannot write %s", path);
	if (stat(dir, &st) < 0)
		err = set_cause(cause, -errno, "cannot write %s: directory %s",
		    path, dir);
	else if (!S_ISDIR(st.st_mode))
		err = set_cause(cause, -ENOTDIR, "cannot write %s: %s", path,
		    dir);
	else if (access(dir, W_OK | X_OK) < 0)
		err = set_cause(cause, -errno,
		    "cannot write %s: cannot create files in directory %s",
		    path, dir);
	free(dir);
	return err;
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

/* Writes v through node into a new mkstemp file DIR/.HINT.XXXXXX, synced
 * and mode 0644 minus the umask. Sets *tmp_out (caller frees, and unlinks
 * it once it has been linked or renamed). */
static int
write_temp(const char *dir, const char *hint, enum export_format fmt,
    const struct pview *v, uint32_t node, char **tmp_out, char **cause)
{
	char *name = NULL, *tmp;
	FILE *f;
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
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	switch (fmt) {
	case EXPORT_FOLDED:
		err = folded_write(f, v, node);
		break;
	default:
		err = -EINVAL;
	}
	if (!err && fflush(f) != 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && fchmod(fd, 0644 & ~current_umask()) < 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
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

int
export_write_replace(const char *path, enum export_format fmt,
    const struct pview *v, uint32_t node, char **cause)
{
	char *dir, *tmp = NULL;
	const char *slash;
	int err;

	if (!path || !*path)
		return set_cause(cause, -EINVAL, "no output file name");
	dir = dir_of(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(path, '/');
	err = write_temp(dir, slash ? slash + 1 : path, fmt, v, node, &tmp,
	    cause);
	free(dir);
	if (err)
		return err;
	if (rename(tmp, path) < 0) {
		err = set_cause(cause, -errno, "cannot rename %s to %s", tmp,
		    path);
		unlink(tmp);
	}
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

int
export_write_new(const char *dir, const char *base, enum export_format fmt,
    const struct pview *v, uint32_t node, char **path_out, char **cause)
{
	const char *ext = format_ext(fmt);
	char *tmp = NULL, *name = NULL, *dst = NULL;
	int err, i, renamed = 0;

	if (!base || !*base || strchr(base, '/'))
		return set_cause(cause, -EINVAL, "bad snapshot name '%s'",
		    base ? base : "");
	err = write_temp(dir, base, fmt, v, node, &tmp, cause);
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
export_write_snapshot(const char *dir, const char *label,
    const struct pview *v, uint32_t node, char **path_out, char **cause)
{
	char base[160], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(base, sizeof base, "ctop-prof-%s-%s", label, stamp);
	return export_write_new(dir ? dir : ".", base, EXPORT_FOLDED, v, node,
	    path_out, cause);
}
