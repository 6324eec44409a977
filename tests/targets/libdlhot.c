/* SPDX-License-Identifier: MIT */
/* Test shared object for dlopener: one hot function, named DLHOT_FN
 * (dlhot_spin, or dlhot2_spin in the second build), so two builds of the
 * same size can take turns at one address. */
#ifndef DLHOT_FN
#define DLHOT_FN dlhot_spin
#endif

volatile unsigned long dlhot_sink;

__attribute__((noinline)) unsigned long
DLHOT_FN(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		dlhot_sink += i;
	return dlhot_sink;
}
