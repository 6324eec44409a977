/* SPDX-License-Identifier: MIT */
/* doctor: the package that would bring a file's debug info, asked of
 * dpkg-query and apt-cache (spawned without a shell: a path from the
 * target's maps is an argument, never a command line). */
#include "config.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packages.h"

extern char **environ;

/* Runs argv (found on PATH) with stdout into out (NUL-terminated, cut
 * at size) and stderr discarded. Returns its exit status, -1 when it
 * could not run. */
static int
run_capture(char *const argv[], char *out, size_t size)
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status = -1;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	    O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while (pid > 0 && (n = read(pfd[0], out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pfd[0]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/* path's other spelling across the /usr merge (/lib and /usr/lib are
 * one file; dpkg knows one of the two). */
static void
other_spelling(const char *path, char *out, size_t size)
{
	if (strncmp(path, "/usr/", 5) == 0)
		snprintf(out, size, "%s", path + 4);
	else
		snprintf(out, size, "/usr%s", path);
}

static bool
line_names(const char *file, size_t flen, const char *path)
{
	return strlen(path) == flen && strncmp(file, path, flen) == 0;
}

/* The package owning path in dpkg's answer, whose lines read
 * "pkg[:arch][, pkg2...]: path". */
static bool
owner_in(const char *answer, const char *path, char *pkg, size_t size)
{
	char other[4096];
	const char *line = answer;

	other_spelling(path, other, sizeof other);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *sep = strstr(line, ": /");

		if (sep && (!end || sep < end)) {
			const char *file = sep + 2;
			size_t flen = end ? (size_t)(end - file) : strlen(file);

			if (line_names(file, flen, path) ||
			    line_names(file, flen, other)) {
				snprintf(pkg, size, "%.*s",
				    (int)strcspn(line, ":, "), line);
				return pkg[0] != '\0';
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* Whether apt's answer lists package name ("Package: name" lines). */
static bool
apt_lists(const char *answer, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = answer; (p = strstr(p, "Package: ")) != NULL;
	    p += 9)
		if (strncmp(p + 9, name, len) == 0 &&
		    (p[9 + len] == '\n' || p[9 + len] == '\0'))
			return true;
	return false;
}

#define MAX_ARGS 260
#define ANSWER_BYTES (1 << 20)

/* Asks dpkg which packages own the files (each path and its other
 * spelling across the /usr merge), in one run. */
static char *
ask_dpkg(const char *const *paths, size_t n)
{
	char *argv[MAX_ARGS], *answer = malloc(ANSWER_BYTES);
	char alts[64][4096];
	size_t k = 0;

	if (!answer)
		return NULL;
	argv[k++] = "dpkg-query";
	argv[k++] = "-S";
	for (size_t i = 0; i < n && i < 64; i++) {
		argv[k++] = (char *)paths[i];
		other_spelling(paths[i], alts[i], sizeof alts[i]);
		argv[k++] = alts[i];
	}
	argv[k] = NULL;
	/* dpkg-query exits 1 when one path has no owner: read it anyway. */
	run_capture(argv, answer, ANSWER_BYTES);
	return answer;
}

/* Asks apt which of the debug packages of pkgs it knows, in one run. */
static char *
ask_apt(char pkgs[][128], size_t n)
{
	char *argv[MAX_ARGS], *answer = malloc(ANSWER_BYTES);
	char names[128][160];
	size_t k = 0, m = 0;

	if (!answer)
		return NULL;
	argv[k++] = "apt-cache";
	argv[k++] = "show";
	argv[k++] = "--no-all-versions";
	for (size_t i = 0; i < n && m + 2 <= 128; i++) {
		if (!pkgs[i][0])
			continue;
		snprintf(names[m], sizeof names[m], "%.127s-dbgsym", pkgs[i]);
		argv[k++] = names[m++];
		snprintf(names[m], sizeof names[m], "%.127s-dbg", pkgs[i]);
		argv[k++] = names[m++];
	}
	argv[k] = NULL;
	answer[0] = '\0';
	if (m > 0)
		run_capture(argv, answer, ANSWER_BYTES);
	return answer;
}

/* This system's release name (VERSION_CODENAME), for the debug suite. */
static void
codename(char *out, size_t size)
{
	char line[256];
	FILE *f = fopen("/etc/os-release", "re");

	snprintf(out, size, "RELEASE");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VERSION_CODENAME=", 17) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line + 17);
		}
	if (f)
		fclose(f);
}

static void
one_fix(const char *pkg, const char *apt, const char *rel, char *fix,
    size_t size)
{
	char dbg[160];

	if (!pkg[0]) {
		snprintf(fix, size, "not from a Debian package: build it with "
		    "-g, or keep its debug file beside it (objcopy "
		    "--only-keep-debug, then --add-gnu-debuglink)");
		return;
	}
	snprintf(dbg, sizeof dbg, "%.127s-dbgsym", pkg);
	if (apt && apt_lists(apt, dbg)) {
		snprintf(fix, size, "apt install %s", dbg);
		return;
	}
	snprintf(dbg, sizeof dbg, "%.127s-dbg", pkg);
	if (apt && apt_lists(apt, dbg)) {
		snprintf(fix, size, "apt install %s", dbg);
		return;
	}
	snprintf(fix, size, "apt install %.127s-dbgsym, after adding Debian's "
	    "debug archive (suite %.63s-debug) to apt's sources", pkg, rel);
}

void
doctor__debug_fixes(const char *const *paths, size_t n, char (*fixes)[512])
{
	char pkgs[64][128], rel[256], *dpkg, *apt = NULL;
	size_t i;

	if (n > 64)
		n = 64;
	codename(rel, sizeof rel);
	dpkg = ask_dpkg(paths, n);
	for (i = 0; i < n; i++)
		if (!dpkg || !owner_in(dpkg, paths[i], pkgs[i],
		    sizeof pkgs[i]))
			pkgs[i][0] = '\0';
	apt = ask_apt(pkgs, n);
	for (i = 0; i < n; i++)
		one_fix(pkgs[i], apt, rel, fixes[i], sizeof fixes[i]);
	free(dpkg);
	free(apt);
}
