/* SPDX-License-Identifier: MIT */
#include "../tap.h"
int main(void) { return done_testing(); }
