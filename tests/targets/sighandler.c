/* SPDX-License-Identifier: MIT */
/* Test target: main -> interrupted spins until SIGALRM arrives, then the
 * handler spins for ever, so samples show handler <- __restore_rt (the
 * signal frame) <- interrupted <- main. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

volatile unsigned long sink, sink2;

NOINLINE void
handler(int sig)
{
	if (write(1, "ready\n", 6) != 6)
		_exit(1);
	for (;;)
		sink += (unsigned long)sig;
}

NOINLINE void
interrupted(void)
{
	for (;;)
		sink2++;
}

int
main(void)
{
	struct sigaction sa;
	struct itimerval it = { .it_value = { 0, 20 * 1000 } };

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	interrupted();
	return 0;
}
