/* SPDX-License-Identifier: MIT */
/* A program that looks like a statically linked CPython 3.12 to the
 * python probe: _PyRuntime and Py_Version are defined here but not
 * exported, so they sit in .symtab only (Debian's python3.11 exports
 * them in .dynsym; a build with libpython linked in need not). Prints
 * "ready ADDRESS-OF-_PyRuntime" and waits (a minute at most). test-python-probe runs a copy
 * named python3.12 (the probe reads .symtab only for such names). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((used)) char _PyRuntime[4096];
__attribute__((used)) const uint32_t Py_Version = 0x030c01f0;

int
main(void)
{
	printf("ready %p\n", (void *)_PyRuntime);
	fflush(stdout);
	alarm(60);	/* gone in a minute even if the test died */
	pause();
	return 0;
}
