/* SPDX-License-Identifier: MIT */
/* Test target whose names attack the terminal: its process name (set with
 * prctl(PR_SET_NAME)) is ESC ] 2 ; p w n e d BEL ESC [ 2 J (set the window
 * title, clear the screen), and it spins in a function whose ELF symbol
 * is "evil" followed by the same sequence (a symbol name is any bytes to
 * the assembler when quoted). Expected hot path: main -> that function.
 *   termesc        rename, print "ready", spin
 *   termesc wait   no rename; block until stdin ends (a module for the
 *                  unwind fuzz target, costing no CPU; it exits with its
 *                  parent, whose end closes the pipe) */
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The leaf: counts to rdi, with CFI (CFA = rsp + 8 throughout). C cannot
 * name it (gcc would write the bytes unquoted), so its address is taken
 * from a pointer the assembly sets. */
#define EVIL "\"evil\x1b]2;pwned\x07\x1b[2J\""
__asm__(
"	.text\n"
"	.p2align 4\n"
"	.globl " EVIL "\n"
"	.type " EVIL ", @function\n"
EVIL ":\n"
"	.cfi_startproc\n"
"	xorl %eax, %eax\n"
"1:	addq $1, %rax\n"
"	cmpq %rdi, %rax\n"
"	jb 1b\n"
"	ret\n"
"	.cfi_endproc\n"
"	.size " EVIL ", .-" EVIL "\n"
"	.section .data.rel.ro,\"aw\"\n"
"	.p2align 3\n"
"	.globl termesc_evil_ptr\n"
"termesc_evil_ptr:\n"
"	.quad " EVIL "\n"
"	.text\n");

extern unsigned long (*const termesc_evil_ptr)(unsigned long);

int
main(int argc, char **argv)
{
	char c;

	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	prctl(PR_SET_NAME, "\x1b]2;pwned\x07\x1b[2J", 0, 0, 0);
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		termesc_evil_ptr(1ul << 22);
}
