import { exprToC, type Size, type Target } from '../targets/index.js';

/**
 * The command line every generated harness (CPU or CUDA) takes, and its exit codes:
 *   harness MODE IN OUT POISON MIN_MS MAX_REPS SIZE...
 * MODE is check or time; IN may be "a.in+b.in" (a second call on b's inputs in the same buffers).
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

export function harnessArgs(target: Target, mode: 'check' | 'time', input: string, output: string, poison: number, minMs: number, maxReps: number, size: Size): string[] {
  return [mode, input, output, poison.toString(16), String(minMs), String(maxReps), ...target.sizeSymbols.map((s) => String(size[s]))];
}

/** The kernel's prototype over the target's parameters (`real` is the target's scalar). */
export function kernelPrototype(t: Target): string {
  return `void ${t.fn}(${t.params.map((p) => (p.kind === 'size' ? `int ${p.name}` : `${p.role === 'in' ? 'const ' : ''}real *${p.name}`)).join(', ')})`;
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

/** C: the start of main: the command line read into mode, poison, min_ms, max_reps, the size symbols and each array's element count n_<name>. */
export function cMainArgs(t: Target): string {
  const sizes = t.sizeSymbols.map((s, i) => `  int ${s} = atoi(argv[7 + ${i}]);`).join('\n');
  const counts = t.arrays.map((a) => `  long n_${a.name} = ${a.shape.map(exprToC).join(' * ')};`).join('\n');
  return `int main(int argc, char **argv) {
  if (argc != ${7 + t.sizeSymbols.length}) { fprintf(stderr, "usage: %s check|time IN OUT POISON MIN_MS MAX_REPS ${t.sizeSymbols.join(' ')}\\n", argv[0]); return ${EXIT_USAGE}; }
  const char *mode = argv[1];
  uint32_t poison = (uint32_t)strtoul(argv[4], NULL, 16);
  double min_ms = atof(argv[5]);
  int max_reps = atoi(argv[6]);
${sizes}
${counts}`;
}

/** C: IN ("a.in" or "a.in+b.in") opened as \`in\`; \`second\` is b's path or NULL. */
export const C_OPEN_INPUT = `  char in_path[4096];
  snprintf(in_path, sizeof in_path, "%s", argv[2]);
  char *second = strchr(in_path, '+');
  if (second) *second++ = 0;
  FILE *in = fopen(in_path, "rb");
  if (!in) { fprintf(stderr, "kloop harness: cannot open %s\\n", in_path); return ${EXIT_USAGE}; }`;

/** C: b's inputs (\`second\`) opened as \`in\` for the second call. */
export const C_OPEN_SECOND = `in = fopen(second, "rb");
      if (!in) { fprintf(stderr, "kloop harness: cannot open %s\\n", second); return ${EXIT_USAGE}; }`;

/** C: OUT opened, the arrays written by \`writes\`, and the end of main. */
export function cWriteOutputs(writes: string): string {
  return `  FILE *out = fopen(argv[3], "wb");
  if (!out) { fprintf(stderr, "kloop harness: cannot write %s\\n", argv[3]); return ${EXIT_USAGE}; }
  ${writes}
  fclose(out);
  return 0;
}`;
}
