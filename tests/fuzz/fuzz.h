/* SPDX-License-Identifier: MIT */
/* Fuzz targets: one file per parser, each a FUZZ_TARGET(name) body that
 * takes bytes and aborts on a broken invariant. Built two ways: with
 * CTOP_FUZZ_LIBFUZZER (make fuzz, clang) it defines LLVMFuzzerTestOneInput;
 * otherwise it registers itself in a linker section that tests/fuzz/replay.c
 * walks, so one replay program runs every target with no list to edit. */
#ifndef CTOP_TESTS_FUZZ_H
#define CTOP_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_target {
	const char *name;
	int (*run)(const uint8_t *data, size_t size);
};

#ifdef CTOP_FUZZ_LIBFUZZER
#define FUZZ_TARGET(name)						\
	static int fuzz_##name(const uint8_t *, size_t);		\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);	\
	int								\
	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)	\
	{								\
		return fuzz_##name(data, size);				\
	}								\
	static int							\
	fuzz_##name(const uint8_t *data, size_t size)
#else
/* A pointer per target in section ctop_fuzz_targets: the linker provides
 * __start_ and __stop_ symbols around it. Sanitizers leave globals in
 * named sections unpadded, so the array stays dense. */
#define FUZZ_TARGET(name)						\
	static int fuzz_##name(const uint8_t *, size_t);		\
	static const struct fuzz_target fuzz_def_##name = {		\
		#name, fuzz_##name					\
	};								\
	static const struct fuzz_target *const fuzz_reg_##name		\
	    __attribute__((used, section("ctop_fuzz_targets"))) =	\
	    &fuzz_def_##name;						\
	static int							\
	fuzz_##name(const uint8_t *data, size_t size)
#endif

/* Prints "fuzz: invariant broken: ..." on stderr and aborts when cond is
 * false: a fuzzer reports an abort as a crash and keeps the input. */
#define fuzz_check(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
} while (0)

__attribute__((noreturn, format(printf, 4, 5)))
void fuzz_fail(const char *file, int line, const char *cond,
    const char *fmt, ...);

/* True when the known bug `id` is listed in CTOP_FUZZ_IGNORE (ids
 * separated by commas or spaces): its check is skipped so that fuzzing
 * can go past it while it waits for a fix. Each id names a reproducer,
 * tests/fuzz/regressions/TARGET/ID, that fails until the fix. */
int fuzz_known(const char *id);

/* A file whose content a target sets, for parsers that read a path: an
 * anonymous memfd, reached as /proc/self/fd/N (each open starts at offset
 * 0). Made on first use and kept for the life of the process. */
struct fuzz_file {
	int fd;			/* -1 before the first fuzz_file_set */
	char path[32];
};

#define FUZZ_FILE_INIT { -1, "" }

/* Replaces the content of f with data[0, size); returns f->path, or NULL
 * when the memfd cannot be made or written (errno set). */
const char *fuzz_file_set(struct fuzz_file *f, const void *data, size_t size);

#endif
