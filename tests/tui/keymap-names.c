/* SPDX-License-Identifier: MIT */
/* Prints the name of every key of the TUI's key table, one per line, as
 * the man page and --help write them ("Up", "Enter", "Backspace", "q"),
 * each once. tests/tui/run-keys-doc.sh compares the docs with this list,
 * so that the table is the one place a key is written down. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ui_internal.h"

/* Whether name was printed for an earlier key of the table. */
static bool
seen_before(size_t upto_i, size_t upto_k, const char *name)
{
	size_t i, k;

	for (i = 0; i <= upto_i; i++)
		for (k = 0; k < 6 && keymap[i].keys[k]; k++) {
			const char *n;

			if (i == upto_i && k == upto_k)
				return false;
			n = keymap_key_name(keymap[i].keys[k], false);
			if (n && strcmp(n, name) == 0)
				return true;
		}
	return false;
}

int
main(void)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; i < keymap_len; i++)
		for (k = 0; k < 6 && keymap[i].keys[k]; k++) {
			const char *name = keymap_key_name(keymap[i].keys[k],
			    false);

			if (!name) {
				fprintf(stderr, "keymap-names: entry %s: key "
				    "code %d has no name\n", keymap[i].name,
				    keymap[i].keys[k]);
				rc = 1;
			} else if (!seen_before(i, k, name)) {
				puts(name);
			}
		}
	return rc;
}
