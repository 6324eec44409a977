// SPDX-License-Identifier: MIT
// Test target: the hot function's demangled name is over 10 KB. It is a
// function template instantiated with 100 copies of a type whose name is
// 100 characters long; the mangled name stays short (substitutions), the
// demangled one repeats the type: "void lc_long_name_spin<Ns::Lo...,
// Ns::Lo..., ...>()". Expected hot path: main -> lc_long_name_spin<...>.
#include <unistd.h>

namespace Ns {
struct LongTypeName_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {};
}

#define L Ns::LongTypeName_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
#define L10 L, L, L, L, L, L, L, L, L, L
#define L100 L10, L10, L10, L10, L10, L10, L10, L10, L10, L10

static volatile unsigned long sink;

template <typename... T> __attribute__((noinline)) void
lc_long_name_spin()
{
	for (unsigned long i = 0; i < (1ul << 22); i++)
		sink = sink + i + sizeof...(T);
}

int
main()
{
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		lc_long_name_spin<L100>();
}
