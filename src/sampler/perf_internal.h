/* SPDX-License-Identifier: MIT */
/* sampler, perf backend internals: the event set (perf_open.c), the
 * record decoder (perf_parse.c) and the thread body (perf_backend.c). */
#ifndef CTOP_SAMPLER_PERF_INTERNAL_H
#define CTOP_SAMPLER_PERF_INTERNAL_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctop/record.h"
#include "internal.h"

/* perf's x86-64 user register mask: AX..SS and R8..R15, without DS, ES,
 * FS, GS, which the kernel refuses on 64-bit (REG_NOSUPPORT). */
#define PERF_REGS_MASK 0xff0fffull
#define PERF_REGS_COUNT 20
#define PERF_STACK_MAX 65528u		/* round_down(USHRT_MAX, 8) */
#define PERF_MAX_CHAIN 512		/* chain entries kept per sample */

/* --stack-size auto's split (perf__attr_size): when stack.size is more
 * than a short record holds, the events (attr) copy SAMPLE_SPLIT_SHORT
 * bytes and a second event per thread and CPU (deep), one sample in
 * SAMPLE_SPLIT_EVERY, the whole; the worker joins the short walks to the
 * whole ones (src/unwind/join.c). */
struct perf_split {
	bool on;		/* the events are split */
	bool ready;		/* the walks' rehearsal of it went well
				 * (perf_backend.c's split_start) */
	bool off;		/* it failed: no more splitting */
	struct perf_event_attr deep;
	uint64_t walks, unjoined;	/* since it began */
	uint64_t trial_walks, trial_unjoined;	/* the rehearsal before */
	/* The main thread's samples in the rehearsal deeper than a short
	 * copy (perf__main_depth): the walks a split must join. */
	uint64_t trial_deep;
};

/* One mmap ring, per CPU: every event of that CPU writes into it. */
struct perf_ring {
	int fd;				/* the event the ring belongs to */
	int cpu;
	struct perf_event_mmap_page *pg;
	unsigned char *data;
	uint64_t size;			/* data bytes, a power of two */
	size_t map_len;
	uint64_t tail, head;		/* this drain round's window */
	uint64_t next_ns;		/* time of the record at tail */
};

struct perf_state {
	struct perf_event_attr attr;
	struct perf_ring *rings;	/* one per usable CPU */
	int nrings;
	int *fds;			/* every event fd, rings' included */
	size_t nfds, capfds;
	pid_t *tids;			/* threads covered: opened or born */
	size_t ntids, captids;
	unsigned char *bounce;		/* a record that wraps the ring */
	bool kernel;			/* kernel samples and frames wanted */
	bool anon_code;			/* the target runs code of no file
					 * (JIT): its samples are not left
					 * waiting (perf_backend.c) */
	bool maps_dirty;		/* a mapping change not yet told the
					 * worker (other than a REC_MMAP) */
	uint64_t throttled;
	/* --max-overhead (budget.c): the ring size, -F's period, and the
	 * kernel's work per sample from perf__calibrate (0: no budget). */
	uint32_t pages;
	uint64_t base_period, sample_cost_ns;
	/* --stack-size auto: the copy's size follows the walks. */
	bool stack_auto;
	struct stack_auto stack;
	struct perf_split split;
	/* After a size change, the samples of the old size still in the
	 * ring up to this mark: their walks say nothing of the new size. */
	bool stack_stale;
	uint64_t stack_stale_mark;
	/* The target's starting stack pointer (perf__stack_keep), read at
	 * the start and after each exec; 0: not known, or -a. */
	uint64_t frames_top;
	/* --stack-size auto: the deepest main thread's stack of the samples
	 * since the last look (perf__main_depth), told without the worker's
	 * round trip. */
	uint32_t main_depth;
};

/* What a PERF_RECORD_SAMPLE holds, pointing into the record. */
struct perf_sample {
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t nr;			/* callchain entries */
	const uint64_t *chain;
	uint64_t abi;			/* PERF_SAMPLE_REGS_ABI_*, 0 = none */
	const uint64_t *regs;		/* packed, ascending perf reg ids */
	uint64_t regs_mask;		/* which ones: the mask parsed with */
	uint64_t stack_size;		/* bytes reserved in the record */
	const unsigned char *stack;
	uint64_t dyn_size;		/* bytes of it that are valid */
	bool kernel_ip;			/* sampled in kernel mode */
};

/* What a side-band record (not a sample) tells the thread body. */
enum perf_side_kind {
	PERF_SIDE_NONE,		/* a type not used, or a record too short */
	PERF_SIDE_MAPS,		/* MMAP, MMAP2: pid */
	PERF_SIDE_COMM,		/* COMM: pid, tid, comm, exec */
	PERF_SIDE_FORK,		/* FORK: pid, tid (the new thread) */
	PERF_SIDE_EXIT,		/* EXIT: pid, tid */
	PERF_SIDE_LOST,		/* LOST: lost */
	PERF_SIDE_THROTTLE,	/* THROTTLE */
};

struct perf_side {
	enum perf_side_kind kind;
	pid_t pid, tid;
	pid_t ppid;		/* FORK: the parent process */
	bool exec;		/* COMM: the name given by an exec */
	char comm[16];		/* COMM: NUL-terminated, may be cut */
	uint64_t lost;		/* LOST: records the kernel dropped */
	/* MMAP2 of a file (file != NULL): the mapping, as in the maps;
	 * file points into the record, file_len bytes and a NUL. */
	uint64_t addr, len, pgoff, dev, ino;
	uint32_t prot;
	const char *file;
	size_t file_len;
};

/* perf_parse.c */
int perf__decode_side(const void *rec, size_t len, struct perf_side *out);
uint64_t perf__record_time(const void *rec, size_t len, uint64_t sample_type,
    bool sample_id_all);
int perf__parse_sample(const void *rec, size_t len, uint64_t sample_type,
    uint64_t regs_mask, struct perf_sample *out);
void perf__regs_to_dwarf(const uint64_t *packed, uint64_t mask,
    uint64_t *dwarf);
size_t perf__fill_sample(const struct perf_sample *ps, size_t stack_cap,
    struct rec_sample *rec);
/* Bytes kept past the main thread's starting stack pointer (argc and the
 * first argument pointers), a margin for a walk's last reads. */
#define PERF_TOP_SLACK 128u
size_t perf__stack_keep(const struct perf_sample *ps, uint64_t frames_top);
/* The bytes a main thread's walk reads, from its stack pointer to
 * frames_top and PERF_TOP_SLACK past, whatever its copy holds; 0 when
 * not known (frames_top 0, a stack pointer not below it, or more than
 * PERF_MAIN_DEPTH_MAX below: another stack). */
#define PERF_MAIN_DEPTH_MAX (64u << 20)
uint32_t perf__main_depth(const struct perf_sample *ps, uint64_t frames_top);

/* perf_calib.c: ns one sample of an event like `like` costs the thread
 * it interrupts, measured on the calling thread (about 0.1 s). */
uint64_t perf__calibrate(const struct perf_event_attr *like);

/* perf_open.c */
void perf__attr_init(struct perf_event_attr *a, const struct sampler_opts *o,
    bool kernel, uint32_t pages);
int perf__open_tid(struct perf_state *p, pid_t tid, uint32_t pages,
    char **cause);
int perf__open_cpus(struct perf_state *p, uint32_t pages);
void perf__close(struct perf_state *p);
bool perf__tid_known(const struct perf_state *p, pid_t tid);
int perf__tid_add(struct perf_state *p, pid_t tid);
void perf__tid_remove(struct perf_state *p, pid_t tid);
int perf__paranoid(void);
bool perf__privileged(void);
void perf__explain(int err, pid_t pid, char **cause);
void perf__raise_nofile(void);

/* --stack-size auto's first size; the split's sizes are record.h's
 * SAMPLE_SPLIT_SHORT and SAMPLE_SPLIT_EVERY (the joiner's too). */
#define PERF_AUTO_FIRST 32768u
void perf__attr_size(struct perf_state *p, uint64_t period, uint32_t stack);
bool perf__split_wanted(const struct perf_state *p, uint32_t stack);
uint32_t perf__stack_asked(const struct perf_state *p);

/* perf__open_tid's error when the ring could not be mapped. */
#define PERF_ERR_MMAP (-100000)

#endif
