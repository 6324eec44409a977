/* SPDX-License-Identifier: MIT */
/* Fuzz target for the `perf script` text reader, through export_read; the
 * checks are in fuzz-load.h. Seeds: corpus/perfscript. */
#include "config.h"

#include "fuzz-load.h"

FUZZ_TARGET(perfscript)
{
	return fuzz_load_one(data, size);
}
