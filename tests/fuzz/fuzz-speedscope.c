/* SPDX-License-Identifier: MIT */
/* Fuzz target for the speedscope JSON reader (its JSON parser included),
 * through export_read; the checks are in fuzz-load.h. Seeds:
 * corpus/speedscope. */
#include "config.h"

#include "fuzz-load.h"

FUZZ_TARGET(speedscope)
{
	return fuzz_load_one(data, size);
}
