// SPDX-License-Identifier: MIT
// Test target: the hot function is a member of a class template in a
// namespace, so its symbol is mangled: it must be shown demangled as
// ns::Worker<int>::run().
#include <unistd.h>

namespace ns {

template <typename T> class Worker {
public:
	explicit Worker(T seed) : acc_(seed) {}
	__attribute__((noinline)) T run();

private:
	volatile T acc_;
};

template <typename T> T
Worker<T>::run()
{
	for (unsigned long i = 0; i < (1ul << 22); i++)
		acc_ = acc_ + static_cast<T>(i);
	return acc_;
}

template class Worker<int>;

} // namespace ns

int
main()
{
	ns::Worker<int> w(1);

	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		w.run();
}
