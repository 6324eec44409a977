/* SPDX-License-Identifier: MIT */
/* Fuzz target for the pprof reader (gzipped or raw protobuf), through
 * export_read; the checks are in fuzz-load.h. Seeds: corpus/pprof. */
#include "config.h"

#include "fuzz-load.h"

FUZZ_TARGET(pprof)
{
	return fuzz_load_one(data, size);
}
