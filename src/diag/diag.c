/* SPDX-License-Identifier: MIT */
/* diag: the -v / --log sink. Each message is formatted first and written
 * with one locked fputs, so lines of different threads do not mix; it is
 * escaped (termsafe) since it may name a thread, a module or a path. */
#include "config.h"

#include "ctop/diag.h"

#include "ctop/termsafe.h"

#include <stdarg.h>
#include <stdatomic.h>

static _Atomic(FILE *) diag_sink;

void
diag_set(FILE *f)
{
	atomic_store(&diag_sink, f);
}

void
diag(const char *fmt, ...)
{
	FILE *f = atomic_load(&diag_sink);
	char line[1024];
	va_list ap;

	if (f == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	flockfile(f);
	fputs("ctop-prof: ", f);
	termsafe_fputs(line, f);
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
}
