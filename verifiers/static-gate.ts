import { lex, type Tok } from '../csyntax/index.js';
import { scanAdversary } from './static-adversary.js';

/** Headers a kernel may include. */
export const HEADER_ALLOW = new Set([
  'math.h',
  'stddef.h',
  'stdint.h',
  'stdbool.h',
  'float.h',
  'limits.h',
  'string.h',
  'stdlib.h',
  'omp.h',
  'immintrin.h',
  'x86intrin.h',
  'xmmintrin.h',
  'emmintrin.h',
  'pmmintrin.h',
  'tmmintrin.h',
  'smmintrin.h',
  'nmmintrin.h',
  'avxintrin.h',
  'arm_neon.h',
  'assert.h',
  'complex.h',
]);

/** External functions a kernel's object file may call: libm, OpenMP, memory, compiler helpers. */
const UNDEFINED_ALLOW = [
  /^(sqrt|cbrt|exp|exp2|expm1|log|log2|log10|log1p|pow|sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|erf|erfc|tgamma|lgamma|fabs|fmin|fmax|fma|floor|ceil|round|lround|trunc|rint|nearbyint|fmod|remainder|copysign|hypot|ldexp|frexp|modf|scalbn|nan)(f|l)?$/,
  /^_ZGV[a-zA-Z0-9_]+$/, // libmvec vector variants
  /^__(sqrt|exp|log|pow|sin|cos|expf|logf|powf|sinf|cosf|tanh|tanhf)(f)?_finite$/,
  /^GOMP_[A-Za-z0-9_]+$/,
  /^omp_(get_num_threads|get_thread_num|get_max_threads|get_num_procs|in_parallel|get_level)$/,
  /^(memcpy|memmove|memset|memcmp|malloc|calloc|realloc|free|aligned_alloc|posix_memalign)$/,
  /^__(stack_chk_fail|memcpy_chk|memset_chk|memmove_chk|assert_fail)$/,
  /^_GLOBAL_OFFSET_TABLE_$/,
];

/** Identifiers that read a clock or escape the kernel's job even without a library call. */
const BANNED_IDENTIFIERS = new Set([
  'asm',
  '__asm',
  '__asm__',
  '__rdtsc',
  '_rdtsc',
  '__rdtscp',
  '__builtin_ia32_rdtsc',
  '__builtin_ia32_rdtscp',
  '__builtin_readcyclecounter',
  '__builtin_readsteadycounter',
  '_xbegin',
  '__builtin_trap',
  '__builtin_frame_address',
  '__builtin_return_address',
  'syscall',
]);

/** Headers a CUDA kernel may include besides the C ones. */
const CUDA_HEADER_ALLOW = new Set([
  'cuda_runtime.h',
  'cuda_fp16.h',
  'cuda_bf16.h',
  'mma.h',
  'cooperative_groups.h',
  'cooperative_groups/reduce.h',
  'cuda_pipeline.h',
  'cuda/pipeline',
  'cuda/barrier',
  'cstdint',
  'cmath',
  'cfloat',
  'climits',
  'cstddef',
  'vector_types.h',
]);

/**
 * CUDA identifiers that read a clock, make work the harness's events do not bracket, or keep
 * state: streams, events, graphs, host callbacks, device resets, symbol copies, managed or host memory.
 */
const CUDA_BANNED =
  /^(clock|clock64|__nanosleep|cudaStreamCreate\w*|cudaEvent\w+|cudaGraph\w+|cudaLaunchHostFunc|cudaStreamAddCallback|cudaDeviceReset|cudaSetDevice|cudaDeviceSetLimit|cudaMemcpy(To|From)Symbol\w*|cudaMallocManaged|cudaMallocHost|cudaHostAlloc|cudaStreamPerThread|cudaStreamLegacy|cudaThreadExit|cudaProfilerStart|cudaProfilerStop)$/;

/** External functions a CUDA kernel file's host object may call: the launch machinery and a few stream-ordered runtime calls. */
const CUDA_UNDEFINED_ALLOW = [
  /^__cuda[A-Za-z]+$/,
  /^cuda(LaunchKernel|GetLastError|PeekAtLastError|FuncSetAttribute|FuncGetAttributes|MallocAsync|FreeAsync|MemsetAsync|MemcpyAsync|GetDevice|DeviceGetAttribute|OccupancyMaxActiveBlocksPerMultiprocessor)$/,
  /^(__cxa_guard_(acquire|release|abort)|__gxx_personality_v0|_Unwind_Resume|atexit|__cxa_atexit|__dso_handle)$/,
];

/** Pragmas a kernel may use. */
const PRAGMA_ALLOW = /^#\s*pragma\s+(omp\b|GCC\s+(unroll|ivdep)\b|once\b|unroll\b|clang\s+loop\b)/;

export interface GateFinding {
  line?: number;
  what: string;
}

/** Source rules: allow-listed headers and pragmas, no asm, no clock or cycle-counter builtins. */
export function scanSource(source: string, language: 'c' | 'cuda' = 'c'): GateFinding | undefined {
  const cuda = language === 'cuda';
  let toks: Tok[];
  try {
    toks = lex(source);
  } catch (e) {
    return { what: `cannot be read: ${(e as Error).message}` };
  }
  const code = toks.filter((t) => t.kind !== 'pp');
  const vla = vlaSizeof(code);
  if (vla) return vla;
  for (const t of toks) {
    if (t.kind === 'pp') {
      const inc = /^#\s*include\s*[<"]([^>"]+)[>"]/.exec(t.text);
      if (inc && !HEADER_ALLOW.has(inc[1]) && !(cuda && CUDA_HEADER_ALLOW.has(inc[1]))) return { line: t.line, what: `includes <${inc[1]}>, which is not on the header allow-list (${[...HEADER_ALLOW].slice(0, 8).join(', ')}, ...)` };
      if (/^#\s*(include_next|line|import)\b/.test(t.text) || (/^#\s*include\b/.test(t.text) && !inc)) return { line: t.line, what: `uses "${t.text.split(/\s+/)[0]}" (not allowed)` };
      if (/^#\s*pragma\b/.test(t.text) && !PRAGMA_ALLOW.test(t.text)) return { line: t.line, what: `uses "${t.text}" (allowed pragmas: omp, GCC unroll, GCC ivdep)` };
      if (/^#\s*define\b/.test(t.text) && /\b(asm|__asm__|syscall|rdtsc)\b/.test(t.text)) return { line: t.line, what: `a macro hides "${/\b(asm|__asm__|syscall|rdtsc)\b/.exec(t.text)![1]}"` };
      continue;
    }
    if (t.kind === 'id' && BANNED_IDENTIFIERS.has(t.text)) return { line: t.line, what: `uses ${t.text} (no inline assembly, system calls or clock reads in a kernel)` };
    if (cuda && t.kind === 'id' && CUDA_BANNED.test(t.text)) return { line: t.line, what: `uses ${t.text} (no clocks, side streams, events, graphs, callbacks or device-wide state in a CUDA kernel file: launch on the default stream)` };
  }
  if (!cuda) {
    const fp = functionPointer(code);
    if (fp) return fp;
  }
  // Build-flavour tests, floating-point control, instrumentation switched off (C kernels: see static-adversary.ts).
  return cuda ? undefined : scanAdversary(toks, PRAGMA_ALLOW);
}

/** Builtins that call through a pointer, or name a type by an expression's (a function pointer's among them). */
const INDIRECT = new Set(['typeof', '__typeof__', '__typeof', '__auto_type', '__builtin_apply', '__builtin_apply_args', '__builtin_return', '__builtin_call_with_static_chain']);

/**
 * Function pointers, in any spelling: a declarator or cast `(*name)(` / `(*)(`, a typedef of a
 * function type, `typeof`. A kernel has no use for one, and with one it can call what no symbol
 * shows: the red team took `&free`, added the distance to libc's `syscall`, cast the sum to a
 * function pointer and called it (a pointer computed from an allowed symbol is no call the object
 * file's symbols can show), then ran machine code kept as data. Calls name their function.
 */
function functionPointer(code: Tok[]): GateFinding | undefined {
  for (let i = 0; i < code.length; i++) {
    const t = code[i];
    if (t.kind === 'id' && INDIRECT.has(t.text)) return { line: t.line, what: `uses ${t.text} (no function pointers, indirect calls or types taken from expressions in a kernel: call functions by name)` };
    if (t.text !== '(' || code[i + 1]?.text !== '*') continue;
    let j = i + 2;
    while (code[j] && (code[j].kind === 'id' || code[j].text === '*')) j++;
    if (code[j]?.text === ')' && code[j + 1]?.text === '(') return { line: t.line, what: 'declares, casts to or calls through a function pointer (no indirect calls in a kernel: call functions by name)' };
  }
  // typedef of a function type: `typedef void fn(void);` (an identifier followed by its parameter list)
  for (let i = 0; i < code.length; i++) {
    if (code[i].text !== 'typedef') continue;
    for (let j = i + 1; j + 1 < code.length && code[j].text !== ';'; j++) {
      if (code[j].text === '__attribute__' || code[j].text === '__attribute') break;
      if (code[j].kind === 'id' && code[j + 1].text === '(' && !/^(__)?(aligned|vector_size|may_alias)(__)?$/.test(code[j].text))
        return { line: code[i].line, what: `declares a function type (${code[j].text}): no function pointers or indirect calls in a kernel` };
    }
  }
  return undefined;
}

/**
 * `sizeof(char[N])`, the size of an array type whose length is not a number: a size passed through
 * a type, which the size-path analysis does not read as one (a kernel dropped an element only at
 * sizes in a window it hid this way). Write it as N * sizeof(char).
 */
function vlaSizeof(code: Tok[]): GateFinding | undefined {
  const numeric = (from: number) => {
    const close = code.findIndex((x, k) => k > from && x.text === ']');
    const inside = code.slice(from + 1, close < 0 ? code.length : close);
    return inside.length === 1 && inside[0].kind === 'num';
  };
  // variably-modified names: a typedef or a variable declared with a length that is not a number
  const vm = new Set<string>();
  const TYPE_WORD = /^(char|short|int|long|float|double|real|unsigned|signed|size_t|\w+_t)$/;
  for (let i = 1; i + 1 < code.length; i++) if (code[i].kind === 'id' && code[i + 1].text === '[' && !numeric(i + 1) && (TYPE_WORD.test(code[i - 1].text) || code[i - 1].text === '*')) vm.add(code[i].text);
  for (let i = 0; i < code.length; i++) {
    if (code[i].text !== 'typedef') continue;
    for (let j = i + 1; j < code.length && code[j].text !== ';'; j++)
      if (code[j].text === '[' && !numeric(j)) return { line: code[i].line, what: 'declares a type whose length is not a number (typedef T name[n]): its size hides a size from the analysis; use n directly' };
  }
  for (let i = 0; i + 1 < code.length; i++) {
    if (code[i].text !== 'sizeof') continue;
    const arg = code[i + 1].text === '(' ? code[i + 2] : code[i + 1];
    if (arg && vm.has(arg.text)) return { line: code[i].line, what: `takes the size of ${arg.text}, whose length is not a number: write its length times the element's size, so that the size it depends on is seen` };
  }
  for (let i = 0; i + 1 < code.length; i++) {
    if (code[i].text !== 'sizeof' || code[i + 1].text !== '(') continue;
    let depth = 0;
    for (let j = i + 1; j < code.length; j++) {
      if (code[j].text === '(') depth++;
      else if (code[j].text === ')' && --depth === 0) break;
      else if (code[j].text === '[') {
        if (!numeric(j)) return { line: code[i].line, what: 'takes the size of an array type whose length is not a number (sizeof(T[n])): write n * sizeof(T), so that the size it depends on is seen' };
      }
    }
  }
  return undefined;
}

export interface NmSymbol {
  name: string;
  /** nm's class letter: T/t code, r read-only data, b/d/... writable data, U undefined... */
  type: string;
  /** From `nm -f sysv` only: the ELF symbol type (FUNC, OBJECT, TLS, NOTYPE...) and the section. */
  elfType?: string;
  section?: string;
}

/** `nm` output, in BSD form (`VALUE CLASS NAME`) or System V form (`NAME|VALUE|CLASS|TYPE|SIZE|LINE|SECTION`, from `nm -f sysv`). */
export function parseNm(out: string): NmSymbol[] {
  const symbols: NmSymbol[] = [];
  for (const raw of out.split('\n')) {
    const l = raw.trim();
    if (l.includes('|')) {
      const f = l.split('|').map((x) => x.trim());
      if (f.length >= 7 && /^[A-Za-z?-]$/.test(f[2])) symbols.push({ name: f[0], type: f[2], elfType: f[3], section: f[6] });
      continue;
    }
    const p = l.split(/\s+/);
    if (p.length === 2 && /^[A-Za-z?-]$/.test(p[0])) symbols.push({ type: p[0], name: p[1] });
    else if (p.length === 3 && /^[0-9a-fA-F]+$/.test(p[0]) && /^[A-Za-z?-]$/.test(p[1])) symbols.push({ type: p[1], name: p[2] });
  }
  return symbols;
}

/** nm classes of writable storage: (un)initialised data, small data, common, weak and unique objects. */
const WRITABLE_CLASS = /^[bdgsuvBDGSCV]$/;

/**
 * Storage that may outlive a call. Judged by where the symbol lives, never by its name: any symbol
 * in a writable data section, and any data object (OBJECT, TLS, COMMON) outside read-only data,
 * e.g. one placed in a section that is both executable and writable. What is provably not state:
 * code (functions, OpenMP's outlined bodies) and read-only constants (`r`: literals, const tables).
 */
function isMutableStorage(s: NmSymbol): boolean {
  if (WRITABLE_CLASS.test(s.type)) return true;
  return s.elfType !== undefined && /^(OBJECT|TLS|COMMON)$/.test(s.elfType) && s.type !== 'r' && s.type !== 'R';
}

/**
 * Object-file rules, which no macro trick can dodge: the only global definition is the kernel;
 * no mutable static storage (state that survives between calls); calls only to allow-listed
 * external functions. Returns the offending symbol.
 */
export function checkSymbols(symbols: NmSymbol[], fn: string, language: 'c' | 'cuda' = 'c'): { symbol: string; what: string } | undefined {
  const cuda = language === 'cuda';
  // nvcc's own host-side machinery: kernel launch stubs (and the kernels' host entry points), the fat binary and its handles.
  const stubs = symbols.filter((s) => s.name.includes('__device_stub__')).map((s) => s.name);
  // Unoptimised host code also instantiates the runtime headers' inline dim3 constructor and cuda* templates.
  const nvccOwn = (name: string) =>
    cuda &&
    (/__device_stub__|__cudaFatCubinHandle|__fatDeviceText|__nv_|^fatbinData$|__cudaRegister|__cudaUnregister|^DW\.ref\.|^_ZN4dim3C[12]E|^_Z\d+cuda[A-Z]\w*I/.test(name) || stubs.some((st) => st.includes(`__device_stub__${name.slice(1)}`)));
  for (const s of symbols) {
    if (nvccOwn(s.name)) continue;
    if (s.type === 'U') {
      if (!UNDEFINED_ALLOW.some((re) => re.test(s.name)) && !(cuda && CUDA_UNDEFINED_ALLOW.some((re) => re.test(s.name))))
        return { symbol: s.name, what: `calls ${s.name}(), which a kernel may not use (file, network, process, clock or other library functions)` };
      continue;
    }
    if (/^[A-Z]$/.test(s.type) && s.type !== 'U' && s.type !== 'W' && s.name !== fn) return { symbol: s.name, what: `defines the global symbol ${s.name}: only ${fn} (and static helpers) may be defined` };
    if (s.type === 'W' && s.name !== fn && !/^__x86\.get_pc_thunk/.test(s.name)) return { symbol: s.name, what: `defines the weak symbol ${s.name}: only ${fn} (and static helpers) may be defined` };
    if (isMutableStorage(s)) return { symbol: plainName(s.name), what: `keeps mutable static state (${plainName(s.name)}), which survives between calls` };
  }
  return undefined;
}

/** The first line of the source that mentions an identifier (for findings from the object file). */
export function lineOf(source: string, identifier: string): number | undefined {
  const base = identifier.replace(/\.\d+$/, '');
  try {
    return lex(source).find((t) => t.kind === 'id' && t.text === base)?.line;
  } catch {
    return undefined;
  }
}

/** A symbol as the source spells it: "_ZL7counter" -> "counter", "cache.0" -> "cache". */
function plainName(name: string): string {
  const local = /^_ZL(\d+)(\w+)/.exec(name);
  if (local) return local[2].slice(0, Number(local[1]));
  return name.replace(/\.\d+$/, '');
}
