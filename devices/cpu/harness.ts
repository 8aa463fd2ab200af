import type { ArrayParam, Target } from '../../targets/index.js';
import { C_STACK_SCRUB } from './harness-stack.js';
import { cCases } from './harness-cases.js';
import { cLockdown } from './harness-lockdown.js';
import { C_END_MAIN, C_NOW_NS, C_OPEN_INPUT, C_POISON_KIND, C_RNG, cMainArgs, EXIT_FPENV, EXIT_GUARD, EXIT_INPUT_WRITE, EXIT_STATE, EXIT_USAGE, GUARD_BYTES, kernelPrototype, PLACEMENT_PAGE_END } from '../harness-protocol.js';

/**
 * The harness `main` kloop generates per target; the candidate supplies only the kernel, in its own
 * translation unit (so the compiler cannot specialise it on the harness's constants).
 *
 * Command line:  harness MODE IN OUT SEED MIN_MS MAX_REPS SIZE...   (see harness-protocol.ts)
 *            or  harness cases TIMEOUT_MS N IN OUT SEED SIZE... (N times): check cases, each in a fork
 *                of its own (see harness-cases.ts)
 *   MODE   check: one call per file of IN ("a.in+b.in+..."), each file's inputs loaded into the
 *                 same buffers (state kept across calls shows); every array is written to OUT after
 *                 each call, one block per call; a file named "=b.in" is called without poisoning
 *                 first (the outputs hold what the previous call left, as in a user's loop); one
 *                 named "b.in*K" is called K times (one block written, after the first call), each
 *                 later call's outputs compared with the first's (exit 9 names the call)
 *          time:  warm-up, then repeated calls until MIN_MS and at least 3 reps (at most MAX_REPS);
 *                 prints "KLOOP_TIMES_NS t1 t2 ..." and, if OUT is not "-", writes the arrays after
 *   IN     in/inout arrays, in parameter order, raw little-endian
 *   SEED   per-process random seed; both modes derive from it, the same way:
 *          - the poison written over out arrays before every call (a NaN with a random payload,
 *            random bits or zero, fresh per call and per array);
 *          - each array's address: 4, 8, 16, 32 or 64 bytes past a 64-byte boundary (multiples of
 *            sizeof(real), never below it);
 *          - its guard zones: large magnitudes (±1e30..2e30; the elements next to the array are
 *            always finite, so a read of them shows in any sum or product) and NaNs of varied
 *            payloads, checked byte for byte after each call (exit 3 names the array).
 * Input (`in`) arrays live in their own pages, read-only (mprotect) during every call: a write is
 * caught by a SIGSEGV handler (exit 7, "the kernel wrote to its input X"), whatever the kernel
 * restores afterwards. On x86-64 MXCSR and the x87 control word are compared before and after every
 * call (exit 8 names the bits changed). Under KLOOP_SANITIZE (AddressSanitizer) arrays are exact-size
 * heap blocks at the same alignment offsets and inputs are not protected (kloop still compares them).
 */
export interface HarnessOptions {
  /** `real` for a normal build; `tracked` for the C++ oracle (values in double, error bounds). */
  scalar: 'real' | 'tracked';
}

export function generateHarness(t: Target, opts: HarnessOptions): string {
  const tracked = opts.scalar === 'tracked';
  const elem = tracked ? 'real' : t.real;
  const arrays = t.arrays;
  const ctype = (a: ArrayParam) => (a.int ? a.int.ctype : 'real');
  // An integer array's guard and poison words are its own width; a real array's, the precision's.
  const gsz = (a: ArrayParam) => (a.int ? `sizeof(${a.int.ctype})` : 'sizeof(kl_elem)');
  const allocs = [
    ...t.scalars.map((p) => `  real ${p.name};`),
    ...arrays.map((a) => `  ${ctype(a)} *${a.name} = (${ctype(a)} *)kl_alloc(n_${a.name}, sizeof(${ctype(a)}), ${gsz(a)}, ${a.int ? 1 : 0}, "${a.name}", ${a.role === 'in' ? 1 : 0});`),
  ].join('\n');
  // The IN file: every scalar and every in/inout array, in parameter order.
  const reads = t.params
    .map((p) => {
      if (p.kind === 'scalar') return tracked ? `kl_read_tracked(in, &${p.name}, 1, "${p.name}");` : `kl_read(in, &${p.name}, 1, sizeof(real), "${p.name}");`;
      if (p.kind !== 'array' || p.role === 'out') return '';
      return tracked && !p.int ? `kl_read_tracked(in, ${p.name}, n_${p.name}, "${p.name}");` : `kl_read(in, ${p.name}, n_${p.name}, sizeof(${ctype(p)}), "${p.name}");`;
    })
    .filter(Boolean)
    .join(' ');
  const poisons = ['kl_poison_call();', ...arrays.filter((a) => a.role === 'out').map((a, j) => `kl_poison(${a.name}, n_${a.name}, sizeof(${ctype(a)}), ${gsz(a)}, ${j});`)].join(' ');
  // Repeated calls ("FILE*K"): the outputs after the first call, kept to compare the others with.
  const outs = arrays.filter((a) => a.role !== 'in');
  const firstDecls = outs.map((a) => `  unsigned char *kl_first_${a.name} = NULL;`).join('\n');
  const saveFirst = outs
    .map((a) => `if (!kl_first_${a.name}) kl_first_${a.name} = (unsigned char *)kl_block((size_t)n_${a.name} * sizeof(${ctype(a)}) + 1); memcpy(kl_first_${a.name}, ${a.name}, (size_t)n_${a.name} * sizeof(${ctype(a)}));`)
    .join(' ');
  // Input arrays as first loaded, for many calls on one input (see kl_once below).
  const ins = arrays.filter((a) => a.role === 'in');
  const hasInout = arrays.some((a) => a.role === 'inout');
  const inDecls = ins.map((a) => `  unsigned char *kl_in0_${a.name} = NULL;`).join('\n');
  const saveInputs = ins.map((a) => `kl_in0_${a.name} = (unsigned char *)kl_block((size_t)n_${a.name} * sizeof(${ctype(a)}) + 1); memcpy(kl_in0_${a.name}, ${a.name}, (size_t)n_${a.name} * sizeof(${ctype(a)}));`).join(' ');
  const inputsChanged = ins
    .map(
      (a) =>
        `if (memcmp(kl_in0_${a.name}, ${a.name}, (size_t)n_${a.name} * sizeof(${ctype(a)})) != 0) { fprintf(stderr, "kloop harness: the kernel wrote to its input ${a.name} (found changed after call %ld of %ld on one input)\\n", kl_r + 1, kl_reps); exit(${EXIT_INPUT_WRITE}); }`,
    )
    .join(' ');
  const differs = outs.map((a) => `memcmp(kl_first_${a.name}, ${a.name}, (size_t)n_${a.name} * sizeof(${ctype(a)})) != 0`).join(' || ') || '0';
  // Poison sources (kind 0): every in/inout array and scalar, outside the oracle (a C++ type there).
  const sources = tracked ? '' : [...t.scalars.map((p) => `  kl_add_source(&${p.name}, 1, sizeof(real));`), ...arrays.filter((a) => a.role !== 'out').map((a) => `  kl_add_source(${a.name}, n_${a.name}, sizeof(${ctype(a)}));`)].join('\n');
  const call = `${t.fn}(${t.params.map((p) => p.name).join(', ')})`;
  const proto = `${kernelPrototype(t)};`;
  const writes = arrays
    .map((a) => {
      if (!tracked) return `kl_write(out, ${a.name}, n_${a.name}, sizeof(${ctype(a)}));`;
      if (a.role === 'in') return '';
      // Integer outputs are exact: the value and a zero bound.
      return a.int ? `for (long kl_i = 0; kl_i < n_${a.name}; kl_i++) { double kl_ve[2] = { (double)${a.name}[kl_i], 0.0 }; fwrite(kl_ve, sizeof(double), 2, out); }` : `kl_write_tracked(out, ${a.name}, n_${a.name});`;
    })
    .filter(Boolean)
    .join(' ');

  return `/* Generated by kloop for target "${t.name}" (${opts.scalar}). Do not edit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <pthread.h>
${tracked ? '' : `typedef ${elem} real;`}
typedef ${t.real} kl_elem;
${proto}

#define KL_GUARD ${GUARD_BYTES}
/* The placement at which every array ends at a page boundary followed by an inaccessible page. */
#define KL_PAGE_END ${PLACEMENT_PAGE_END}
#define KL_MAX_ARRAYS ${Math.max(1, arrays.length)}

${C_RNG}

/*
 * Where each array lives: [base, arr) and [arr + bytes, arr + bytes + hi) are its guard zones;
 * [map, map + map_len) the pages made read-only for an input; [gpage, gpage + gpage_len) a PROT_NONE
 * page right after its last element (placement KL_PAGE_END: hi is 0 there).
 */
typedef struct {
  unsigned char *base, *arr, *map, *gpage;
  size_t bytes, len, map_len, hi, gpage_len;
  int input;
  const char *name;
  int integer;
  unsigned char *lo_copy, *hi_copy;
  char msg_write[160], msg_lo[160], msg_hi[160], msg_page[200];
} kl_region;
static kl_region kl_regions[KL_MAX_ARRAYS];
static int kl_nregions;

/*
 * Offset past a 64-byte boundary: 4, 8, 16, 32 or 64 bytes, a multiple of sizeof(real) and never
 * below it. The k-th array of a process takes the (placement + k)-th of those, so a verifier that
 * rotates the placement over its cases puts every array at every offset in some case (a kernel
 * that misbehaves only at one alignment cannot hope to miss them all).
 */
static size_t kl_offset(size_t esz) {
${
  tracked
    ? `  (void)esz;
  return 64; /* the oracle (a C++ type of its own) is trusted */`
    : `  static const size_t offs[] = { 4, 8, 16, 32, 64 };
  static unsigned k;
  size_t valid[5]; unsigned n = 0;
  for (int i = 0; i < 5; i++) if (offs[i] >= esz && offs[i] % esz == 0) valid[n++] = offs[i];
  return valid[(kl_place + k++) % n];`
}
}

/*
 * One guard element: a large magnitude (always, next to the array) or a NaN with a random payload;
 * for an integer array (width gsz), a large index (2^30 or 2^62 and up, either sign: one read past
 * the array and used as an index faults) or random bits.
 */
static void kl_guard_value(unsigned char *dst, int adjacent, size_t gsz, int integer) {
  uint64_t r = kl_rand();
  int neg = (int)(r >> 63);
  if (integer) {
    /* 1- and 2-byte elements (pixels, quantised values): the type's extremes next to the array, else random bits. */
    if (gsz < 4) { uint16_t w = adjacent ? (uint16_t)(neg ? 0x8080u : 0x7f7fu) : (uint16_t)(r >> 16); if (gsz == 2 && adjacent) w = neg ? 0x8000u : 0x7fffu; memcpy(dst, &w, gsz); return; }
    if (gsz == 4) { uint32_t w = adjacent || (r & 1) ? (uint32_t)(0x40000000u | ((r >> 8) & 0x3fffffffu)) : (uint32_t)(r >> 16); int32_t v = neg ? -(int32_t)w : (int32_t)w; memcpy(dst, &v, 4); }
    else { uint64_t w = adjacent || (r & 1) ? (0x4000000000000000ull | ((r >> 8) & 0x3fffffffffffffffull)) : kl_rand(); int64_t v = neg ? -(int64_t)w : (int64_t)w; memcpy(dst, &v, 8); }
    return;
  }
  if (adjacent || (r & 1)) {
    double mag = (1.0 + (double)((r >> 8) & 0xffffff) / 16777216.0) * 1e30;
    kl_elem v = (kl_elem)(neg ? -mag : mag);
    memcpy(dst, &v, sizeof v);
  } else if (sizeof(kl_elem) == 4) {
    uint32_t w = 0x7fc00000u | (uint32_t)((r >> 8) & 0x3fffffu) | ((uint32_t)neg << 31);
    memcpy(dst, &w, 4);
  } else {
    uint64_t w = 0x7ff8000000000000ull | ((r >> 8) & 0x7ffffffffffffull) | ((uint64_t)neg << 63);
    memcpy(dst, &w, 8);
  }
}

static void kl_oom(void) { fprintf(stderr, "kloop harness: out of memory\\n"); exit(${EXIT_USAGE}); }
/*
 * Check runs touch each array once or a few times, so first-touch page faults were most of their
 * time at bench sizes (a 4096x4096 transpose's oracle: 9 s, most of it faults on a VM). Large
 * arrays of a check run ask for transparent huge pages; timed runs keep the memory a user's
 * allocation gets, so that no kernel is timed under other TLB conditions than before.
 */
static int kl_huge_ok;
static void kl_huge(void *p, size_t len) {
#ifdef MADV_HUGEPAGE
  const uintptr_t h = (uintptr_t)2 << 20;
  uintptr_t a = ((uintptr_t)p + h - 1) & ~(h - 1), e = ((uintptr_t)p + len) & ~(h - 1);
  if (kl_huge_ok && e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p; (void)len;
#endif
}
/*
 * Fresh pages: in a check run advised huge (faulted in 2 MB at a time); in a timed run the 4 KiB pages
 * a user's allocation gets, populated in one system call before anything touches them (a fault per
 * page cost twice as much on a VM: 120 ms against 60 for 32 MB). Every page is written (inputs
 * loaded, outputs poisoned) before the first call either way, so the kernel meets the same pages.
 */
static void *kl_map(size_t len) {
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | (kl_huge_ok ? 0 : MAP_POPULATE), -1, 0);
  if (m == MAP_FAILED) kl_oom();
  kl_huge(m, len);
  return m;
}
/* Memory no one frees, 64-byte aligned: fresh pages for a large block (malloc's MALLOC_PERTURB_ fill
   would touch every page, one fault at a time, before any advice), malloc's otherwise. */
static void *kl_block(size_t len) {
  if (len >= ((size_t)4 << 20)) return kl_map(len);
  void *p = NULL;
  if (posix_memalign(&p, 64, len) != 0) kl_oom();
  return p;
}
static void kl_mprotect(void *p, size_t len, int prot) {
  if (mprotect(p, len, prot) != 0) { fprintf(stderr, "kloop harness: mprotect failed\\n"); exit(${EXIT_USAGE}); }
}

#ifdef KLOOP_SANITIZE
/* Under AddressSanitizer: exact-size arrays (any access past them is reported), at the same offsets. */
static void *kl_alloc(long n, size_t esz, size_t gsz, int integer, const char *name, int input) {
  (void)name; (void)input; (void)gsz; (void)integer;
  size_t off = kl_offset(esz) % 64;
  unsigned char *p = NULL;
  if (posix_memalign((void **)&p, 64, off + (size_t)(n > 0 ? n : 1) * esz) != 0) kl_oom();
  return p + off;
}
static void kl_guards(void) {}
static void kl_protect(int on) { (void)on; }
static void kl_catch_input_writes(void) {}
#else
static void *kl_alloc(long n, size_t esz, size_t gsz, int integer, const char *name, int input) {
  kl_region *r = &kl_regions[kl_nregions++];
  size_t off = kl_offset(esz);
  r->bytes = (size_t)n * esz;
  r->integer = integer;
  r->hi = KL_GUARD;
  r->len = KL_GUARD + off + r->bytes + KL_GUARD;
  r->input = input;
  r->name = name;
  r->gpage = NULL;
  r->gpage_len = 0;
  if (kl_place == KL_PAGE_END) {
    /* The array's last byte is the last byte of a page, and the page after it is PROT_NONE: any
       access past its end faults, whatever that access writes back (the guard zone's bytes could
       be read and rewritten unchanged) and whichever build runs. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    r->hi = 0;
    r->map_len = (KL_GUARD + r->bytes + page - 1) / page * page;
    r->map = (unsigned char *)kl_map(r->map_len + page);
    r->gpage = r->map + r->map_len;
    r->gpage_len = page;
    if (mprotect(r->gpage, page, PROT_NONE) != 0) kl_oom();
    r->arr = r->gpage - r->bytes;
    r->base = r->arr - KL_GUARD;
    r->len = KL_GUARD + r->bytes;
  } else if (input) {
    /* Its own pages, so that it can be made read-only alone. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    r->map_len = (r->len + page - 1) / page * page;
    r->base = r->map = (unsigned char *)kl_map(r->map_len);
    r->arr = r->base + KL_GUARD + off;
  } else {
    r->map_len = r->len;
    r->base = (unsigned char *)kl_block(r->len);
    r->map = r->base;
    r->arr = r->base + KL_GUARD + off;
  }
  size_t lo = (size_t)(r->arr - r->base);
  for (size_t i = 0; i + gsz <= lo; i += gsz) kl_guard_value(r->arr - gsz - i, i == 0, gsz, integer);
  for (size_t i = 0; i + gsz <= r->hi; i += gsz) kl_guard_value(r->arr + r->bytes + i, i == 0, gsz, integer);
  r->lo_copy = (unsigned char *)malloc(lo);
  r->hi_copy = (unsigned char *)malloc(KL_GUARD);
  if (!r->lo_copy || !r->hi_copy) kl_oom();
  memcpy(r->lo_copy, r->base, lo);
  memcpy(r->hi_copy, r->arr + r->bytes, r->hi);
  snprintf(r->msg_write, sizeof r->msg_write, "kloop harness: the kernel wrote to its input %s\\n", name);
  snprintf(r->msg_lo, sizeof r->msg_lo, "kloop harness: write outside the bounds of %s (before its start)\\n", name);
  snprintf(r->msg_hi, sizeof r->msg_hi, "kloop harness: write outside the bounds of %s (past its end)\\n", name);
  snprintf(r->msg_page, sizeof r->msg_page, "kloop harness: read or write past the end of %s (it ended at a page boundary followed by an inaccessible page)\\n", name);
  return r->arr;
}

/* Every array's guard zones, byte for byte as they were written. */
static void kl_guards(void) {
  for (int i = 0; i < kl_nregions; i++) {
    kl_region *r = &kl_regions[i];
    int lo = memcmp(r->base, r->lo_copy, (size_t)(r->arr - r->base)) != 0;
    if (lo || memcmp(r->arr + r->bytes, r->hi_copy, r->hi) != 0) {
      fprintf(stderr, "kloop harness: write outside the bounds of %s (%s)\\n", r->name, lo ? "before its start" : "past its end");
      exit(${EXIT_GUARD});
    }
  }
}

/* Input arrays (and their guard zones) read-only during a call, writable again to load the next input. */
static void kl_protect(int on) {
  for (int i = 0; i < kl_nregions; i++)
    if (kl_regions[i].input) kl_mprotect(kl_regions[i].map, kl_regions[i].map_len, on ? PROT_READ : PROT_READ | PROT_WRITE);
}

/*
 * A fault in the page after an array (placement KL_PAGE_END) is an access past its end; one inside
 * an input's pages is a write to it (they are readable): one line, then exit.
 */
static void kl_segv(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  uintptr_t a = (uintptr_t)si->si_addr;
  for (int i = 0; i < kl_nregions; i++) {
    kl_region *r = &kl_regions[i];
    if (r->gpage && a >= (uintptr_t)r->gpage && a < (uintptr_t)r->gpage + r->gpage_len) {
      ssize_t w = write(2, r->msg_page, strlen(r->msg_page));
      (void)w;
      _exit(${EXIT_GUARD});
    }
  }
  for (int i = 0; i < kl_nregions; i++) {
    kl_region *r = &kl_regions[i];
    if (!r->input || a < (uintptr_t)r->map || a >= (uintptr_t)r->map + r->map_len) continue;
    int inside = a >= (uintptr_t)r->arr && a < (uintptr_t)r->arr + r->bytes;
    const char *m = inside ? r->msg_write : a < (uintptr_t)r->arr ? r->msg_lo : r->msg_hi;
    ssize_t w = write(2, m, strlen(m));
    (void)w;
    _exit(inside ? ${EXIT_INPUT_WRITE} : ${EXIT_GUARD});
  }
  signal(sig, SIG_DFL); /* not ours: the fault repeats with the default action */
}

static void kl_catch_input_writes(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = kl_segv;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
}
#endif

/*
 * The timing record: each call's start, the count of reps and their times, in pages of their own,
 * read-only during every timed call; where they are is kept in a page made read-only once set. A
 * kernel can read and write the harness's memory: one that moved the start it found on main's stack
 * forward (or added reps) was timed as fast as it liked. Now such a write faults, and the timed run
 * fails.
 */
typedef struct { double t0; long reps; double lock; } kl_clock_head;
static struct {
  unsigned char *map;
  size_t len;
  unsigned char pad[4096 - sizeof(unsigned char *) - sizeof(size_t)];
} kl_clock_ro __attribute__((aligned(4096)));
#define kl_clk ((volatile kl_clock_head *)kl_clock_ro.map)
#define kl_times ((volatile double *)(kl_clock_ro.map + 4096))
static void kl_clock_lock(int ro) {
  kl_mprotect(kl_clock_ro.map, kl_clock_ro.len, ro ? PROT_READ : PROT_READ | PROT_WRITE);
}
static void kl_clock_init(long max_reps) {
  size_t len = 4096 + ((size_t)(max_reps > 0 ? max_reps : 1) * sizeof(double) + 4095) / 4096 * 4096;
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) kl_oom();
  kl_clock_ro.map = (unsigned char *)m;
  kl_clock_ro.len = len;
  kl_mprotect(&kl_clock_ro, sizeof kl_clock_ro, PROT_READ);
}
/*
 * What a timed interval holds besides the call: the lock's system call (5-7 us on a VM, against a
 * kernel of a few us: a 2x faster sum timed 1.0x). Its least cost over a few tries, before any
 * call, is taken off every time printed: a lower bound of that cost, so no time is made shorter
 * than its call took. Kept in the record, read-only during every call.
 */
static double kl_now_ns(void);
static void kl_clock_calibrate(void) {
  double best = 1e18;
  for (int i = 0; i < 64; i++) {
    double a = kl_now_ns();
    kl_clock_lock(1);
    double b = kl_now_ns();
    kl_clock_lock(0);
    if (b - a < best) best = b - a;
  }
  kl_clk->lock = best > 0 ? best : 0;
}

${C_STACK_SCRUB}

/* The floating-point control state must be the same after a call as before it. */
#if defined(__x86_64__)
static unsigned kl_mxcsr0;
static unsigned short kl_x87_0;
static void kl_fp_read(unsigned *m, unsigned short *cw) {
  *m = __builtin_ia32_stmxcsr();
  __asm__ __volatile__("fnstcw %0" : "=m"(*cw));
}
static void kl_fp_before(void) { kl_fp_read(&kl_mxcsr0, &kl_x87_0); }
static void kl_fp_after(void) {
  unsigned m;
  unsigned short cw;
  kl_fp_read(&m, &cw);
  unsigned d = (m ^ kl_mxcsr0) & 0xffc0u; /* bits 0-5 are sticky exception flags that arithmetic itself sets */
  if (d || cw != kl_x87_0) {
    fprintf(stderr, "kloop harness: the kernel changed the floating-point control state:%s%s%s%s%s (MXCSR 0x%04x -> 0x%04x, x87 control word 0x%04x -> 0x%04x)\\n",
            d & 0x8000u ? " flush-to-zero" : "", d & 0x40u ? " denormals-are-zero" : "", d & 0x6000u ? " rounding mode" : "", d & 0x1f80u ? " exception masks" : "",
            cw != kl_x87_0 ? " x87 control word" : "", kl_mxcsr0, m, kl_x87_0, cw);
    exit(${EXIT_FPENV});
  }
}
#else
/* Other architectures: the control registers are not read here (x86-64 only for now). */
static void kl_fp_before(void) {}
static void kl_fp_after(void) {}
#endif

${C_POISON_KIND}

/*
 * Outputs poisoned before every call, fresh per call and array, of the kind C_POISON_KIND gives
 * array J: a NaN with a random payload, or zero (what a user's fresh buffer holds), each one word
 * over the array; or (kind 0) elements that differ, random bits mixed with the inputs' own values.
 */
/* Values an output may be poisoned with (kind 0): the inputs' own elements and scalars, of the poison's width. */
typedef struct { const unsigned char *p; long n; size_t esz; } kl_source;
static kl_source kl_sources[KL_MAX_ARRAYS + ${Math.max(1, t.scalars.length)}];
static int kl_nsources;
static void kl_add_source(const void *p, long n, size_t esz) { if (n > 0) kl_sources[kl_nsources++] = (kl_source){ (const unsigned char *)p, n, esz }; }

static void kl_poison(void *a, long n, size_t esz, size_t psz, unsigned j) {
  uint64_t r = kl_rand(), w;
  unsigned kind = kl_poison_kind(j);
  unsigned char *p = (unsigned char *)a;
  size_t bytes = (size_t)n * esz;
  if (kind == 0 && psz <= 8) {
    /* A block of 64 elements, each random bits or an element of an input (a value the kernel may
       compare its output's old content with), repeated over the array: every element need not hold
       the same word, and a value the inputs hold may be there. */
    unsigned char blk[64 * 8];
    for (int e = 0; e < 64; e++) {
      uint64_t q = kl_rand(), v = kl_rand();
      const kl_source *s = kl_nsources ? &kl_sources[q % (uint64_t)kl_nsources] : NULL;
      if ((q >> 32) & 1 && s && s->esz == psz) memcpy(&v, s->p + (size_t)((q >> 33) % (uint64_t)s->n) * psz, psz);
      memcpy(blk + e * psz, &v, psz);
    }
    for (size_t i = 0; i < bytes; i += 64 * psz) { size_t k = bytes - i < 64 * psz ? bytes - i : 64 * psz; memcpy(p + i, blk, k); }
    return;
  }
  if (kind == 2) w = 0;
  else if (kind == 1) w = psz == 4 ? (0x7fc00000ull | ((r >> 8) & 0x3fffffull) | ((r >> 63) << 31)) : (0x7ff8000000000000ull | ((r >> 8) & 0x7ffffffffffffull) | ((r >> 63) << 63));
  else w = kl_rand();
  if (psz == 4) w = (w & 0xffffffffull) | (w << 32);
  for (size_t i = 0; i < bytes; i += 8) { size_t k = bytes - i < 8 ? bytes - i : 8; memcpy(p + i, &w, k); }
}

/*
 * Raw elements of width esz (integer arrays; real arrays and scalars outside the oracle), copied into
 * the array by this process through a small buffer: a large fread lets the kernel write the array
 * (read(2) straight into it), and on a VM measured here every cache line so written was slow to read
 * once afterwards (a 4000x4000 gemver's first call 100-135 ms against 15-17 ms, the same values copied
 * in by the process itself 16-17 ms): a timed run whose one call made the sample timed that instead.
 */
static void kl_read(FILE *in, void *a, long n, size_t esz, const char *name) {
  static unsigned char kl_bounce[1 << 18];
  size_t left = (size_t)n * esz;
  unsigned char *to = (unsigned char *)a;
  while (left > 0) {
    size_t k = left < sizeof kl_bounce ? left : sizeof kl_bounce;
    if (fread(kl_bounce, 1, k, in) != k) { fprintf(stderr, "kloop harness: short input for %s\\n", name); exit(${EXIT_USAGE}); }
    memcpy(to, kl_bounce, k);
    to += k;
    left -= k;
  }
}
${
  tracked
    ? `static void kl_read_tracked(FILE *in, real *a, long n, const char *name) {
  for (long i = 0; i < n; i++) { ${t.real} v; if (fread(&v, sizeof v, 1, in) != 1) { fprintf(stderr, "kloop harness: short input for %s\\n", name); exit(${EXIT_USAGE}); } a[i] = real((double)v); }
}
static void kl_write_tracked(FILE *out, real *a, long n) {
  for (long i = 0; i < n; i++) { double ve[2] = { a[i].v, a[i].err() }; fwrite(ve, sizeof(double), 2, out); }
}`
    : `static void kl_write(FILE *out, const void *a, long n, size_t esz) { fwrite(a, esz, (size_t)n, out); }`
}

${C_NOW_NS}

${C_OPEN_INPUT}

${cLockdown()}

${cCases(t.sizeSymbols.length)}

${cMainArgs(t, 'kl_case_main')}
  kl_catch_input_writes();
  kl_scrub_init();
  kl_huge_ok = strcmp(mode, "check") == 0;
${allocs}
${sources}
${firstDecls}
${inDecls}
  /* No new process, exec, executable memory or file written by name from here on (harness-lockdown.ts). */
  if (kl_lockdown() != 0) { fprintf(stderr, "kloop harness: cannot load its seccomp filter (no new processes, no executable memory, no files written by name): "); perror(NULL); return ${EXIT_USAGE}; }
  if (strcmp(mode, "check") == 0) {
    for (int kl_c = 0; kl_c < kl_calls; kl_c++) {
      /* "=FILE": no poison before this call, the outputs stay as the last call left them (as in a user's loop). */
      int kl_keep = kl_in_paths[kl_c][0] == '=';
      /* "FILE*K": K calls on this input (reloaded before each), every one's outputs equal to the first's. */
      char *kl_star = strrchr(kl_in_paths[kl_c], '*');
      long kl_reps = kl_star ? atol(kl_star + 1) : 1;
      if (kl_star) *kl_star = 0;
      /*
       * Many calls on one input. Without inout arrays, the inputs are loaded and made read-only once
       * and, after every later call, compared with what was loaded (a kernel that made them writable
       * again and changed them is caught: exit ${EXIT_INPUT_WRITE}); two mprotect calls per input per call
       * were most of 12,000 calls' time on a VM. With inout arrays, every call's inputs are loaded
       * again, from one copy of the file read once (no system calls).
       */
      int kl_once = ${hasInout ? 0 : 1} && kl_reps > 1;
      char *kl_copy = NULL;
      long kl_copy_len = 0;
      if (kl_reps > 1 && !kl_once) {
        FILE *f = kl_open_input(kl_in_paths[kl_c] + kl_keep);
        if (fseek(f, 0, SEEK_END) == 0 && (kl_copy_len = ftell(f)) > 0 && (kl_copy = (char *)malloc((size_t)kl_copy_len)) != NULL) {
          rewind(f);
          if (fread(kl_copy, 1, (size_t)kl_copy_len, f) != (size_t)kl_copy_len) { free(kl_copy); kl_copy = NULL; }
        }
        fclose(f);
      }
      for (long kl_r = 0; kl_r < kl_reps; kl_r++) {
        if (kl_r == 0 || !kl_once) {
          FILE *in = kl_copy ? fmemopen(kl_copy, (size_t)kl_copy_len, "rb") : kl_open_input(kl_in_paths[kl_c] + kl_keep);
          if (!in) kl_oom();
          ${reads}
          fclose(in);
        }
        if (!kl_keep) { ${poisons} }
        if (kl_r == 0 || !kl_once) kl_protect(1);
        kl_scrub();
        kl_fp_before();
        ${call};
        kl_fp_after();
        if (!kl_once || kl_r == kl_reps - 1) kl_protect(0);
        kl_guards();
        if (kl_r == 0) { if (out) { ${writes} } ${saveFirst} if (kl_once) { ${saveInputs} } }
        else {
          if (kl_once) { ${inputsChanged} }
          if (${differs}) {
            fprintf(stderr, "kloop harness: call %ld of %ld on the same input in one process gave other outputs than the first (state kept between calls)\\n", kl_r + 1, kl_reps);
            exit(${EXIT_STATE});
          }
        }
      }
      free(kl_copy);
    }
  } else {
    if (max_reps > 100000) max_reps = 100000;
    kl_clock_init(max_reps);
    kl_clock_calibrate();
    double total = 0, t1;
    FILE *in = kl_open_input(kl_in_paths[0]);
    ${reads}
    fclose(in);
    kl_protect(1);
    /* Warm-up: one call, unless a single call is long enough that it is itself the sample. */
    ${poisons}
    kl_scrub();
    kl_fp_before();
    kl_clk->t0 = kl_now_ns(); kl_clock_lock(1); ${call}; t1 = kl_now_ns();
    kl_clock_lock(0);
    kl_fp_after();
    int min_reps = 3;
    if ((t1 - kl_clk->t0) / 1e6 >= min_ms) { kl_times[kl_clk->reps++] = t1 - kl_clk->t0; total = t1 - kl_clk->t0; min_reps = 1; }
    while (kl_clk->reps < max_reps && (total / 1e6 < min_ms || kl_clk->reps < min_reps)) {
      ${poisons}
      kl_scrub();
      kl_fp_before();
      kl_clk->t0 = kl_now_ns(); kl_clock_lock(1); ${call}; t1 = kl_now_ns();
      kl_clock_lock(0);
      kl_fp_after();
      double kl_d = t1 - kl_clk->t0;
      kl_times[kl_clk->reps++] = kl_d;
      total += kl_d;
    }
    kl_protect(0);
    kl_guards();
    printf("KLOOP_TIMES_NS");
    for (long i = 0; i < kl_clk->reps; i++) printf(" %.0f", kl_times[i] - kl_clk->lock >= 1 ? kl_times[i] - kl_clk->lock : 1);
    printf("\\n");
    if (out) { ${writes} }
  }
${C_END_MAIN}
`;
}

/** Included before every kernel file, so that a kernel that includes nothing compiles. */
export function prelude(t: Target): string {
  return `#ifndef KLOOP_PRELUDE_H
#define KLOOP_PRELUDE_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
typedef ${t.real} real;
#endif
`;
}
