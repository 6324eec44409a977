/* SPDX-License-Identifier: MIT */
/* python: the Python frames of a CPython 3.11+ process, read from outside
 * with process_vm_readv. Its parts, each for one thread:
 *   probe   (any thread, once per process or exec): finds _PyRuntime and
 *           the interpreter's version, fills a plain-data struct
 *           python_layout (3.13+: from the interpreter's own
 *           _Py_DebugOffsets; 3.11, 3.12: from tables in probe.c);
 *   walk    (the sampler: no allocation, no stdio, bounded): one thread's
 *           chain of frames as code object addresses and instruction
 *           offsets, leaf first, entry frames flagged;
 *   namer   (the worker: allocates, caches): a code object and offset ->
 *           "qualname (file.py:firstlineno)", file and executing line;
 *   merge   (pure): native frames + Python chain -> one stack;
 *   thread name (the worker, through the namer): the name threading gave
 *           a thread, read from its Thread object.
 * Never stops or writes the target: memory is only read, and a read that
 * races the interpreter fails or gives a chain the merge rejects. */
#ifndef CTOP_PYTHON_H
#define CTOP_PYTHON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The longest chain python_walk reports; deeper ones are cut at the leaf
 * side's first PYTHON_MAX_DEPTH frames and flagged truncated. */
#define PYTHON_MAX_DEPTH 256

/* ---- probe ------------------------------------------------------------ */

enum python_status {
	PYTHON_OK = 0,		/* a supported CPython: the layout is filled */
	PYTHON_NOT_PYTHON,	/* no _PyRuntime in the executable or in a
				 * libpython */
	PYTHON_UNSUPPORTED,	/* CPython, but a version we cannot read */
	PYTHON_ERROR,		/* the process or its files could not be read */
};

/* Everything the walker and the namer need, as offsets into the target's
 * structures: plain data, copyable to any thread. Offsets of fields that a
 * version does not have are PYTHON_NO_FIELD. */
#define PYTHON_NO_FIELD 0xffffu

struct python_layout {
	uint32_t version;	/* PY_VERSION_HEX, e.g. 0x030b07f0 */
	uint64_t runtime;	/* address of _PyRuntime in the target */
	uint64_t code_type;	/* address of PyCode_Type; 0: unknown */
	/* _PyRuntimeState, PyInterpreterState, PyThreadState */
	uint16_t rt_interp_head;	/* interpreters.head */
	uint16_t is_next;		/* PyInterpreterState.next */
	uint16_t is_threads_head;	/* threads.head */
	uint16_t ts_next;
	uint16_t ts_native_tid;		/* native_thread_id */
	uint16_t ts_frame;	/* cframe (3.11, 3.12) or current_frame */
	uint16_t cf_current;	/* _PyCFrame.current_frame, or NO_FIELD
				 * when ts_frame is current_frame itself */
	/* _PyInterpreterFrame */
	uint16_t fr_previous;
	uint16_t fr_code;	/* f_code (3.11, 3.12), f_executable (3.13+) */
	uint16_t fr_instr;	/* prev_instr (3.11, 3.12), instr_ptr (3.13+) */
	uint16_t fr_owner;
	uint16_t fr_is_entry;	/* 3.11's is_entry; NO_FIELD later */
	uint8_t owner_shim_lo;	/* owners >= this are C-stack shims that */
	uint8_t owner_shim_hi;	/* mark an entry (<= hi); 0xff: none */
	uint8_t code_tag_mask;	/* low bits of f_executable to clear
				 * (3.14's _PyStackRef tags) */
	uint8_t free_threaded;
	/* PyCodeObject, PyBytesObject, PyUnicodeObject */
	uint16_t ob_type;
	uint16_t co_filename;
	uint16_t co_qualname;
	uint16_t co_linetable;
	uint16_t co_firstlineno;
	uint16_t co_code_adaptive;
	uint16_t bytes_size;	/* ob_size */
	uint16_t bytes_sval;
	uint16_t str_length;
	uint16_t str_state;
	uint16_t str_ascii_size;	/* sizeof(PyASCIIObject) */
	uint16_t str_compact_size;	/* sizeof(PyCompactUnicodeObject) */
	/* What a thread's name is read through (python_thread_name):
	 * _PyInterpreterFrame.localsplus, PyHeapTypeObject.ht_cached_keys,
	 * and how an instance keeps its attributes: 11 (values or dict
	 * pointer before the object), 12 (one tagged pointer there), 13
	 * (values inline after it); 0: not known, no thread names. */
	uint16_t fr_localsplus;
	uint16_t ht_cached_keys;
	uint8_t attr_scheme;
	char label[16];		/* "python 3.12" for the status line */
};

/* Looks for CPython in process pid: the executable or a mapped
 * libpython3.X.so* that defines _PyRuntime. A process that is not Python
 * costs one maps read and the executable's .dynsym. Returns a
 * python_status; for PYTHON_UNSUPPORTED and PYTHON_ERROR, *cause (when
 * cause is not NULL) is set to a one-line reason the caller frees, e.g.
 * "CPython 3.9 not supported". Thread: any (allocates, opens files). */
int python_probe(pid_t pid, struct python_layout *out, char **cause);

/* The layout of a 3.13+ interpreter whose _PyRuntime is at runtime in
 * process pid, from the _Py_DebugOffsets it starts with ("xdebugpy").
 * python_probe calls it; exposed so a test can hand it a synthetic image.
 * Returns a python_status, *cause as python_probe. Thread: any. */
int python_layout_from_debug_offsets(pid_t pid, uint64_t runtime,
    struct python_layout *out, char **cause);

/* ---- walk ------------------------------------------------------------- */

enum {
	PYTHON_FRAME_ENTRY = 1u << 0,	/* the first frame its
					 * _PyEval_EvalFrameDefault ran */
};

struct python_frame {
	uint64_t code;		/* PyCodeObject address in the target */
	int32_t lasti;		/* index (code units) in co_code_adaptive
				 * of the instruction executing (3.13+:
				 * instr_ptr) or last begun (prev_instr);
				 * -1: not started or unknown */
	uint32_t flags;		/* PYTHON_FRAME_* */
};

enum {
	PYTHON_CHAIN_TRUNCATED = 1u << 0,	/* deeper than MAX_DEPTH */
};

/* One thread's chain, leaf first. Plain data: copy the header and the
 * first n frames (python_chain_size) into a record. */
struct python_chain {
	uint16_t n;		/* frames used */
	uint16_t nentry;	/* frames flagged PYTHON_FRAME_ENTRY */
	uint32_t flags;		/* PYTHON_CHAIN_* */
	uint64_t root;		/* address of frames[n - 1]'s frame: the
				 * thread's outermost (python_thread_name) */
	struct python_frame frames[PYTHON_MAX_DEPTH];
};

static inline size_t
python_chain_size(uint16_t n)
{
	return offsetof(struct python_chain, frames) +
	    (size_t)n * sizeof(struct python_frame);
}

/* The walker's state, owned by the caller (the sampler embeds it, about
 * 9 KiB; the walker allocates nothing): a small tid -> thread state cache,
 * revalidated on every use, and a window of the target's frame memory.
 * Call python_walker_init (or zero it) before the first walk and after an
 * exec. */
#define PYTHON_TID_SLOTS 64
#define PYTHON_WINDOW 8192

struct python_walker {
	struct {
		int32_t tid;
		uint64_t tstate;
	} slot[PYTHON_TID_SLOTS];
	/* Frames of one thread sit together on its data stack, callers
	 * below callees: one read of the pages below a frame usually holds
	 * the next ones too. window[] ends at target address win_hi;
	 * [win_lo, win_hi) is valid (empty when equal). */
	uint64_t win_lo, win_hi;
	uint32_t strays;	/* frames in a row read outside it */
	uint64_t reads;		/* process_vm_readv calls, for figures */
	uint64_t scans;		/* full thread-state scans (cache misses) */
	unsigned char window[PYTHON_WINDOW];
};

void python_walker_init(struct python_walker *w);

/* Reads the Python frames of thread tid of process pid into *out, leaf
 * first: the thread state whose native_thread_id is tid, then its frame
 * chain through previous. Entry frames: 3.11 marks them (is_entry);
 * 3.12+ put a shim frame owned by the C stack below each, which is
 * skipped after flagging the frame read just before it. Bounded: at most
 * PYTHON_MAX_DEPTH frames, at most a fixed number of thread states
 * scanned. Returns 0 (out->n may be 0: no Python code running), -ENOENT
 * (no thread state has that tid: a thread that never ran Python), -EFAULT
 * (a read failed or a pointer led nowhere: the target changed under us;
 * out->n frames were read), -ESRCH (the process is gone).
 * Thread: the sampler (no allocation, no stdio). */
int python_walk(const struct python_layout *l, struct python_walker *w,
    pid_t pid, pid_t tid, struct python_chain *out);

/* ---- namer ------------------------------------------------------------ */

struct python_namer;

/* A namer for process pid with layout l (copied). NULL on ENOMEM.
 * Thread: the worker. */
struct python_namer *python_namer_new(pid_t pid,
    const struct python_layout *l);
void python_namer_free(struct python_namer *n);

struct python_name {
	const char *name;	/* "qualname (path/file.py:firstlineno)" */
	const char *qualname;
	const char *file;	/* co_filename as the interpreter has it */
	int firstlineno;
	int line;		/* the line executing at lasti; 0: unknown */
};

struct python_namer_stats {
	uint64_t lookups, hits, misses, stale;	/* stale: address reused */
	uint64_t read_fail;
};

/* The epoch of a sample taken at time_ns, for the namer: 2^27 ns of
 * sample time (134 ms), so a freed and reused code address is noticed
 * within that of the samples that see it. */
static inline uint64_t
python_epoch(uint64_t time_ns)
{
	return time_ns >> 27;
}

/* Names code object code executing at instruction lasti. Entries are
 * cached by address and re-validated (one read of the code object's
 * header fields) once per epoch (python_epoch of the sample's time); a
 * learnt entry is not re-read. The strings stay valid until the next
 * lookup of the same code address or python_namer_free. Returns 0,
 * -EFAULT (the object could not be read or is not a code object) or
 * -ENOMEM. Thread: the worker. */
int python_namer_lookup(struct python_namer *n, uint64_t code,
    int32_t lasti, uint64_t epoch, struct python_name *out);

void python_namer_stats(const struct python_namer *n,
    struct python_namer_stats *out);

/* A code object's bytes as the sampler saw them, soon after a sample: its
 * header (the fields an entry is checked by) and the first bytes of its
 * qualname, filename and line table objects. A namer that learns it can
 * name the code after the process is gone (a short-lived child, or the
 * samples the worker names after the end). */
#define PYTHON_CAPTURE_HEAD 256
#define PYTHON_CAPTURE_OBJ 512

struct python_code_capture {
	uint64_t code;
	uint64_t addr[3];	/* co_qualname, co_filename, co_linetable */
	uint32_t have[3];	/* bytes of obj[i] read */
	uint32_t head_len;
	unsigned char head[PYTHON_CAPTURE_HEAD];
	unsigned char obj[3][PYTHON_CAPTURE_OBJ];
};

/* Reads code object code of process pid into *out: two reads, no
 * allocation. Returns 0, -EFAULT (not readable, or not a code object
 * where the probe found PyCode_Type), -EINVAL (a layout whose header does
 * not fit) or -ESRCH. Thread: the sampler. */
int python_code_capture(const struct python_layout *l, pid_t pid,
    uint64_t code, struct python_code_capture *out);

/* The fingerprints of chain c's code objects as they are now in process
 * pid, out[i] for c->frames[i]: a hash of the fields a namer entry is
 * checked by, never 0; 0 where the object cannot be read or is not a
 * code object. A capture sent earlier for an address whose fingerprint
 * changed is out of date: the address holds other code now. One
 * process_vm_readv per 32 frames, no allocation. Thread: the sampler. */
void python_chain_fingerprints(const struct python_layout *l, pid_t pid,
    const struct python_chain *c, uint64_t *out);

/* Makes a captured code object the namer's entry for its address (a
 * capture of other code at that address replaces it), trusted for every
 * lookup after it without reading the process again: the sampler sends a
 * capture ahead of the first sample that has the code, and again when the
 * address holds other code. A capture with head_len 0 is a forget: the
 * entry is read from the process at its next lookup. Strings and line
 * tables longer than the capture are read from the process. Returns 0,
 * -EFAULT or -ENOMEM. Thread: the worker. */
int python_namer_learn(struct python_namer *n,
    const struct python_code_capture *c, uint64_t epoch);

/* The name the threading module gave the thread whose chain c is: its
 * outermost frame runs Thread._bootstrap, whose first local is the
 * Thread; its _name attribute, as UTF-8 into buf. Returns 0, -ENOENT (not
 * a thread started by threading, or the layout has no attr_scheme),
 * -EFAULT (a read failed) or -ENOMEM. Read once per thread: a few reads of
 * the target. Thread: the worker. */
int python_thread_name(struct python_namer *n, const struct python_chain *c,
    uint64_t epoch, char *buf, size_t size);

/* The line of byte offset addr (lasti * 2) in a 3.11+ location table
 * (co_linetable) of a code object starting at firstlineno; -1: no line,
 * 0: addr past the table. Pure; exposed for tests. */
int python_linetable_line(const unsigned char *table, size_t len,
    int firstlineno, int addr);

/* ---- merge ------------------------------------------------------------ */

/* One frame of a merged stack: the index of a native frame (as the caller
 * numbered them) or of a frame of the Python chain. */
struct python_merged {
	uint16_t index;
	uint8_t python;		/* 1: chain->frames[index]; 0: native */
};

enum {
	PYTHON_MERGE_MISMATCH = -1,	/* eval activations != entry frames */
	PYTHON_MERGE_TRUNCATED = -2,	/* the chain was cut: cannot pair */
	PYTHON_MERGE_NOSPACE = -3,	/* out too small */
};

/* Merges native frames (root first; is_eval[i] != 0 where frame i is a
 * _PyEval_EvalFrameDefault activation) with a Python chain (leaf first):
 * each eval activation is replaced by the run of Python frames it ran
 * (root first: its entry frame, then the frames it called). Returns the
 * number of frames written to out (root first), or a PYTHON_MERGE_* code,
 * on which the caller keeps the native stack and counts it.
 * Thread: any (pure). */
int python_merge(const uint8_t *is_eval, size_t nnative,
    const struct python_chain *chain, struct python_merged *out,
    size_t cap);

#endif
