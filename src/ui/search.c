/* SPDX-License-Identifier: MIT */
/* Search: marks the frames whose name matches (a POSIX ERE when the text
 * compiles as one, else a plain substring) and counts the samples whose
 * stack holds at least one match, each sample once. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "ui_internal.h"

void
search_init(struct search *s)
{
	memset(s, 0, sizeof *s);
}

void
search_clear(struct search *s)
{
	if (s->on && s->regex)
		regfree(&s->re);
	s->on = false;
	s->regex = false;
	s->text[0] = '\0';
	s->samples = s->total = 0;
}

void
search_fini(struct search *s)
{
	search_clear(s);
	free(s->match);
	s->match = NULL;
	s->n_match = 0;
}

int
search_set(struct search *s, const char *text)
{
	search_clear(s);
	if (!text[0])
		return 0;
	strncpy(s->text, text, sizeof s->text - 1);
	s->text[sizeof s->text - 1] = '\0';
	s->regex = regcomp(&s->re, s->text, REG_EXTENDED | REG_NOSUB) == 0;
	s->on = true;
	return 0;
}

static bool
search_name(const struct search *s, const char *name)
{
	if (!name)
		return false;
	if (s->regex)
		return regexec(&s->re, name, 0, NULL, 0) == 0;
	return strstr(name, s->text) != NULL;
}

bool
search_hit(const struct search *s, uint32_t frame)
{
	return s->on && frame < s->n_match && s->match[frame];
}

/* Depth-first over root's subtree; a node's stack holds a match when it or
 * an ancestor matches, and its self samples are counted exactly then. */
static int
search_count(struct search *s, const struct pview *v, uint32_t root)
{
	struct item { uint32_t node; bool in; } *st;
	size_t sp = 0, cap = 64;

	st = malloc(cap * sizeof *st);
	if (!st)
		return -ENOMEM;
	st[sp++] = (struct item){ root, false };
	while (sp) {
		struct item it = st[--sp];
		const struct pview_node *nd = &v->nodes[it.node];
		bool in = it.in || search_hit(s, nd->frame);
		uint32_t c;

		if (in) {
			/* The whole subtree matches: its total counts. */
			s->samples += nd->total;
			continue;
		}
		for (c = nd->first_child; c != PROFILE_NO_NODE &&
		    c < v->n_nodes; c = v->nodes[c].next_sibling) {
			if (util_grow(&st, &cap, sp + 1, sizeof *st, 0)) {
				free(st);
				return -ENOMEM;
			}
			st[sp++] = (struct item){ c, false };
		}
	}
	free(st);
	return 0;
}

int
search_apply(struct search *s, const struct pview *v, uint32_t root)
{
	uint32_t i;

	s->samples = 0;
	s->total = root < v->n_nodes ? v->nodes[root].total : 0;
	if (!s->on)
		return 0;
	if (s->n_match < v->n_frames) {
		uint8_t *m = realloc(s->match, v->n_frames);

		if (!m)
			return -ENOMEM;
		s->match = m;
	}
	s->n_match = v->n_frames;
	for (i = 0; i < v->n_frames; i++)
		s->match[i] = search_name(s, v->frames[i].name);
	if (root >= v->n_nodes)
		return 0;
	return search_count(s, v, root);
}
