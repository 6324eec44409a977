/* SPDX-License-Identifier: MIT */
/* unwind: DWARF CFI unwinding of copied stacks with libunwind's remote
 * interface, the way perf does it: registers from the sample, stack bytes
 * from the copy, and everything else (the .eh_frame_hdr search table, FDEs,
 * CIEs, code bytes) from the module's ELF file, never from the live target. */
#include "config.h"

#include "ctop/unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/util.h"
#include "internal.h"

/* Exported by libunwind-x86_64 but not declared: the public wrapper
 * (unw_get_proc_info_in_range) only arrived in libunwind 1.7. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as,
    unw_word_t ip, unw_dyn_info_t *di, unw_proc_info_t *pi,
    int need_unwind_info, void *arg);

/* libunwind's register-state cache: one entry per distinct pc seen. */
#define RS_CACHE_SIZE 4096

/* DWARF .eh_frame pointer encodings used by .eh_frame_hdr. */
#define PE_OMIT 0xff
#define PE_DATAREL_SDATA4 0x3b

/* In --unwind auto, one walk in this many is done by DWARF alone, so that
 * modules trusted for their frame pointers keep being checked. */
#define FP_VERIFY_EVERY 16

static const char *const end_names[UNWIND_END_COUNT] = {
	[UNWIND_COMPLETE] = "complete",
	[UNWIND_TRUNCATED] = "truncated",
	[UNWIND_NO_INFO] = "no unwind info",
	[UNWIND_BAD_FRAME] = "bad frame",
	[UNWIND_MAX_DEPTH] = "max depth",
	[UNWIND_JOINED] = "joined",
};

const char *
unwind_end_name(enum unwind_end end)
{
	return (unsigned)end < UNWIND_END_COUNT ? end_names[end] : "?";
}

void
unwind_flush(struct unwinder *u)
{
	u->n_mods = 0;
	u->last = 0;
	unw_flush_cache(u->as, 0, 0);
	unwind__memo_clear(u);
	unwind__join_clear(u);
	u->generation = symbols_generation(u->sym);
}

/* Modules were dropped or replaced since we cached them: a Dwfl_Module
 * pointer may now name another file. */
static void
unwind_sync(struct unwinder *u)
{
	if (symbols_generation(u->sym) != u->generation)
		unwind_flush(u);
}

/* ------------------------------------------------------------------------
 * Per-module file images and unwind tables
 * ------------------------------------------------------------------------ */

/* Copies len bytes at runtime address addr out of the module's file. */
static bool
umod_read(const struct umod *um, uint64_t addr, void *dst, size_t len)
{
	uint64_t fv = addr - um->bias;

	/* Differences only, never an end address: addr comes from the
	 * sample (any value) and the segments from the file. */
	for (int i = 0; i < um->nsegs; i++) {
		uint64_t in, off;

		if (fv < um->segs[i].vaddr)
			continue;
		in = fv - um->segs[i].vaddr;
		if (len > um->segs[i].filesz || in > um->segs[i].filesz - len)
			continue;
		off = um->segs[i].offset + in;
		if (off < in || len > um->rawsize || off > um->rawsize - len)
			return false;
		memcpy(dst, um->raw + off, len);
		return true;
	}
	return false;
}

static size_t
encoded_size(unsigned char enc)
{
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c:
		return 8;
	case 0x02: case 0x0a:
		return 2;
	case 0x03: case 0x0b:
		return 4;
	default:
		return 0;
	}
}

/* Finds .eh_frame_hdr (through PT_GNU_EH_FRAME, so stripped files work)
 * and describes its binary-search table for dwarf_search_unwind_table. */
static void
umod_table(struct umod *um, uint64_t eh_vaddr)
{
	unsigned char h[4];
	uint64_t hdr = eh_vaddr + um->bias, count = 0;
	size_t ptr_size, count_size;

	if (!umod_read(um, hdr, h, sizeof h) || h[0] != 1 ||
	    h[3] != PE_DATAREL_SDATA4 || h[2] == PE_OMIT)
		return;
	ptr_size = h[1] == PE_OMIT ? 0 : encoded_size(h[1]);
	count_size = encoded_size(h[2]);
	if ((h[1] != PE_OMIT && !ptr_size) || !count_size || count_size > 8)
		return;
	if (!umod_read(um, hdr + 4 + ptr_size, &count, count_size))
		return;
	um->di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	um->di.start_ip = um->lo;
	um->di.end_ip = um->hi;
	um->di.gp = 0;
	um->di.u.rti.name_ptr = 0;
	um->di.u.rti.segbase = hdr;
	um->di.u.rti.table_data = hdr + 4 + ptr_size + count_size;
	um->di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	um->have_table = count > 0;
}

static void
umod_load(struct umod *um)
{
	Elf *elf = dwfl_module_getelf(um->mod, &um->bias);
	uint64_t eh_vaddr = 0;
	size_t phnum;
	bool eh = false;

	dwfl_module_info(um->mod, NULL, &um->lo, &um->hi, NULL, NULL, NULL,
	    NULL);
	if (!elf || elf_getphdrnum(elf, &phnum) != 0)
		return;
	um->raw = (const unsigned char *)elf_rawfile(elf, &um->rawsize);
	if (!um->raw)
		return;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD && ph.p_filesz &&
		    um->nsegs < MAX_SEGS) {
			um->segs[um->nsegs].vaddr = ph.p_vaddr;
			um->segs[um->nsegs].filesz = ph.p_filesz;
			um->segs[um->nsegs].offset = ph.p_offset;
			um->nsegs++;
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			eh_vaddr = ph.p_vaddr;
			eh = true;
		}
	}
	if (eh)
		umod_table(um, eh_vaddr);
}

/* A module whose first mapping is a copy of its file's text from an
 * offset (V8's builtins) is reported from where offset 0 would be: the
 * memory below its first mapping is not its own (JIT code lies there),
 * and must not be found in it. */
static void
umod_clamp(struct umod *um, uint64_t first)
{
	if (first <= um->lo)
		return;
	um->lo = first;
	if (um->have_table && um->di.start_ip < first)
		um->di.start_ip = first;
}

/* The cached module of addr, loading it on first use; NULL outside every
 * module. */
struct umod *
unwind__umod_get(struct walk *w, uint64_t addr)
{
	struct unwinder *u = w->u;
	struct umod *um;
	Dwfl_Module *mod;

	if (u->last < u->n_mods && addr >= u->mods[u->last].lo &&
	    addr < u->mods[u->last].hi)
		return &u->mods[u->last];
	mod = symbols_module(u->sym, addr);
	/* The lookup may have re-read the maps and dropped modules. */
	unwind_sync(u);
	if (!mod)
		return NULL;
	for (size_t i = 0; i < u->n_mods; i++) {
		if (u->mods[i].mod == mod) {
			u->last = i;
			return &u->mods[i];
		}
	}
	if (util_grow(&u->mods, &u->cap_mods, u->n_mods + 1, sizeof *u->mods,
	    32))
		return NULL;
	um = &u->mods[u->n_mods];
	memset(um, 0, sizeof *um);
	um->mod = mod;
	umod_load(um);
	umod_clamp(um, symbols_module_first(u->sym, addr));
	u->last = u->n_mods++;
	return um;
}

/* ------------------------------------------------------------------------
 * libunwind accessors
 * ------------------------------------------------------------------------ */

static int
acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
    int need_unwind_info, void *arg)
{
	struct walk *w = arg;
	struct umod *um = unwind__umod_get(w, ip);
	uint64_t tip = ip;
	int rc;

	/* A copy of a module's text in anonymous memory: its twin's CFI,
	 * moved to the copy (the FDE's code positions are relative to its
	 * start_ip; the CIE and FDE are read in the module). */
	if (!um)
		unwind__spoil(w);	/* the symbols' JIT state */
	if (!um && (tip = symbols_code_twin(w->u->sym, ip)) != 0)
		um = unwind__umod_get(w, tip);
	else
		tip = ip;
	if (!um || !um->have_table || tip < um->di.start_ip ||
	    tip >= um->di.end_ip) {
		w->noinfo = true;
		return -UNW_ENOINFO;
	}
	rc = _Ux86_64_dwarf_search_unwind_table(as, tip, &um->di, pi,
	    need_unwind_info, arg);
	if (rc == -UNW_ENOINFO)
		w->noinfo = true;
	if (rc == 0 && tip != ip) {
		pi->start_ip -= tip - ip;
		pi->end_ip -= tip - ip;
	}
	return rc;
}

static void
acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* dwarf_search_unwind_table's unwind_info comes from libunwind's own
	 * pool, which libunwind frees itself. */
}

static int
acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	return -UNW_ENOINFO;
}

static int
acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp,
    int write, void *arg)
{
	struct walk *w = arg;
	const struct rec_sample *s = w->s;
	struct umod *um;

	if (write)
		return -UNW_EINVAL;
	if (unwind__in_copy(s, addr, sizeof *valp)) {
		unwind__read_copy(w, addr - s->stack_addr, valp, sizeof *valp);
		return 0;
	}
	um = unwind__umod_get(w, addr);
	if (um && umod_read(um, addr, valp, sizeof *valp))
		return 0;
	/* Past the copy but where the stack may go on: truncated. */
	if (!um && unwind__in_span(s, addr))
		w->beyond = true;
	return -UNW_EINVAL;
}

static int
acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *valp,
    int write, void *arg)
{
	struct walk *w = arg;

	if (write)
		return -UNW_EREADONLYREG;
	/* libunwind's x86-64 numbering is the DWARF one, as is the sample's. */
	if (reg < 0 || reg >= CTOP_NREGS)
		return -UNW_EBADREG;
	*valp = w->regs[reg];
	if (w->note != NULL && !w->observing)
		w->note->regs_read |= 1ull << reg;
	return 0;
}

static int
acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
    int write, void *arg)
{
	return -UNW_EBADREG;
}

static int
acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int
acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
    size_t len, unw_word_t *offp, void *arg)
{
	/* Names come from the symbols module, never from libunwind. */
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

/* ------------------------------------------------------------------------
 * Walking
 * ------------------------------------------------------------------------ */

struct unwinder *
unwind_new(struct symbols *sym, char **cause)
{
	struct unwinder *u = calloc(1, sizeof *u);

	if (!u) {
		if (cause)
			*cause = strdup("out of memory");
		return NULL;
	}
	u->sym = sym;
	u->as = unw_create_addr_space(&accessors, 0);
	if (!u->as) {
		if (cause)
			*cause = strdup("unw_create_addr_space failed");
		free(u);
		return NULL;
	}
	unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
	unw_set_cache_size(u->as, RS_CACHE_SIZE, 0);
	u->generation = symbols_generation(sym);
	return u;
}

void
unwind_free(struct unwinder *u)
{
	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	unwind__memo_clear(u);
	unwind__join_clear(u);
	free(u->mods);
	free(u);
}

void
unwind_set_method(struct unwinder *u, enum unwind_method method)
{
	u->method = method;
	unwind__memo_clear(u);
}

static enum unwind_end
step_failed(const struct walk *w, int rc)
{
	if (w->beyond)
		return w->s->flags & SAMPLE_STACK_SHORT ? UNWIND_BAD_FRAME :
		    UNWIND_TRUNCATED;
	if (w->noinfo || rc == -UNW_ENOINFO)
		return UNWIND_NO_INFO;
	return UNWIND_BAD_FRAME;
}

/* The frame's sp and bp, for the frame-pointer comparisons and the steps
 * where CFI fails: read without noting them (memo.c); a walk that goes on
 * from them is not remembered. */
static void
cursor_regs(struct walk *w, unw_cursor_t *c, struct fp_regs *r)
{
	unw_word_t v;

	w->observing = true;
	r->sp = unw_get_reg(c, UNW_X86_64_RSP, &v) < 0 ? 0 : v;
	r->bp = unw_get_reg(c, UNW_X86_64_RBP, &v) < 0 ? 0 : v;
	w->observing = false;
}

/* How a DWARF walk stopped. */
enum dwarf_stop {
	DWARF_ENDED,		/* *end says why */
	DWARF_AT_TRUSTED,	/* *r is a frame whose module's frame
				 * pointers are trusted: go on with them */
	DWARF_GAP_STEPPED,	/* no CFI covered a return address; *r is
				 * its caller by the frame pointer (gap_step):
				 * append it and go on with DWARF there */
	DWARF_ENTRY_STEPPED,	/* the same after clone's syscall, the
				 * caller found at sp (sampled_gap) */
};

/* Whether the bytes before return address ra read as a call: e8 rel32,
 * or ff /2 (indirect, 2 to 7 bytes long). */
static bool
after_call(struct walk *w, uint64_t ra)
{
	struct umod *um = unwind__umod_get(w, ra - 1);
	unsigned char b[8];

	if (!um || ra < sizeof b || !umod_read(um, ra - sizeof b, b, sizeof b))
		return false;
	if (b[3] == 0xe8)
		return true;
	for (int len = 2; len <= 7; len++)
		if (b[8 - len] == 0xff && ((b[9 - len] >> 3) & 7) == 2)
			return true;
	return false;
}

/* A frame no CFI covers: code built without unwind tables, such as the
 * crt files' __do_global_dtors_aux (which dlclose runs and which calls
 * __cxa_finalize), JIT code (V8 keeps rbp as a frame pointer in all of
 * it) or a copy of a file's text. One step by the frame pointer is taken,
 * as perf's fp mode and py-spy do, when the chain is plausible: rbp points
 * at a frame record in the copy above sp, and the return address is in
 * executable memory; outside any file (JIT code) the caller's saved rbp
 * is higher still (or 0, the outermost frame's); in a file the return
 * address must follow a call instruction (rbp may be a general register
 * there). Else the walk ends as before.
 * It is taken wherever libunwind cannot step: no CFI, or CFI that gives
 * no plausible caller (V8's builtins, in node's own text, have neither
 * and keep rbp: without the step 80% of a sorting script's stacks ended
 * at the first builtin; with it 97% reach _start, as with perf's fp).
 * A sampled pc in a prologue has rbp still pointing at its caller's
 * record: that caller is then missing from the stack, and the walk goes
 * on right. */
static bool
gap_step(struct walk *w, const struct fp_regs *from, struct fp_regs *up)
{
	uint64_t lo = w->s->stack_addr, hi = lo + w->s->stack_len;

	unwind__spoil(w);	/* the symbols' code ranges */
	if (from->bp < from->sp || (from->bp & 7) != 0 || from->bp < lo ||
	    from->bp > hi - 16 || hi < 16)
		return false;
	unwind__read_copy(w, from->bp - lo, &up->bp, 8);
	unwind__read_copy(w, from->bp - lo + 8, &up->pc, 8);
	up->sp = from->bp + 16;
	if (up->pc == 0 || !symbols_code_at(w->u->sym, up->pc - 1))
		return false;
	if (unwind__umod_get(w, up->pc - 1) == NULL)
		return up->bp == 0 || up->bp > from->bp;
	/* A caller in a file must have called: the return address follows
	 * a call instruction. Its saved rbp may then be any value: code
	 * built without frame pointers keeps data in rbp (ld.so's
	 * _dl_call_fini, which runs __do_global_dtors_aux at dlclose, has a
	 * heap pointer there), and DWARF goes on from the caller. Only a
	 * saved rbp in the stack must lie above this record, as a chain's
	 * next link does. */
	if (up->bp > lo && up->bp < hi && up->bp <= from->bp)
		return false;
	return after_call(w, up->pc);
}

/* Whether the instructions before ip are glibc's "mov $SYS_clone, %eax"
 * (or SYS_clone3) and "syscall": b8 imm32, 0f 05. */
static bool
after_clone(struct walk *w, uint64_t ip)
{
	struct umod *um = unwind__umod_get(w, ip - 7);
	unsigned char b[7];
	uint32_t nr;

	if (um == NULL || ip < sizeof b ||
	    !umod_read(um, ip - sizeof b, b, sizeof b) || b[0] != 0xb8 ||
	    b[5] != 0x0f || b[6] != 0x05)
		return false;
	memcpy(&nr, b + 1, sizeof nr);
	return nr == 56 || nr == 435;	/* x86-64 clone, clone3 */
}

/* Whether pc is in the first bytes of its file's ELF entry point: ld.so's
 * _start, the process's first frame, has no CFI (a launched target is
 * sampled there while the loader starts). It is outermost. */
static bool
at_elf_entry(struct walk *w, uint64_t pc)
{
	struct umod *um = unwind__umod_get(w, pc);
	GElf_Ehdr eh;
	GElf_Addr bias;
	Elf *elf;

	if (um == NULL || (elf = dwfl_module_getelf(um->mod, &bias)) == NULL ||
	    gelf_getehdr(elf, &eh) == NULL || eh.e_entry == 0)
		return false;
	return pc >= eh.e_entry + bias && pc - (eh.e_entry + bias) < 64;
}

/* The sampled frame, when no CFI covers its pc, in two cases where its
 * caller is still known. A pc right after clone's or clone3's syscall,
 * which glibc leaves without CFI on purpose ("in the child the
 * unwind info will be wrong"), where the ptrace backend samples threads
 * often: a parent resumed from its clone event stop, a child at its first
 * instruction. In the child (the call returned 0) it is the thread's
 * outermost frame: the walk is complete. In the parent, clone has not
 * touched its own stack. And a pc at a function's first instruction (crt
 * code such as _init, which dlopen runs, has no CFI). In both the return
 * address is at sp; the step is taken when it follows a call. Returns
 * DWARF_ENTRY_STEPPED with *up set, or DWARF_ENDED with *end kept or set
 * to complete. */
static enum dwarf_stop
sampled_gap(struct walk *w, const struct fp_regs *cur, struct fp_regs *up,
    enum unwind_end *end)
{
	uint64_t lo = w->s->stack_addr, hi = lo + w->s->stack_len;

	unwind__spoil(w);	/* rax, the symbols' function starts */
	if (after_clone(w, cur->pc)) {
		if (w->regs[CTOP_REG_RAX] == 0) {
			*end = UNWIND_COMPLETE;
			return DWARF_ENDED;
		}
	} else if (!symbols_func_entry(w->u->sym, cur->pc)) {
		return DWARF_ENDED;
	}
	if (cur->sp < lo || cur->sp > hi - 8 || hi < 8)
		return DWARF_ENDED;
	unwind__read_copy(w, cur->sp - lo, &up->pc, 8);
	up->sp = cur->sp + 8;
	up->bp = cur->bp;
	return after_call(w, up->pc) ? DWARF_ENTRY_STEPPED : DWARF_ENDED;
}

/* Walks with libunwind from the registers in w->regs, appending frames.
 * `resumed`: the first frame is already in frames[] (a frame-pointer walk
 * stopped there) and is a return address. With `may_switch`, stops at
 * the first return-address frame of a trusted module. In auto mode every
 * step out of a return-address frame is compared with the frame pointer
 * (unwind__fp_check). */
static enum dwarf_stop
dwarf_walk(struct walk *w, struct unwind_frame *frames, int *n, int max,
    bool resumed, bool may_switch, struct fp_regs *r, enum unwind_end *end)
{
	bool check = w->u->method == UNWIND_METHOD_AUTO;
	bool exact = !resumed, first = true;
	struct fp_regs from, to;
	unw_cursor_t c;

	if (unw_init_remote(&c, w->u->as, w) < 0) {
		if (!resumed)
			frames[(*n)++] = (struct unwind_frame){
				w->regs[CTOP_REG_RIP], true,
				w->regs[CTOP_REG_RSP] };
		*end = UNWIND_BAD_FRAME;
		return DWARF_ENDED;
	}
	for (;;) {
		struct fp_regs cur;
		unw_word_t ip;
		bool sampled;
		int rc;

		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0) {
			*end = UNWIND_BAD_FRAME;
			return DWARF_ENDED;
		}
		if (!(first && resumed)) {
			unw_word_t sp = 0;

			/* join.c's key; libunwind answers it from the
			 * cursor (the CFA), like cursor_regs' reads. */
			w->observing = true;
			unw_get_reg(&c, UNW_REG_SP, &sp);
			w->observing = false;
			frames[(*n)++] = (struct unwind_frame){ ip, exact, sp };
			w->u->stats.dwarf_frames++;
		}
		if (!exact && (check || may_switch)) {
			from.pc = ip;
			cursor_regs(w, &c, &from);
			/* Not where a frame-pointer walk just gave up. */
			if (may_switch && !(first && resumed) &&
			    unwind__fp_trusted(unwind__umod_get(w, ip - 1))) {
				*r = from;
				unwind__spoil(w);
				return DWARF_AT_TRUSTED;
			}
		}
		sampled = first && !resumed;
		first = false;
		cur.pc = ip;
		cursor_regs(w, &c, &cur);
		w->beyond = w->noinfo = false;
		rc = unw_step(&c);
		/* libunwind falls back to guessing with rbp when a pc has no
		 * CFI; on -fomit-frame-pointer code that invents callers, so a
		 * failed step ends the walk, but for the cases the helpers
		 * recognise: a thread's entry, or a frame chain that passes
		 * gap_step's checks. */
		if (w->noinfo || rc < 0) {
			*end = step_failed(w, rc);
			if (*end == UNWIND_NO_INFO && sampled &&
			    sampled_gap(w, &cur, r, end) == DWARF_ENTRY_STEPPED)
				return DWARF_ENTRY_STEPPED;
			if ((*end == UNWIND_NO_INFO || *end == UNWIND_BAD_FRAME) &&
			    gap_step(w, &cur, r))
				return DWARF_GAP_STEPPED;
			if (*end == UNWIND_NO_INFO && at_elf_entry(w, ip))
				*end = UNWIND_COMPLETE;
			return DWARF_ENDED;
		}
		if (rc == 0) {
			*end = UNWIND_COMPLETE;
			return DWARF_ENDED;
		}
		if (check && !exact && unw_get_reg(&c, UNW_REG_IP, &to.pc) == 0) {
			cursor_regs(w, &c, &to);
			unwind__fp_check(w, &from, &to);
		}
		/* Right after a step, libunwind's signal-frame flag still
		 * describes the frame we stepped from (the CIE it just used):
		 * when that was a signal frame, the new pc is where the signal
		 * hit, not a return address (perf reads it the same way). */
		exact = unw_is_signal_frame(&c) > 0;
		if (*n == max) {
			*end = UNWIND_MAX_DEPTH;
			return DWARF_ENDED;
		}
	}
}

/* --unwind fp: the frame-pointer chain from the sampled registers, as the
 * kernel walks it for perf, but over the copy. */
static void
walk_fp(struct walk *w, struct unwind_frame *frames, int *n, int max,
    enum unwind_end *end)
{
	const uint64_t *regs = w->s->regs;
	struct fp_regs r = { regs[CTOP_REG_RIP], regs[CTOP_REG_RSP],
		regs[CTOP_REG_RBP] };

	frames[(*n)++] = (struct unwind_frame){ r.pc, true, r.sp };
	unwind__fp_walk(w, &r, frames, n, max, false, end);
}

/* This walk is one of --unwind auto's by DWARF alone. */
static bool
verifying(const struct unwinder *u)
{
	return u->stats.walks % FP_VERIFY_EVERY == 0;
}

/* --unwind dwarf, and auto: DWARF, switching to frame pointers while the
 * frames are in trusted modules and back to DWARF after them. */
static void
walk_mixed(struct walk *w, struct unwind_frame *frames, int *n, int max,
    enum unwind_end *end)
{
	struct unwinder *u = w->u;
	bool may_switch = u->method == UNWIND_METHOD_AUTO && !verifying(u);
	uint64_t regs[CTOP_NREGS];
	struct fp_regs r;
	bool resumed = false;

	memcpy(regs, w->s->regs, sizeof regs);
	w->regs = regs;
	for (;;) {
		enum dwarf_stop stop = dwarf_walk(w, frames, n, max, resumed,
		    may_switch, &r, end);

		if (stop == DWARF_GAP_STEPPED || stop == DWARF_ENTRY_STEPPED) {
			if (*n >= max) {
				*end = UNWIND_MAX_DEPTH;
				return;
			}
			frames[(*n)++] = (struct unwind_frame){ r.pc, false,
			    r.sp };
			if (stop == DWARF_GAP_STEPPED)
				u->stats.fp_frames++;
			else
				u->stats.dwarf_frames++;
		} else if (stop != DWARF_AT_TRUSTED ||
		    !unwind__fp_walk(w, &r, frames, n, max, true, end)) {
			return;
		}
		/* Back to DWARF at r (a frame of an untrusted module, or where
		 * the chain looked odd): its callee-saved registers other
		 * than rbp are unknown, which CFI rarely needs to find the
		 * caller. */
		regs[CTOP_REG_RIP] = r.pc;
		regs[CTOP_REG_RSP] = r.sp;
		regs[CTOP_REG_RBP] = r.bp;
		resumed = true;
	}
}

/* Whether this walk is answered from, and kept in, the memo (memo.c):
 * not the frame-pointer walks, a few loads each; not auto's walks by
 * DWARF alone, which are there to be done. */
static bool
memo_applies(const struct unwinder *u, int max)
{
	return max > 0 && u->method != UNWIND_METHOD_FP &&
	    !(u->method == UNWIND_METHOD_AUTO && verifying(u));
}

/* Walks the stack copy from the sampled registers, or takes the frames
 * of a walk that read the same. */
static int
walk_stack(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end)
{
	struct walk w = { .u = u, .s = s, .stack = rec_sample_stack(s),
		.regs = s->regs };
	enum unwind_end e = UNWIND_MAX_DEPTH;
	struct unwind_stats before;
	struct walk_note note;
	uint64_t epoch = 0;
	bool memo;
	int n = 0;

	unwind_sync(u);
	u->stats.walks++;
	memo = memo_applies(u, max);
	if (memo && (n = unwind__memo_find(u, s, frames, max, &e)) >= 0) {
		u->stats.ends[e]++;
		*end = e;
		return n;
	}
	n = 0;
	if (memo) {
		note.regs_read = 0;
		note.spoilt = false;
		note.nreads = 0;
		w.note = &note;
		before = u->stats;
		epoch = u->trust_epoch;
	}
	if (max > 0 && u->method == UNWIND_METHOD_FP)
		walk_fp(&w, frames, &n, max, &e);
	else if (max > 0)
		walk_mixed(&w, frames, &n, max, &e);
	u->stats.ends[e]++;
	u->last_reach = (uint32_t)w.reach;
	if (memo)
		unwind__memo_keep(u, s, &note, &before, frames, n, e, epoch);
	*end = e;
	return n;
}

/* Appends a part of the kernel's chain (leaf first; its first pc is where
 * that context was interrupted, the others are return addresses). */
static int
take_chain(const uint64_t *pcs, int len, struct unwind_frame *frames,
    int max)
{
	int i;

	for (i = 0; i < len && i < max; i++)
		frames[i] = (struct unwind_frame){ pcs[i], i == 0, 0 };
	return i;
}

int
unwind_sample(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end)
{
	int n = take_chain(rec_sample_kernel(s), s->kernel_len, frames, max);

	*end = UNWIND_COMPLETE;
	u->last_reach = 0;
	u->last_unjoined = false;
	if (s->user_len > 0) {
		n += take_chain(rec_sample_user(s), s->user_len, frames + n,
		    max - n);
		/* The kernel's frame-pointer walk ends where rbp stops
		 * pointing at a frame: it cannot tell a root from a broken
		 * chain, except at its own limit. */
		if (s->user_len >= 127)
			*end = UNWIND_MAX_DEPTH;
	} else if (s->kernel_len == 0 || s->regs[CTOP_REG_RIP] != 0 ||
	    s->stack_len > 0) {
		/* (A kernel chain with neither: a kernel thread's sample.) */
		int k = walk_stack(u, s, frames + n, max - n, end);

		unwind__join_after(u, s, frames + n, &k, max - n, end);
		n += k;
	}
	return n;
}

int
unwind_fp_note(struct unwinder *u, char *buf, size_t size)
{
	return unwind__fp_note(u, buf, size);
}

uint32_t
unwind_last_reach(const struct unwinder *u)
{
	return u->last_reach;
}

void
unwind_get_stats(const struct unwinder *u, struct unwind_stats *out)
{
	*out = u->stats;
}
