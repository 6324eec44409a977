/* SPDX-License-Identifier: MIT */
/* The source view: one function's lines with their samples and a heat
 * bar (source_view.h). The counts come from the profile's line frames
 * (pview_lines): self where a sample's leaf pc was, total where a frame of
 * the stack was (the call site for a caller), so an inlined callee counts
 * in its own lines and its caller's line is the call site. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "ctop/export.h"
#include "ctop/termsafe.h"
#include "source_view.h"
#include "tui.h"

#define SV_MAX_FILE (64u << 20)	/* bigger sources are not read */
#define SV_TAB 8

struct sv_row {
	const char *file;	/* as in the debug info (the view's string) */
	uint32_t line;		/* 0: unknown */
	const char *text;	/* escaped source text, or NULL */
	uint64_t self, total;
	uint32_t callee;	/* PROFILE_NO_FRAME: calls nothing */
};

struct source_view {
	uint32_t func;		/* function frame id */
	char name[256];		/* escaped function name */
	char *file;		/* the file shown (hottest line's), or NULL */
	char *path;		/* where it was read, or the last place tried */
	bool found;
	char **text;		/* escaped lines of the file */
	size_t n_text;
	struct sv_row *rows;
	size_t n_rows;
	uint64_t max_total;
	long sel, top;
	uint64_t gen;		/* t->gen the rows were made for */
};

static void
sv_free(struct source_view *sv)
{
	size_t i;

	if (!sv)
		return;
	for (i = 0; i < sv->n_text; i++)
		free(sv->text[i]);
	free(sv->text);
	free(sv->rows);
	free(sv->file);
	free(sv->path);
	free(sv);
}

void
srcview_close(struct tui *t)
{
	sv_free(t->srcv);
	t->srcv = NULL;
}

/* One line of a source file: tabs expanded, then anything termsafe
 * would not print raw (ESC, other controls, bad UTF-8) escaped. */
static char *
escape_line(const char *s, size_t len, bool utf8)
{
	size_t i, col = 0, n = 0, cap = len * 6 + SV_TAB * len + 1;
	char *exp = malloc(len * SV_TAB + 1), *out = malloc(cap);

	if (!exp || !out) {
		free(exp);
		free(out);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do
				exp[n++] = ' ';
			while (++col % SV_TAB);
		} else {
			exp[n++] = s[i];
			col++;
		}
	}
	termsafe_escape(out, cap, exp, n, utf8);
	free(exp);
	return out;
}

/* Reads a regular file (never a FIFO or a device: O_NONBLOCK and a
 * check) into escaped lines. Returns 0 or -errno. */
static int
read_lines(struct source_view *sv, const char *path, bool utf8)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf, *p, *end, *nl;
	ssize_t got;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > SV_MAX_FILE) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size) {
		got = read(fd, buf + n, (size_t)st.st_size - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	for (p = buf, end = buf + n; p < end; p = nl + 1) {
		char **nt = realloc(sv->text, (sv->n_text + 1) * sizeof(*nt));
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (size_t)(nl - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (!nt)
			break;
		sv->text = nt;
		sv->text[sv->n_text] = escape_line(p, len, utf8);
		if (!sv->text[sv->n_text])
			break;
		sv->n_text++;
	}
	free(buf);
	return 0;
}

/* file with the first --source-path OLD=NEW whose OLD is a leading
 * directory of it replaced. */
static char *
remap(const struct ui_opts *o, const char *file)
{
	char *out = NULL;
	size_t i;

	for (i = 0; i < o->n_source_paths; i++) {
		const char *m = o->source_paths[i], *eq = strchr(m, '=');
		size_t len = (size_t)(eq - m);

		if (strncmp(file, m, len) == 0 && (file[len] == '/' ||
		    file[len] == '\0' || m[len - 1] == '/')) {
			if (asprintf(&out, "%s%s", eq + 1, file + len) < 0)
				return NULL;
			return out;
		}
	}
	return strdup(file);
}

/* Whether a live target sees another root than we do (a container):
 * then its paths are read under /proc/PID/root. */
static bool
other_root(pid_t pid)
{
	char proc[64];
	struct stat a, b;

	snprintf(proc, sizeof proc, "/proc/%d/root", (int)pid);
	return stat(proc, &a) == 0 && stat("/", &b) == 0 &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
}

static void
load_source(struct tui *t, struct source_view *sv)
{
	char *path = remap(t->opts, sv->file), *in_root = NULL;

	if (!path)
		return;
	if (t->have_status && t->st.live && t->st.pid > 0 && path[0] == '/' &&
	    other_root(t->st.pid) && asprintf(&in_root, "/proc/%d/root%s",
	    (int)t->st.pid, path) >= 0 && read_lines(sv, in_root,
	    t->d.utf8) == 0) {
		free(path);
		sv->path = in_root;
		sv->found = true;
		return;
	}
	free(in_root);
	sv->found = read_lines(sv, path, t->d.utf8) == 0;
	sv->path = path;
}

static bool
same_file(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Rows: the file's rows first, by line, then other files' lines. */
static int
row_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sv_row *a = pa, *b = pb;
	const char *file = ctx;
	bool ma = same_file(a->file, file), mb = same_file(b->file, file);
	int c;

	if (ma != mb)
		return ma ? -1 : 1;
	if (!ma && (c = strcmp(a->file ? a->file : "", b->file ?
	    b->file : "")))
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

/* Rows of the file's lines from the function's first (its start line,
 * where the debug info gives it) to its last sampled one (all of them
 * when its text was read), and every sampled line, duplicates merged. */
static int
build_rows(struct source_view *sv, const struct pview *v,
    const struct pview_line *l, long n)
{
	const struct frame *fn = sv->func < v->n_frames ?
	    &v->frames[sv->func] : NULL;
	uint32_t lo = UINT32_MAX, hi = 0, ln;
	size_t k = 0, i;
	long j;

	if (fn && fn->start_line && same_file(fn->file, sv->file))
		lo = fn->start_line;
	for (j = 0; j < n; j++) {
		ln = v->frames[l[j].frame].line;
		if (same_file(v->frames[l[j].frame].file, sv->file) && ln) {
			lo = ln < lo ? ln : lo;
			hi = ln > hi ? ln : hi;
		}
	}
	if (!sv->found || lo > hi)
		lo = 1, hi = 0;
	if (hi > sv->n_text)
		hi = (uint32_t)sv->n_text;
	free(sv->rows);
	sv->rows = calloc((size_t)n + (hi >= lo ? hi - lo + 1 : 0) + 1,
	    sizeof(*sv->rows));
	if (!sv->rows)
		return -ENOMEM;
	for (j = 0; j < n; j++)
		sv->rows[k++] = (struct sv_row){ v->frames[l[j].frame].file,
		    v->frames[l[j].frame].line, NULL, l[j].self, l[j].total,
		    l[j].callee };
	for (ln = lo; ln <= hi && hi; ln++)
		sv->rows[k++] = (struct sv_row){ sv->file, ln, NULL, 0, 0,
		    PROFILE_NO_FRAME };
	qsort_r(sv->rows, k, sizeof(*sv->rows), row_cmp, sv->file);
	sv->n_rows = 0;
	sv->max_total = 0;
	for (i = 0; i < k; i++) {
		struct sv_row *r = &sv->rows[i], *last = sv->n_rows ?
		    &sv->rows[sv->n_rows - 1] : NULL;

		if (last && last->line == r->line &&
		    same_file(last->file, r->file)) {
			last->self += r->self;
			last->total += r->total;
			if (r->callee != PROFILE_NO_FRAME)
				last->callee = r->callee;
		} else {
			sv->rows[sv->n_rows++] = *r;
		}
	}
	for (i = 0; i < sv->n_rows; i++) {
		struct sv_row *r = &sv->rows[i];

		if (sv->found && same_file(r->file, sv->file) && r->line &&
		    r->line <= sv->n_text)
			r->text = sv->text[r->line - 1];
		if (r->total > sv->max_total)
			sv->max_total = r->total;
	}
	return 0;
}

/* The hottest row: most self, then most total. */
static long
hottest(const struct source_view *sv)
{
	long best = 0;
	size_t i;

	for (i = 1; i < sv->n_rows; i++) {
		const struct sv_row *a = &sv->rows[i], *b = &sv->rows[best];

		if (a->self > b->self || (a->self == b->self &&
		    a->total > b->total))
			best = (long)i;
	}
	return best;
}

/* Counts again from the newest view; the selection keeps its line. */
static void
sv_refresh(struct tui *t, struct source_view *sv)
{
	struct pview_line *l = NULL;
	long n;
	uint32_t line = sv->n_rows ? sv->rows[sv->sel].line : 0;
	const char *file = sv->n_rows ? sv->rows[sv->sel].file : NULL;
	size_t i;

	if (!t->cur || sv->gen == t->gen)
		return;
	sv->gen = t->gen;
	n = pview_lines(t->cur, sv->func, &l);
	if (n < 0 || build_rows(sv, t->cur, l, n) < 0)
		sv->n_rows = 0;
	free(l);
	for (i = 0; i < sv->n_rows; i++)
		if (sv->rows[i].line == line &&
		    same_file(sv->rows[i].file, file))
			sv->sel = (long)i;
	if (sv->sel >= (long)sv->n_rows)
		sv->sel = sv->n_rows ? (long)sv->n_rows - 1 : 0;
}

void
srcview_open(struct tui *t, uint32_t frame)
{
	struct source_view *sv;
	struct pview_line *l = NULL;
	long n, j, best = 0;
	const char *name;

	if (!t->cur || frame >= t->cur->n_frames)
		return;
	n = pview_lines(t->cur, frame, &l);
	name = t->cur->frames[pview_func_frame(t->cur, frame)].name;
	for (j = 0; j < n && !t->cur->frames[l[j].frame].line; j++)
		;
	if (n <= 0 || j == n) {
		free(l);
		tui_message(t, true, n < 0 ? "out of memory" :
		    "no line information for that function (none in a folded "
		    "file, or no samples since the last reset)");
		return;
	}
	sv = calloc(1, sizeof(*sv));
	if (!sv) {
		free(l);
		return;
	}
	sv->func = pview_func_frame(t->cur, frame);
	termsafe_escape(sv->name, sizeof sv->name, name, strlen(name),
	    t->d.utf8);
	for (j = 1; j < n; j++)
		if (l[j].total > l[best].total)
			best = j;
	if (t->cur->frames[l[best].frame].file) {
		sv->file = strdup(t->cur->frames[l[best].frame].file);
		if (sv->file)
			load_source(t, sv);
	}
	if (build_rows(sv, t->cur, l, n) < 0) {
		free(l);
		sv_free(sv);
		return;
	}
	free(l);
	sv->gen = t->gen;
	sv->sel = hottest(sv);
	sv->top = -1;		/* centre the hottest line on the first draw */
	srcview_close(t);
	t->srcv = sv;
}

/* Enter: the icicle of the function, zoomed into the call on the line. */
static void
zoom_into_call(struct tui *t, struct source_view *sv)
{
	const struct sv_row *r = sv->n_rows ? &sv->rows[sv->sel] : NULL;
	uint32_t func = sv->func, callee, c;

	if (!r || r->callee == PROFILE_NO_FRAME) {
		tui_message(t, false, "this line calls nothing in the samples");
		return;
	}
	callee = r->callee;
	if (!tui_focus_on(t, func))
		return;
	srcview_close(t);
	t->view.mode = UI_ICICLE;
	t->view.n_zoom = 0;
	t->tree_top = 0;
	c = t->focus->nodes[t->focus->nodes[0].first_child].first_child;
	while (c != PROFILE_NO_NODE && t->focus->nodes[c].frame != callee)
		c = t->focus->nodes[c].next_sibling;
	if (c == PROFILE_NO_NODE)
		c = t->focus->nodes[0].first_child;
	else
		t->view.zoom[t->view.n_zoom++] = t->focus->nodes[c].id;
	t->view.sel_path[0] = t->focus->nodes[c].id;
	t->view.sel_depth = 1;
}

static void
sv_row_text(const struct source_view *sv, const struct sv_row *r,
    char *buf, size_t size)
{
	if (r->text)
		snprintf(buf, size, "%s", r->text);
	else if (!same_file(r->file, sv->file))
		snprintf(buf, size, "(in %s)", r->file ? r->file : "?");
	else
		buf[0] = '\0';
}

char *
srcview_text(const struct source_view *sv, size_t *len)
{
	char *out = NULL, text[1024], file[1024];
	size_t size = 0, i;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	termsafe_escape(file, sizeof file, sv->file ? sv->file : "?",
	    strlen(sv->file ? sv->file : "?"), true);
	fprintf(f, "# ctop-prof source lines of %s in %s%s\n", sv->name, file,
	    sv->found ? "" : " (source not found)");
	fprintf(f, "# %6s %8s %8s  %s\n", "line", "self", "total", "source");
	for (i = 0; i < sv->n_rows; i++) {
		sv_row_text(sv, &sv->rows[i], text, sizeof text);
		fprintf(f, "  %6u %8llu %8llu  %s\n", sv->rows[i].line,
		    (unsigned long long)sv->rows[i].self,
		    (unsigned long long)sv->rows[i].total, text);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*len = size;
	return out;
}

static void
save(struct tui *t, struct source_view *sv)
{
	char label[80], *path = NULL, *cause = NULL, *text;
	size_t len = 0, i;
	int rc;

	if (t->have_status && t->st.live)
		snprintf(label, sizeof label, "%d", (int)t->st.pid);
	else
		snprintf(label, sizeof label, "%s", t->have_status ?
		    t->st.comm : "profile");
	for (i = 0; label[i]; i++)
		if (label[i] == '/')
			label[i] = '_';
	text = srcview_text(sv, &len);
	if (!text) {
		tui_message(t, true, "save failed: out of memory");
		return;
	}
	rc = export_write_text(t->opts->snapshot_dir, label, "lines", text,
	    len, &path, &cause);
	free(text);
	if (rc < 0)
		tui_message(t, true, "save failed: %s", cause ? cause : "error");
	else
		tui_message(t, false, "saved %s", path);
	free(path);
	free(cause);
}

static int
page_rows(const struct tui *t)
{
	return t->cv.h > 8 ? t->cv.h - 8 : 1;
}

bool
srcview_key(struct tui *t, int key, bool fn)
{
	struct source_view *sv = t->srcv;
	long n = (long)sv->n_rows;

	if (fn && (key == KEY_UP || key == KEY_DOWN || key == KEY_PPAGE ||
	    key == KEY_NPAGE || key == KEY_HOME || key == KEY_END)) {
		sv->sel += key == KEY_UP ? -1 : key == KEY_DOWN ? 1 :
		    key == KEY_PPAGE ? -page_rows(t) : key == KEY_NPAGE ?
		    page_rows(t) : key == KEY_HOME ? -n : n;
	} else if (!fn && (key == 'k' || key == 'j')) {
		sv->sel += key == 'k' ? -1 : 1;
	} else if ((!fn && (key == '\n' || key == '\r')) ||
	    (fn && key == KEY_ENTER)) {
		zoom_into_call(t, sv);
		return true;
	} else if ((!fn && (key == 27 || key == 127 || key == 8 ||
	    key == 'u' || key == 'L')) || (fn && key == KEY_BACKSPACE)) {
		srcview_close(t);
		return true;
	} else if (!fn && key == 's') {
		save(t, sv);
		return true;
	} else {
		return false;
	}
	if (sv->sel >= n)
		sv->sel = n - 1;
	if (sv->sel < 0)
		sv->sel = 0;
	return true;
}

/* The heat bar: self cells, then cells of time in calls. */
static void
draw_bar(struct tui *t, int y, int x, int w, const struct sv_row *r,
    uint64_t max)
{
	int s = max ? (int)((r->self * (uint64_t)w + max / 2) / max) : 0;
	int a = max ? (int)((r->total * (uint64_t)w + max / 2) / max) : 0;
	int level = max ? (int)(r->total * (UI_N_BAR - 1) / max) : 0;

	if (r->total && a == 0)
		a = 1;
	if (s > a)
		s = a;
	canvas_fill(&t->cv, y, x, s, t->d.utf8 ? 0x2588 : '#',
	    ST_BAR0 + level);
	canvas_fill(&t->cv, y, x + s, a - s, t->d.utf8 ? 0x2592 : '+',
	    ST_BAR0 + level);
}

void
srcview_draw(struct tui *t, int y0, int h)
{
	struct source_view *sv = t->srcv;
	char line[1200], text[1024], path[600];
	int bw = t->cv.w >= 120 ? 20 : 10, rows = h - 3, i;
	const char *p = sv->path ? sv->path : sv->file ? sv->file : "?";

	sv_refresh(t, sv);
	termsafe_escape(path, sizeof path, p, strlen(p), t->d.utf8);
	if (sv->found)
		snprintf(line, sizeof line, "source of %s: %s", sv->name, path);
	else
		snprintf(line, sizeof line, "source of %s: source not found: "
		    "%s", sv->name, path);
	canvas_text(&t->cv, y0, 0, -1, line, ST_TITLE);
	snprintf(line, sizeof line, "%6s %8s %8s %-*s %s", "line", "self",
	    "total", bw, "heat", "source");
	canvas_text(&t->cv, y0 + 1, 0, -1, line, ST_TITLE);
	if (rows < 1)
		return;
	if (sv->top < 0)
		sv->top = sv->sel - rows / 2;
	if (sv->sel < sv->top)
		sv->top = sv->sel;
	if (sv->sel >= sv->top + rows)
		sv->top = sv->sel - rows + 1;
	if (sv->top > (long)sv->n_rows - rows)
		sv->top = (long)sv->n_rows - rows;
	if (sv->top < 0)
		sv->top = 0;
	for (i = 0; i < rows && sv->top + i < (long)sv->n_rows; i++) {
		const struct sv_row *r = &sv->rows[sv->top + i];
		int y = y0 + 2 + i, st = sv->top + i == sv->sel ?
		    ST_SELECTED : ST_NORMAL;

		sv_row_text(sv, r, text, sizeof text);
		snprintf(line, sizeof line, "%6u %8llu %8llu", r->line,
		    (unsigned long long)r->self,
		    (unsigned long long)r->total);
		canvas_text(&t->cv, y, 0, -1, line, st);
		draw_bar(t, y, 25, bw, r, sv->max_total);
		canvas_text(&t->cv, y, 26 + bw, -1, text, st);
		if (st == ST_SELECTED)
			canvas_restyle(&t->cv, y, 0, 24, st);
	}
	canvas_text(&t->cv, y0 + h - 1, 0, -1, "Enter: zoom into the call on "
	    "the line  s: save  Esc: back", ST_TITLE);
}
