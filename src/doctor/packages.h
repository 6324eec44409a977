/* SPDX-License-Identifier: MIT */
/* doctor: which Debian package would bring a file's debug info. */
#ifndef CTOP_DOCTOR_PACKAGES_H
#define CTOP_DOCTOR_PACKAGES_H

#include <stddef.h>

/* The least-privilege way to get DWARF for each of the n files (at most
 * 64), into fixes[i]: the -dbgsym (or -dbg) package of the package that
 * owns it when dpkg can tell, whether apt knows it already or needs
 * Debian's debug archive; otherwise how to build or keep debug info.
 * Runs dpkg-query and apt-cache once each (no shell; nothing is
 * installed). */
void doctor__debug_fixes(const char *const *paths, size_t n,
    char (*fixes)[512]);

#endif
