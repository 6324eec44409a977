/* SPDX-License-Identifier: MIT */
/* unwind: libunwind's signal-mask calls, answered without a system call
 * on a thread that blocks every signal.
 *
 * libunwind (1.6) guards its register-state cache and its memory pools
 * with a lock and, to be safe in signal handlers, sets the thread's
 * signal mask to all signals before taking it and back after: two
 * rt_sigprocmask system calls per step, about twelve per sample. Measured
 * with strace on the worker at 999 Hz: 45899 calls for 3820 samples; by
 * perf, two thirds of the worker's CPU on a VM, where a system call is
 * dear. UNW_CACHE_PER_THREAD, which takes no lock, is turned into
 * UNW_CACHE_GLOBAL when libunwind was built without thread-local storage,
 * as Debian's is.
 *
 * The worker blocks every signal for its whole life (unwind_thread_init),
 * so those calls change nothing there. This sigprocmask, which the
 * dynamic linker gives libunwind in place of libc's (a definition in the
 * program comes first, as a malloc of one's own does), answers such calls
 * on such a thread at once: blocking more, or setting the mask to all
 * signals again. Every other call, and every call on another thread,
 * goes to pthread_sigmask as libc's sigprocmask does. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctop/unwind.h"

/* This thread blocks every signal, and said so. */
static __thread bool all_blocked;

/* Whether set blocks every signal the kernel has (1 to 64: the first
 * eight bytes of a sigset_t), glibc's two internal ones (32 and 33)
 * aside: libunwind's "full" mask. A compare of one word, where 64
 * sigismember calls were a fifth of the worker's CPU. */
static bool
set_is_full(const sigset_t *set)
{
	const uint64_t internal = 3ull << 31;	/* signals 32 and 33 */
	uint64_t word;

	memcpy(&word, set, sizeof word);
	return (word | internal) == UINT64_MAX;
}

void
unwind_thread_init(void)
{
	sigset_t all;

	sigfillset(&all);
	all_blocked = pthread_sigmask(SIG_SETMASK, &all, NULL) == 0;
}

int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int rc;

	if (all_blocked && (set == NULL || how == SIG_BLOCK ||
	    (how == SIG_SETMASK && set_is_full(set)))) {
		if (old)
			sigfillset(old);
		return 0;
	}
	rc = pthread_sigmask(how, set, old);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	if (set != NULL)
		all_blocked = false;
	return 0;
}
