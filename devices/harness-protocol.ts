import { randomBytes } from 'node:crypto';
import { exprToC, type Size, type Target } from '../targets/index.js';

/**
 * The command line every generated harness (CPU or CUDA) takes, and its exit codes:
 *   harness MODE IN OUT SEED MIN_MS MAX_REPS SIZE...
 * MODE is check or time; IN is one input file or a list "a.in+b.in+c.in" (check only: one call per
 * file, in order, in the same buffers; OUT gets every array after each call, one block per call; a
 * file written "=c.in" is called without poisoning the outputs first: they hold the last call's).
 * SEED (16 hex digits) is drawn fresh for every process by kloop (a CSPRNG): the harness derives
 * from it the poison written over outputs before every call, each array's alignment and its guard
 * zones' contents, the same way in both modes, so a kernel cannot tell a check from a timed run.
 * Poison kinds (a NaN with a random payload, random bits, zero) follow `C_POISON_KIND`: any three
 * consecutive calls of a process give each output array all three, so a check that calls the
 * kernel three times on one input sees every kind on every array.
 */
export const GUARD_BYTES = 256;
/** A write outside an array's bounds (guard zones). */
export const EXIT_GUARD = 3;
/** kloop called the harness wrongly (short input, unwritable output). */
export const EXIT_USAGE = 4;
/** A CUDA call failed (launch or execution error), named on stderr. */
export const EXIT_CUDA = 5;
/** No usable GPU: no device or no driver. */
export const EXIT_NO_GPU = 6;
/** The kernel wrote to one of its input arrays (read-only during the call), named on stderr. */
export const EXIT_INPUT_WRITE = 7;
/** The kernel left the floating-point control state changed (MXCSR, x87 control word), named on stderr. */
export const EXIT_FPENV = 8;
/** A later call on the same input (IN "FILE*K") gave other outputs than the first: state kept between calls. */
export const EXIT_STATE = 9;
/** Most calls one check process makes (IN lists at most this many files). */
export const MAX_CALLS = 16;

/**
 * A fresh per-process seed for the harness (poison, alignment, guard contents), from a CSPRNG. Its
 * top four bits are the placement (`kl_place` in `C_RNG`, used by the CPU harness's `kl_offset`): random, or `placement` (0-15) where the
 * verifier rotates it over its cases so that every array sits at every alignment in some case.
 */
export function harnessSeed(placement?: number): bigint {
  const r = randomBytes(8).readBigUInt64BE();
  return placement === undefined ? r : (r & ((1n << 60n) - 1n)) | (BigInt(placement & 15) << 60n);
}

/**
 * Placements the verifier rotates over its cases: the five alignments an array may sit at past a
 * 64-byte boundary (4, 8, 16, 32, 64: those at least sizeof(real) and a multiple of it are used),
 * and `PLACEMENT_PAGE_END`, where the CPU harness ends every array at a page boundary followed by
 * an inaccessible page (an over-read or over-write faults, sanitizer or not, whatever it writes back).
 */
export const PLACEMENTS = 6;
export const PLACEMENT_PAGE_END = 5;

export function harnessArgs(target: Target, mode: 'check' | 'time', input: string | string[], output: string, seed: bigint, minMs: number, maxReps: number, size: Size): string[] {
  const inputs = typeof input === 'string' ? [input] : input;
  if (inputs.length < 1 || inputs.length > MAX_CALLS || (mode === 'time' && inputs.length !== 1)) throw new Error(`harness: ${inputs.length} input files for ${mode}`);
  return [mode, inputs.join('+'), output, seed.toString(16).padStart(16, '0'), String(minMs), String(maxReps), ...target.sizeSymbols.map((s) => String(size[s]))];
}

/** The kernel's prototype over the target's parameters (`real` is the target's scalar). */
export function kernelPrototype(t: Target): string {
  const param = (p: Target['params'][number]) => {
    if (p.kind === 'size') return `${p.int.ctype} ${p.name}`;
    if (p.kind === 'scalar') return `real ${p.name}`;
    return `${p.role === 'in' ? 'const ' : ''}${p.int ? p.int.ctype : 'real'} *${p.name}`;
  };
  return `void ${t.fn}(${t.params.map(param).join(', ')})`;
}

/** Numbers printed by a harness on a line "TAG n1 n2 ...". */
export function numbersAfter(tag: string, stdout: string): number[] {
  const line = new RegExp(`${tag}((?: \\d+)+)`).exec(stdout);
  return line ? line[1].trim().split(' ').map(Number) : [];
}

/*
 * The C side of the protocol, shared by the CPU and CUDA harnesses (each adds its own memory,
 * calls and timing around these pieces).
 */

/** C: the monotonic clock a harness times with. */
export const C_NOW_NS = `static double kl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}`;

/** C: the harness's generator: splitmix64 over the per-process SEED (nothing a kernel can predict). */
export const C_RNG = `static uint64_t kl_rng;
static unsigned kl_place; /* the placement: the seed's top four bits (set before the generator's first draw) */
static uint64_t kl_rand(void) {
  uint64_t z = (kl_rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}`;

/**
 * C: the kind of poison for output array J before the current call (0: random bits, 1: a NaN with
 * a random payload, 2: zero). \`kl_poison_call()\` starts a call; calls run in groups of three over
 * a permutation of the kinds drawn from the generator, array J getting kind perm[(call + J) % 3],
 * so each array gets every kind within any group and which comes first is unpredictable.
 */
export const C_POISON_KIND = `static unsigned kl_pcall = ~0u, kl_pperm[3];
static void kl_poison_call(void) {
  static const unsigned perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  if (++kl_pcall % 3 == 0) { unsigned p = (unsigned)(kl_rand() % 6); for (int i = 0; i < 3; i++) kl_pperm[i] = perms[p][i]; }
}
static unsigned kl_poison_kind(unsigned j) { return kl_pperm[(kl_pcall + j) % 3]; }`;

/** C: an input file opened for reading (exit ${EXIT_USAGE} if it cannot be). */
export const C_OPEN_INPUT = `static FILE *kl_open_input(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "kloop harness: cannot open %s\\n", path); exit(${EXIT_USAGE}); }
  return f;
}`;

/**
 * C: the start of main: the command line read into mode, the generator seeded, min_ms, max_reps,
 * the size symbols, each array's element count n_<name>, the input files (\`kl_in_paths\`,
 * \`kl_calls\`) and OUT opened as \`out\` (NULL for "-"). \`name\`: the function's (the CPU harness's
 * \`main\` dispatches to it: see devices/cpu/harness-cases.ts).
 */
export function cMainArgs(t: Target, name = 'main'): string {
  const sizes = t.params
    .filter((p) => p.kind === 'size')
    .map((p, i) => `  ${p.int.ctype} ${p.name} = (${p.int.ctype})${p.int.signed ? 'strtoll' : 'strtoull'}(argv[7 + ${i}], NULL, 10);`)
    .join('\n');
  const counts = t.arrays.map((a) => `  long n_${a.name} = ${a.shape.map(exprToC).join(' * ')};`).join('\n');
  return `${name === 'main' ? 'int' : 'static int'} ${name}(int argc, char **argv) {
  if (argc != ${7 + t.sizeSymbols.length}) { fprintf(stderr, "usage: %s check|time IN[+IN...] OUT SEED MIN_MS MAX_REPS ${t.sizeSymbols.join(' ')}\\n", argv[0]); return ${EXIT_USAGE}; }
  const char *mode = argv[1];
  kl_rng = (uint64_t)strtoull(argv[4], NULL, 16);
  kl_place = (unsigned)(kl_rng >> 60);
  double min_ms = atof(argv[5]);
  int max_reps = atoi(argv[6]);
${sizes}
${counts}
  static char kl_in_list[${MAX_CALLS} * 4096];
  char *kl_in_paths[${MAX_CALLS}];
  int kl_calls = 0;
  snprintf(kl_in_list, sizeof kl_in_list, "%s", argv[2]);
  for (char *p = kl_in_list; p && kl_calls < ${MAX_CALLS}; ) { kl_in_paths[kl_calls++] = p; p = strchr(p, '+'); if (p) *p++ = 0; }
  if (strcmp(mode, "check") != 0 && kl_calls != 1) { fprintf(stderr, "kloop harness: a timed run takes one input\\n"); return ${EXIT_USAGE}; }
  FILE *out = NULL;
  if (strcmp(argv[3], "-") != 0 && !(out = fopen(argv[3], "wb"))) { fprintf(stderr, "kloop harness: cannot write %s: ", argv[3]); perror(NULL); return ${EXIT_USAGE}; }`;
}

/** C: the end of main (OUT closed). */
export const C_END_MAIN = `  if (out) fclose(out);
  return 0;
}`;
