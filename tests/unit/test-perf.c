/* SPDX-License-Identifier: MIT */
/* Unit tests of the perf_event backend: the sample decoder and register
 * mapping on synthetic records, then the live backend on real targets
 * (records valid, threads born later, exec, lost-sample accounting with
 * tiny rings, auto's choice and reason). The live part is skipped with
 * the reason when perf_event_open is not permitted here. */
#include "config.h"

#include "ctop/sampler.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/sampler/perf_internal.h"
#include "sampler-util.h"
#include "tap.h"

#define RING_BYTES (32u << 20)
#define STACK_SIZE 16384

static struct ring ring;

/* ------------------------------------------------------------------------
 * Decoder
 * ------------------------------------------------------------------------ */

static void
test_regs(void)
{
	uint64_t packed[PERF_REGS_COUNT], dw[CTOP_NREGS];
	/* perf ids in mask order: AX BX CX DX SI DI BP SP IP FLAGS CS SS
	 * R8..R15; value = 100 + perf id. */
	static const int ids[PERF_REGS_COUNT] = { 0, 1, 2, 3, 4, 5, 6, 7, 8,
	    9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23 };
	static const struct { int dwarf, perf; } want[] = {
		{ CTOP_REG_RAX, 0 }, { CTOP_REG_RDX, 3 }, { CTOP_REG_RCX, 2 },
		{ CTOP_REG_RBX, 1 }, { CTOP_REG_RSI, 4 }, { CTOP_REG_RDI, 5 },
		{ CTOP_REG_RBP, 6 }, { CTOP_REG_RSP, 7 }, { CTOP_REG_R8, 16 },
		{ CTOP_REG_R9, 17 }, { CTOP_REG_R10, 18 },
		{ CTOP_REG_R11, 19 }, { CTOP_REG_R12, 20 },
		{ CTOP_REG_R13, 21 }, { CTOP_REG_R14, 22 },
		{ CTOP_REG_R15, 23 }, { CTOP_REG_RIP, 8 },
	};
	unsigned bad = 0;

	is_int(__builtin_popcountll(PERF_REGS_MASK), PERF_REGS_COUNT,
	    "mask 0xff0fff has 20 registers");
	for (int i = 0; i < PERF_REGS_COUNT; i++)
		packed[i] = 100 + (uint64_t)ids[i];
	perf__regs_to_dwarf(packed, PERF_REGS_MASK, dw);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (dw[want[i].dwarf] != 100 + (uint64_t)want[i].perf) {
			diag("DWARF reg %d = %llu, want %d", want[i].dwarf,
			    (unsigned long long)dw[want[i].dwarf],
			    100 + want[i].perf);
			bad++;
		}
	is_int(bad, 0, "perf register ids land in DWARF order");
}

/* Builds a sample record: ip, pid/tid, time, chain, regs, stack. */
static size_t
build_sample(uint64_t *b, uint64_t stack_size, uint64_t dyn)
{
	struct perf_event_header *h = (void *)b;
	size_t n = 1;

	b[n++] = 0x401000;			/* ip */
	b[n++] = (uint64_t)77 << 32 | 42;	/* pid 42, tid 77 */
	b[n++] = 123456789;			/* time */
	b[n++] = 3;				/* chain nr */
	b[n++] = (uint64_t)PERF_CONTEXT_KERNEL;
	b[n++] = 0xffffffff81000010ull;
	b[n++] = 0xffffffff81000020ull;
	b[n++] = PERF_SAMPLE_REGS_ABI_64;
	for (int i = 0; i < PERF_REGS_COUNT; i++)
		b[n++] = 1000 + (uint64_t)i;	/* SP (index 7) = 1007 */
	b[n++] = stack_size;
	for (uint64_t i = 0; i < stack_size / 8; i++)
		b[n++] = 0xabcd0000 + i;
	if (stack_size)
		b[n++] = dyn;
	h->type = PERF_RECORD_SAMPLE;
	h->misc = PERF_RECORD_MISC_KERNEL;
	h->size = (uint16_t)(n * 8);
	return n * 8;
}

static void
test_parse(void)
{
	const uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID |
	    PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
	    PERF_SAMPLE_STACK_USER;
	static uint64_t b[512], out[1024];
	struct rec_sample *r = (void *)out;
	struct perf_event_header *hdr;
	struct perf_sample ps;
	size_t len, got;
	int err;

	len = build_sample(b, 256, 64);
	err = perf__parse_sample(b, len, st, PERF_REGS_MASK, &ps);
	ok(err == 0 && ps.pid == 42 && ps.tid == 77 && ps.time == 123456789 &&
	    ps.nr == 3 && ps.stack_size == 256 && ps.dyn_size == 64 &&
	    ps.kernel_ip, "sample fields decoded (err %d)", err);
	got = perf__fill_sample(&ps, ps.dyn_size, r);
	ok(got == sizeof *r + 2 * 8 + 64 && r->kernel_len == 2 &&
	    r->user_len == 0 &&
	    r->stack_len == 64 && r->regs[CTOP_REG_RSP] == 1007 &&
	    r->stack_addr == 1007 && r->regs[CTOP_REG_RIP] == 1008 &&
	    (r->flags & SAMPLE_STACK_SHORT) && (r->flags & SAMPLE_IN_KERNEL),
	    "rec_sample: kernel chain without its marker, dyn_size bytes, "
	    "SP/IP from user regs, flags");
	ok(rec_sample_kernel(r)[0] == 0xffffffff81000010ull &&
	    rec_sample_kernel(r)[1] == 0xffffffff81000020ull &&
	    *(const uint64_t *)rec_sample_stack(r) == 0xabcd0000,
	    "chain and stack bytes copied in place");
	err = perf__parse_sample(b, len - 16, st, PERF_REGS_MASK, &ps);
	ok(err == -EINVAL, "a record shorter than its header says: refused");
	hdr = (struct perf_event_header *)(void *)b;
	hdr->size = (uint16_t)(len - 24);
	err = perf__parse_sample(b, len, st, PERF_REGS_MASK, &ps);
	ok(err == -EINVAL, "fields running past header.size: refused");
	len = build_sample(b, 0, 0);
	err = perf__parse_sample(b, len, st, PERF_REGS_MASK, &ps);
	ok(err == 0 && ps.stack_size == 0 && ps.dyn_size == 0,
	    "stack size 0: no data and no dyn_size field");
}

/* The main thread's copy is cut where its frames end (its starting stack
 * pointer) and a margin past; a pointer below another stack, or none,
 * keeps every valid byte. build_sample's SP is 1007. */
static void
test_stack_keep(void)
{
	const uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID |
	    PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
	    PERF_SAMPLE_STACK_USER;
	static uint64_t b[512];
	struct perf_sample ps;
	size_t len = build_sample(b, 2048, 2048);

	if (perf__parse_sample(b, len, st, PERF_REGS_MASK, &ps) != 0) {
		ok(0, "stack keep: sample parsed");
		return;
	}
	is_int((int)perf__stack_keep(&ps, 0), 2048, "stack keep: no top known: "
	    "every valid byte");
	is_int((int)perf__stack_keep(&ps, 1007 + 512), 512 + PERF_TOP_SLACK,
	    "stack keep: the top 512 bytes above sp: 512 and the margin");
	is_int((int)perf__stack_keep(&ps, 1007 + 2000), 2048, "stack keep: a "
	    "top past the copy: the copy");
	is_int((int)perf__stack_keep(&ps, 1007), 2048, "stack keep: sp at the "
	    "top (another stack): the copy");
	is_int((int)perf__stack_keep(&ps, 1000), 2048, "stack keep: sp above "
	    "the top (another stack): the copy");
	/* The main thread's depth, for --stack-size auto: whatever the
	 * copy holds. */
	is_int((int)perf__main_depth(&ps, 1007 + 512), 512 + PERF_TOP_SLACK,
	    "main depth: 512 bytes to the top and the margin");
	is_int((int)perf__main_depth(&ps, 1007 + 40000), 40000 +
	    PERF_TOP_SLACK, "main depth: a top past the copy: its distance");
	is_int((int)perf__main_depth(&ps, 0), 0, "main depth: no top known");
	is_int((int)perf__main_depth(&ps, 1007), 0, "main depth: sp at the "
	    "top (another stack): not known");
	is_int((int)perf__main_depth(&ps, 1007 + PERF_MAIN_DEPTH_MAX + 1), 0,
	    "main depth: sp more than 64 MiB below the top (another stack): "
	    "not known");
	ps.regs_mask &= ~(1ull << 7);
	is_int((int)perf__stack_keep(&ps, 1007 + 512), 2048, "stack keep: "
	    "no sp in the sample: the copy");
	is_int((int)perf__main_depth(&ps, 1007 + 512), 0, "main depth: no sp "
	    "in the sample: not known");
}

/* The sampler splits the kernel's chain: markers dropped, kernel pcs first,
 * user pcs kept only when there is no stack copy to unwind instead. */
static void
test_chain_split(void)
{
	static const uint64_t chain[] = { (uint64_t)PERF_CONTEXT_KERNEL,
	    0xffffffff81000010ull, (uint64_t)PERF_CONTEXT_USER, 0x401000,
	    0x402000, 0x403000 };
	static uint64_t out[256], stack[4] = { 0xabcd };
	struct rec_sample *r = (void *)out;
	struct perf_sample ps = { .chain = chain, .nr = 6 };
	size_t got;

	got = perf__fill_sample(&ps, 0, r);
	ok(got == sizeof *r + 4 * 8 && r->kernel_len == 1 && r->user_len == 3 &&
	    rec_sample_kernel(r)[0] == 0xffffffff81000010ull &&
	    rec_sample_user(r)[0] == 0x401000 &&
	    rec_sample_user(r)[2] == 0x403000 && r->stack_len == 0,
	    "no stack copy: 1 kernel pc, then the 3 user pcs (%u+%u)",
	    r->kernel_len, r->user_len);
	ps.stack = (const unsigned char *)stack;
	ps.stack_size = ps.dyn_size = sizeof stack;
	got = perf__fill_sample(&ps, sizeof stack, r);
	ok(got == sizeof *r + 8 + sizeof stack && r->kernel_len == 1 &&
	    r->user_len == 0 && *(const uint64_t *)rec_sample_stack(r) ==
	    0xabcd, "with a stack copy: the user pcs are left to the unwinder "
	    "(%u+%u)", r->kernel_len, r->user_len);
}

/* ------------------------------------------------------------------------
 * Live backend
 * ------------------------------------------------------------------------ */

static bool
perf_permitted(char *why, size_t size)
{
	struct perf_event_attr a = { .size = sizeof a,
	    .type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK,
	    .exclude_kernel = 1, .exclude_hv = 1, .disabled = 1 };
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0) {
		snprintf(why, size, "perf_event_open not permitted here: %s",
		    strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

struct run {
	struct sampler *s;
	struct collect c;
	struct sampler_stats st;
	char note[400];		/* st.backend_note, kept past sampler_free */
};

static int
run_start(struct run *r, struct sampler_opts *o, struct ring *rg)
{
	char *cause = NULL;
	int err;

	memset(r, 0, sizeof *r);
	collect_init(&r->c, o->pid, o->stack_size, false);
	r->s = sampler_new(o, rg, &cause);
	err = r->s ? sampler_start(r->s, &cause) : -EINVAL;
	if (err) {
		diag("sampler: %s", cause ? cause : "?");
		sampler_free(r->s);
		r->s = NULL;
	}
	free(cause);
	return err;
}

static void
run_stop(struct run *r, struct ring *rg)
{
	sampler_stop(r->s);
	sampler_get_stats(r->s, &r->st);
	snprintf(r->note, sizeof r->note, "%s", r->st.backend_note ?
	    r->st.backend_note : "");
	r->st.backend_note = r->note;
	collect_drain(&r->c, rg);
	sampler_free(r->s);
}

static struct sampler_opts
opts_for(pid_t pid, unsigned hz)
{
	struct sampler_opts o = { .pid = pid, .launched = true, .hz = hz,
	    .mode = SAMPLER_MODE_CPU, .backend = SAMPLER_BACKEND_PERF,
	    .stack_size = STACK_SIZE };

	return o;
}

static void
test_basic(void)
{
	const char *args[] = { "-b", "2", "-i", "1", NULL };
	struct sampler_opts o;
	struct target t;
	struct run r;
	char why[128];
	uint64_t c0, waited;
	double want;

	if (target_start(&t, "spin", args) < 0) {
		ok(0, "basic: start target");
		return;
	}
	o = opts_for(t.pid, 499);
	if (run_start(&r, &o, &ring) < 0) {
		ok(0, "basic: perf backend attaches");
		target_kill(&t);
		return;
	}
	/* 1 s, or longer until the target had 0.2 s of CPU (a loaded
	 * machine gives it less). */
	c0 = proc_cpu_ns(t.pid);
	collect_for(&r.c, &ring, 1000);
	for (waited = 0; waited < 10000 &&
	    proc_cpu_ns(t.pid) - c0 < 200000000ull; waited += 100)
		collect_for(&r.c, &ring, 100);
	want = (double)(proc_cpu_ns(t.pid) - c0) / 1e9 * 499 * 0.8;
	ok(target_healthy(t.pid, false, why, sizeof why),
	    "basic: target never stopped or traced while sampled %s", why);
	run_stop(&r, &ring);
	is_str(r.st.backend, "perf", "basic: stats name the perf backend");
	diag("basic: %u samples, %u threads seen, dropped %llu lost %llu",
	    r.c.samples, r.st.threads_seen, (unsigned long long)r.st.dropped,
	    (unsigned long long)r.st.lost);
	/* perf samples CPU time: the bar is the CPU the target had. */
	ok(r.c.samples > 50 && r.c.samples >= want,
	    "basic: %u samples (want >= %.0f: 80%% of its CPU time at 499 Hz)",
	    r.c.samples, want);
	ok(r.c.bad_rip == 0 && r.c.bad_sp == 0 && r.c.bad_len == 0 &&
	    r.c.empty == 0 && r.c.bad_records == 0,
	    "basic: every record valid (rip %u sp %u len %u empty %u rec %u)",
	    r.c.bad_rip, r.c.bad_sp, r.c.bad_len, r.c.empty,
	    r.c.bad_records);
	is_int(r.c.thread_new, 4, "basic: REC_THREAD_NEW for main, 2 busy, "
	    "1 idle");
	is_int(r.st.threads, 0, "basic: no thread watched after stop");
	collect_fini(&r.c);
	target_kill(&t);
}

/* Threads other than main, announced, with more than min samples. */
static unsigned
sampled_besides(const struct collect *c, pid_t main_tid, unsigned min)
{
	unsigned i, n = 0;

	for (i = 0; i < c->ntids; i++)
		if (c->tids[i].announced && c->tids[i].samples > min &&
		    c->tids[i].tid != main_tid)
			n++;
	return n;
}

/* Threads born after attach are inherited: announced and sampled. */
static void
test_late(void)
{
	const char *args[] = { "-b", "1", "-l", "2", "-L", "300", NULL };
	struct sampler_opts o;
	struct target t;
	struct run r;
	unsigned late = 0;

	if (target_start(&t, "spin", args) < 0) {
		ok(0, "late: start target");
		return;
	}
	o = opts_for(t.pid, 499);
	if (run_start(&r, &o, &ring) < 0) {
		ok(0, "late: attach");
		target_kill(&t);
		return;
	}
	/* 1 s, or as long as a loaded machine needs to give each busy
	 * thread the CPU for 20 samples (at most 10 s). */
	collect_for(&r.c, &ring, 1000);
	for (unsigned waited = 0; waited < 10000 &&
	    sampled_besides(&r.c, t.pid, 20) < 3; waited += 100)
		collect_for(&r.c, &ring, 100);
	run_stop(&r, &ring);
	late = sampled_besides(&r.c, t.pid, 20);
	ok(r.c.thread_new >= 4 && late >= 3,
	    "late: %u threads announced, %u sampled threads besides main "
	    "(want 1 busy + 2 late)", r.c.thread_new, late);
	collect_fini(&r.c);
	target_kill(&t);
}

/* A non-main thread execs: one REC_EXEC, sampling goes on after it. */
static void
test_exec(void)
{
	/* The exec comes 300 ms after SIGUSR1, sent once attached: a loaded
	 * machine may take longer than that to attach. */
	const char *args[] = { "-b", "2", "-E", "300", "-G", NULL };
	struct sampler_opts o;
	struct target t;
	struct run r;
	char line[64] = "";
	unsigned waited;

	if (target_start(&t, "spin", args) < 0) {
		ok(0, "exec: start target");
		return;
	}
	o = opts_for(t.pid, 200);
	if (run_start(&r, &o, &ring) < 0) {
		ok(0, "exec: attach");
		target_kill(&t);
		return;
	}
	kill(t.pid, SIGUSR1);
	collect_for(&r.c, &ring, 900);
	/* exec_cpu_ms N, then the new image's ready */
	target_line(&t, line, sizeof line, 100);
	target_line(&t, line, sizeof line, 100);
	/* The new image spins until killed: wait for its samples as long as
	 * a loaded machine needs to give it some CPU (at most 10 s). */
	for (waited = 0; waited < 10000 && r.c.after_exec <= 20; waited += 100)
		collect_for(&r.c, &ring, 100);
	run_stop(&r, &ring);
	is_str(line, "ready", "exec: the new image runs");
	is_int(r.c.execs, 1, "exec: one REC_EXEC");
	ok(r.c.after_exec > 20, "exec: sampled after the exec (%u of %u)",
	    r.c.after_exec, r.c.samples);
	collect_fini(&r.c);
	target_kill(&t);
}

/* Tiny rings that nobody drains: every sample the kernel took is either
 * in our ring, dropped there, or lost in the kernel's ring; the sum must
 * match the target's CPU time at the fixed period. */
static void
test_lost(void)
{
	const char *args[] = { "-b", "1", NULL };
	struct sampler_opts o;
	struct ring tiny;
	struct target t;
	struct run r;
	uint64_t c0, c1, waited;
	double want, got;

	if (ring_init(&tiny, 64 * 1024) < 0 ||
	    target_start(&t, "spin", args) < 0) {
		ok(0, "lost: setup");
		return;
	}
	o = opts_for(t.pid, 999);
	o.stack_size = 4096;
	o.perf_ring_pages = 2;
	if (run_start(&r, &o, &tiny) < 0) {
		ok(0, "lost: attach");
		target_kill(&t);
		ring_fini(&tiny);
		return;
	}
	/* Until the target had 0.5 s of CPU (a loaded machine gives it
	 * less in a fixed time), measured exactly (schedstat, ns). */
	c0 = proc_cpu_ns(t.pid);
	for (waited = 0; waited < 20000 &&
	    proc_cpu_ns(t.pid) - c0 < 500000000ull; waited += 100)
		sleep_ms(100);
	sampler_stop(r.s);
	c1 = proc_cpu_ns(t.pid);
	sampler_get_stats(r.s, &r.st);
	sampler_free(r.s);
	collect_fini(&r.c);
	want = (double)(c1 - c0) / 1e9 * 999;
	got = (double)(r.st.samples + r.st.dropped + r.st.lost);
	diag("lost: %llu in our ring, %llu dropped there, %llu lost in the "
	    "kernel; %.0f expected from CPU time",
	    (unsigned long long)r.st.samples, (unsigned long long)r.st.dropped,
	    (unsigned long long)r.st.lost, want);
	ok(r.st.dropped > 0, "lost: a full ring is counted as dropped");
	ok(want > 200 && got > want * 0.85 && got < want * 1.1,
	    "lost: samples + dropped + lost = %.0f, CPU time says %.0f "
	    "(within -15%%/+10%%)", got, want);
	target_kill(&t);
	ring_fini(&tiny);
}

/* auto: perf for cpu mode; ptrace for wall mode, saying why. */
static void
test_auto(void)
{
	const char *args[] = { "-b", "1", NULL };
	struct sampler_opts o;
	struct target t;
	struct run r;

	if (target_start(&t, "spin", args) < 0) {
		ok(0, "auto: start target");
		return;
	}
	o = opts_for(t.pid, 99);
	o.backend = SAMPLER_BACKEND_AUTO;
	if (run_start(&r, &o, &ring) == 0) {
		run_stop(&r, &ring);
		collect_fini(&r.c);
		is_str(r.st.backend, "perf", "auto, cpu mode: perf");
	} else {
		ok(0, "auto, cpu mode: attach");
	}
	o.mode = SAMPLER_MODE_WALL;
	if (run_start(&r, &o, &ring) == 0) {
		collect_for(&r.c, &ring, 100);
		run_stop(&r, &ring);
		collect_fini(&r.c);
		ok(strcmp(r.st.backend, "ptrace") == 0 && r.st.backend_note &&
		    strstr(r.st.backend_note, "wall"),
		    "auto, wall mode: ptrace, because: %s",
		    r.st.backend_note ? r.st.backend_note : "(none)");
	} else {
		ok(0, "auto, wall mode: attach");
	}
	target_kill(&t);
}

int
main(void)
{
	char why[160];

	test_regs();
	test_parse();
	test_stack_keep();
	test_chain_split();
	if (!perf_permitted(why, sizeof why)) {
		skip(why, "live perf tests");
		return done_testing();
	}
	if (ring_init(&ring, RING_BYTES) < 0)
		return 1;
	test_basic();
	test_late();
	test_exec();
	test_lost();
	test_auto();
	ring_fini(&ring);
	return done_testing();
}
