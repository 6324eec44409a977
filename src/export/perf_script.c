/* SPDX-License-Identifier: MIT */
/* `perf script` text in (what FlameGraph's stackcollapse-perf.pl reads):
 * a header line per sample, "COMM PID[/TID] [CPU] TIME: ...", then its
 * frames, leaf first, one per indented line "ADDR SYM+0xOFF (MODULE)", and
 * a blank line. Each sample counts one; the thread is TID (or PID) named
 * COMM; kernel frames are those of [kernel.kallsyms]. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

struct ps {
	struct profile *p;
	const char *path;
	unsigned long lineno;
	uint32_t *stack;	/* leaf first while read */
	size_t n, cap;
	int32_t tid;
	char comm[64];
	bool in_sample;
};

static int
ps_fail(const struct ps *r, char **cause, const char *what)
{
	if (cause && asprintf(cause, "%s:%lu: perf script: %s", r->path,
	    r->lineno, what) < 0)
		*cause = NULL;
	return -EINVAL;
}

/* Adds the sample read so far, root first, the process frame first. */
static int
ps_flush(struct ps *r)
{
	struct frame proc = { r->comm, NULL, NULL, 0, FRAME_PROCESS, 0, NULL };
	uint32_t *st, i;
	int err;

	if (!r->in_sample)
		return 0;
	r->in_sample = false;
	st = malloc((r->n + 1) * sizeof(*st));
	if (!st || (st[0] = profile_intern(r->p, &proc)) == PROFILE_NO_FRAME) {
		free(st);
		return -ENOMEM;
	}
	for (i = 0; i < r->n; i++)
		st[i + 1] = r->stack[r->n - 1 - i];
	profile_set_thread_name(r->p, r->tid, r->comm);
	err = profile_add(r->p, r->tid, 0, st, r->n + 1, 1);
	free(st);
	return err;
}

/* "COMM PID[/TID] ...": COMM may hold spaces; the first token after it
 * that is a number (or number/number) is the pid. */
static int
ps_header(struct ps *r, char *line, char **cause)
{
	char *tok = line, *end, *comm_end = NULL;
	long pid, tid;

	while (*tok) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (tok != line && isdigit((unsigned char)*tok)) {
			pid = strtol(tok, &end, 10);
			tid = pid;
			if (*end == '/')
				tid = strtol(end + 1, &end, 10);
			if ((*end == ' ' || *end == '\t' || !*end) &&
			    tid > 0 && tid <= INT32_MAX) {
				r->tid = (int32_t)tid;
				break;
			}
		}
		while (*tok && *tok != ' ' && *tok != '\t')
			tok++;
		comm_end = tok;
	}
	if (!*tok || !comm_end)
		return ps_fail(r, cause, "a sample line without a pid");
	*comm_end = '\0';
	snprintf(r->comm, sizeof(r->comm), "%s", line);
	r->n = 0;
	r->in_sample = true;
	return 0;
}

/* "ADDR SYM+0xOFF (MODULE)", leading blanks skipped. */
static int
ps_frame(struct ps *r, char *line, char **cause)
{
	struct frame f = { NULL, NULL, NULL, 0, FRAME_FUNC, 0, NULL };
	char *p = line, *sym, *open, *close, *plus;
	uint32_t id;

	if (!r->in_sample)
		return ps_fail(r, cause, "a frame line before any sample line");
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isxdigit((unsigned char)*p))
		return ps_fail(r, cause, "a frame line without an address");
	while (isxdigit((unsigned char)*p))
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	sym = p;
	close = strrchr(sym, ')');
	open = close ? strrchr(sym, '(') : NULL;
	if (open && close > open && !close[1]) {
		*close = '\0';
		f.module = open[1] ? open + 1 : NULL;
		while (open > sym && open[-1] == ' ')
			open--;
		*open = '\0';
	}
	/* The offset into the symbol is not part of its name. */
	if ((plus = strrchr(sym, '+')) && plus[1] == '0' && plus[2] == 'x')
		*plus = '\0';
	f.name = *sym ? sym : "[unknown]";
	if (f.module && strstr(f.module, "kernel.kallsyms"))
		f.kind = FRAME_KERNEL;
	else if (!f.module && f.name[0] == '[' &&
	    f.name[strlen(f.name) - 1] == ']')
		f.kind = FRAME_MARKER;	/* as the pprof reader says */
	if ((id = profile_intern(r->p, &f)) == PROFILE_NO_FRAME)
		return -ENOMEM;
	if (util_grow(&r->stack, &r->cap, r->n + 1, sizeof(*r->stack), 64))
		return -ENOMEM;
	r->stack[r->n++] = id;
	return 0;
}

int
export__perf_script_read(struct profile *p, const char *buf, size_t len,
    const char *path, char **cause)
{
	struct ps r = { .p = p, .path = path };
	const char *at = buf, *end = buf + len, *eol;
	char *line = NULL;
	int err = 0;

	while (at < end && !err) {
		eol = memchr(at, '\n', (size_t)(end - at));
		if (!eol)
			eol = end;
		r.lineno++;
		free(line);
		if (!(line = strndup(at, (size_t)(eol - at)))) {
			err = -ENOMEM;
			break;
		}
		line[strcspn(line, "\r")] = '\0';
		if (!line[0])
			err = ps_flush(&r);
		else if (line[0] == '#')
			;	/* perf's header comments */
		else if (line[0] == ' ' || line[0] == '\t')
			err = ps_frame(&r, line, cause);
		else if (!(err = ps_flush(&r)))
			err = ps_header(&r, line, cause);
		at = eol + 1;
	}
	if (!err)
		err = ps_flush(&r);
	free(line);
	free(r.stack);
	return err;
}
