import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget, type Target } from '../targets/index.js';
import { analyseSizePaths, boundedProof, scanSource, Verifier } from '../verifiers/index.js';
import { sizeofReal } from '../verifiers/sizeof-real.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * The static gate against a kernel that tells kloop's builds apart, changes the floating-point
 * control state or switches instrumentation off: each construct is refused with its line, written
 * in the source and hidden behind a #define; legitimate look-alikes pass.
 */
const SUM = (pre: string, body = 's += X[i];') => `/* sum */
${pre}
void sum(int N, const real *X, real *S) {
  real s = 0; for (int i = 0; i < N; i++) { ${body} }
  S[0] = s;
}`;

/** [what, source, line the finding must name, text the reason must contain] */
const refused: [string, string, number, RegExp][] = [
  ['#ifndef __cplusplus hides a path from the proof', SUM('#ifndef __cplusplus\n#define SKIP 1\n#endif'), 2, /__cplusplus.*C\+\+ proof/],
  ['__cplusplus in code', SUM('', 's += X[i] * (1 + 0 * __cplusplus);'), 4, /__cplusplus/],
  ['__SANITIZE_ADDRESS__', SUM('#if defined(__SANITIZE_ADDRESS__)\n#endif'), 2, /sanitizer build/],
  ['__SANITIZE_THREAD__', SUM('#ifdef __SANITIZE_THREAD__\n#endif'), 2, /__SANITIZE_THREAD__/],
  ['__SANITIZE_HWADDRESS__', SUM('#ifdef __SANITIZE_HWADDRESS__\n#endif'), 2, /__SANITIZE_HWADDRESS__/],
  ['__OPTIMIZE__', SUM('#ifdef __OPTIMIZE__\n#endif'), 2, /optimisation level/],
  ['__OPTIMIZE_SIZE__', SUM('#if __OPTIMIZE_SIZE__\n#endif'), 2, /optimisation level/],
  ['__NO_INLINE__', SUM('#ifdef __NO_INLINE__\n#endif'), 2, /__NO_INLINE__/],
  ['__FAST_MATH__', SUM('#ifdef __FAST_MATH__\n#endif'), 2, /-ffast-math/],
  ['__has_feature', SUM('#if __has_feature(address_sanitizer)\n#endif'), 2, /__has_feature/],
  ['__has_include', SUM('#if __has_include(<cmath>)\n#endif'), 2, /__has_include/],
  ['__GNUG__', SUM('#ifdef __GNUG__\n#endif'), 2, /C\+\+/],
  ['__STDC_VERSION__', SUM('#if __STDC_VERSION__ >= 201112L\n#endif'), 2, /__STDC_VERSION__/],
  ['a __cpp_ feature test', SUM('#ifdef __cpp_constexpr\n#endif'), 2, /__cpp_constexpr/],
  ['a libstdc++ macro', SUM('#ifdef __GLIBCXX__\n#endif'), 2, /__GLIBCXX__/],
  ["kloop's own header guard", SUM('#ifdef KLOOP_SYMBOLIC_HPP\n#endif'), 2, /kloop's own macros/],
  ['a macro only the proof headers define', SUM('#ifdef EOF\n#endif'), 2, /does not define/],
  ['__COUNTER__', SUM('', 's += X[i] * (__COUNTER__ + 1);'), 4, /__COUNTER__/],
  ['__DATE__', SUM('static const char d[] = __DATE__;'), 2, /__DATE__/],
  ['__TIME__', SUM('static const char d[] = __TIME__;'), 2, /__TIME__/],
  ['__TIMESTAMP__', SUM('static const char d[] = __TIMESTAMP__;'), 2, /__TIMESTAMP__/],
  ['__FILE__', SUM('static const char d[] = __FILE__;'), 2, /__FILE__/],
  ['__BASE_FILE__', SUM('static const char d[] = __BASE_FILE__;'), 2, /__BASE_FILE__/],
  ['__INCLUDE_LEVEL__', SUM('', 's += X[i] * __INCLUDE_LEVEL__;'), 4, /__INCLUDE_LEVEL__/],
  ['__builtin_constant_p', SUM('', 'if (__builtin_constant_p(N)) s += 0; s += X[i];'), 4, /optimisation level/],
  ['_mm_setcsr', SUM('#include <immintrin.h>', '_mm_setcsr(_mm_getcsr() | 0x8040); s += X[i];'), 4, /floating-point control/],
  ['_MM_SET_FLUSH_ZERO_MODE', SUM('#include <immintrin.h>', '_MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON); s += X[i];'), 4, /_MM_SET_FLUSH_ZERO_MODE/],
  ['_MM_SET_DENORMALS_ZERO_MODE', SUM('#include <immintrin.h>', '_MM_SET_DENORMALS_ZERO_MODE(0x0040); s += X[i];'), 4, /_MM_SET_DENORMALS_ZERO_MODE/],
  ['_MM_SET_ROUNDING_MODE', SUM('#include <immintrin.h>', '_MM_SET_ROUNDING_MODE(0x6000); s += X[i];'), 4, /_MM_SET_ROUNDING_MODE/],
  ['_MM_SET_EXCEPTION_MASK', SUM('#include <immintrin.h>', '_MM_SET_EXCEPTION_MASK(0); s += X[i];'), 4, /_MM_SET_EXCEPTION_MASK/],
  ['__builtin_ia32_ldmxcsr', SUM('', '__builtin_ia32_ldmxcsr(0x9fc0); s += X[i];'), 4, /MXCSR/],
  ['__builtin_ia32_stmxcsr', SUM('', 'if (__builtin_ia32_stmxcsr() & 0x8000) s -= 1; s += X[i];'), 4, /MXCSR/],
  ['fesetround', SUM('int fesetround(int);', 'fesetround(0xc00); s += X[i];'), 2, /fesetround/],
  ['fesetenv', SUM('', 'fesetenv(0); s += X[i];'), 4, /fesetenv/],
  ['feupdateenv', SUM('', 'feupdateenv(0); s += X[i];'), 4, /feupdateenv/],
  ['feholdexcept', SUM('', 'feholdexcept(0); s += X[i];'), 4, /feholdexcept/],
  ['fesetexceptflag', SUM('', 'fesetexceptflag(0, 0); s += X[i];'), 4, /fesetexceptflag/],
  ['feenableexcept', SUM('', 'feenableexcept(1); s += X[i];'), 4, /feenableexcept/],
  ['fedisableexcept', SUM('', 'fedisableexcept(1); s += X[i];'), 4, /fedisableexcept/],
  ['_FPU_SETCW', SUM('', '_FPU_SETCW(0x37f); s += X[i];'), 4, /_FPU_SETCW/],
  ['__builtin_set_flt_rounds', SUM('', '__builtin_set_flt_rounds(0); s += X[i];'), 4, /__builtin_set_flt_rounds/],
  ['#pragma STDC FENV_ACCESS', SUM('#pragma STDC FENV_ACCESS ON'), 2, /allowed pragmas/],
  ['no_sanitize', SUM('__attribute__((no_sanitize("address"))) static real at(const real *p, int i) { return p[i]; }'), 2, /no_sanitize.*sanitizer off/],
  ['__no_sanitize__', SUM('__attribute__((__no_sanitize__("address"))) static real at(const real *p, int i) { return p[i]; }'), 2, /__no_sanitize__/],
  ['no_sanitize_address', SUM('__attribute__((no_sanitize_address)) static real at(const real *p, int i) { return p[i]; }'), 2, /AddressSanitizer off/],
  ['no_sanitize_undefined', SUM('__attribute__((no_sanitize_undefined)) static real at(const real *p, int i) { return p[i]; }'), 2, /no_sanitize_undefined/],
  ['no_sanitize_thread', SUM('__attribute__((no_sanitize_thread)) static real at(const real *p, int i) { return p[i]; }'), 2, /no_sanitize_thread/],
  ['no_address_safety_analysis', SUM('__attribute__((no_address_safety_analysis)) static real at(const real *p, int i) { return p[i]; }'), 2, /no_address_safety_analysis/],
  ['disable_sanitizer_instrumentation', SUM('__attribute__((disable_sanitizer_instrumentation)) static real at(const real *p, int i) { return p[i]; }'), 2, /disable_sanitizer_instrumentation/],
  ['no_instrument_function', SUM('__attribute__((no_instrument_function)) static real at(const real *p, int i) { return p[i]; }'), 2, /no_instrument_function/],
  ['no_stack_protector', SUM('__attribute__((no_stack_protector)) static real at(const real *p, int i) { return p[i]; }'), 2, /no_stack_protector/],
  ['optimize("...")', SUM('__attribute__((optimize("O0"))) static real at(const real *p, int i) { return p[i]; }'), 2, /optimisation level per function/],
  ['__optimize__', SUM('__attribute__((__optimize__("-ffast-math"))) static real at(const real *p, int i) { return p[i]; }'), 2, /__optimize__/],
  ['a C2x [[gnu::no_sanitize]] attribute', SUM('[[gnu::no_sanitize("address")]] static real at(const real *p, int i) { return p[i]; }'), 2, /no_sanitize/],
  ['target_clones', SUM('__attribute__((target_clones("avx2", "default"))) static real at(const real *p, int i) { return p[i]; }'), 2, /target_clones/],
  ['constructor', SUM('__attribute__((constructor)) static void early(void) {}'), 2, /outside the kernel call/],
  ['#pragma GCC optimize', SUM('#pragma GCC optimize("O0")'), 2, /allowed pragmas/],
  ['#pragma GCC push_options', SUM('#pragma GCC push_options'), 2, /allowed pragmas/],
  ['_Pragma("GCC optimize")', SUM('_Pragma("GCC optimize(\\"O0\\")")'), 2, /_Pragma/],
  ['token pasting', SUM('#define CAT(a, b) a##b'), 2, /token pasting/],
];

/** The same constructs hidden behind a #define (the macro is defined on line 2). */
const hidden: [string, string, RegExp][] = [
  ['__cplusplus', SUM('#define IS_PROOF __cplusplus\n#if IS_PROOF\n#endif'), /macro hides __cplusplus/],
  ['__SANITIZE_ADDRESS__', SUM('#define ASAN defined(__SANITIZE_ADDRESS__)\n#if ASAN\n#endif'), /macro hides __SANITIZE_ADDRESS__/],
  ['__OPTIMIZE__', SUM('#define OPT __OPTIMIZE__'), /macro hides __OPTIMIZE__/],
  ['KLOOP_SANITIZE', SUM('#define SAN KLOOP_SANITIZE'), /macro hides KLOOP_SANITIZE/],
  ['__FILE__', SUM('#define WHERE __FILE__'), /macro hides __FILE__/],
  ['_mm_setcsr', SUM('#define FTZ() _mm_setcsr(_mm_getcsr() | 0x8040)'), /macro hides _mm_setcsr/],
  ['_MM_SET_FLUSH_ZERO_MODE', SUM('#define FTZ _MM_SET_FLUSH_ZERO_MODE'), /macro hides _MM_SET_FLUSH_ZERO_MODE/],
  ['fesetround', SUM('#define ROUND fesetround'), /macro hides fesetround/],
  ['__builtin_ia32_ldmxcsr', SUM('#define LD(x) __builtin_ia32_ldmxcsr(x)'), /macro hides __builtin_ia32_ldmxcsr/],
  ['no_sanitize in an attribute macro', SUM('#define NOASAN __attribute__((no_sanitize("address")))'), /no_sanitize/],
  ['an attribute name in a macro', SUM('#define NS __no_sanitize__\n__attribute__((NS("address"))) static real at(const real *p, int i) { return p[i]; }'), /macro hides the attribute __no_sanitize__/],
  ['optimize in a macro', SUM('#define FAST optimize("Ofast")'), /macro hides the attribute optimize/],
  ['_Pragma in a macro', SUM('#define NOOPT _Pragma("GCC optimize(\\"O0\\")")'), /_Pragma/],
];

/** Look-alikes a legitimate kernel writes: none of them mentions a refused construct. */
const legit: [string, string][] = [
  ['ISA and OpenMP tests', SUM('#include <immintrin.h>\n#ifdef _OPENMP\n#include <omp.h>\n#endif\n#if defined(__AVX2__) && defined(__FMA__)\n#define WIDE 8\n#else\n#define WIDE 4\n#endif')],
  ['its own tuning macro', SUM('#ifndef BLOCK\n#define BLOCK 64\n#endif\n#if BLOCK % 8 == 0 && __GNUC__ >= 9\n#endif')],
  [
    'sizeof for malloc and plain attributes',
    SUM('#include <stdlib.h>\n__attribute__((always_inline, hot)) static inline real at(const real *p, int i) { return p[i]; }\nstatic real *scratch(int n) { return (real *)malloc(sizeof(real) * n); }'),
  ],
  ['variables named like the attributes', SUM('', 'int optimize = 1, section = i, target = 2; s += X[section] * optimize + 0 * target;')],
  ['_Pragma of an allowed pragma', SUM('#define PAR _Pragma("omp parallel for reduction(+:s)")')],
  ['an allowed omp pragma and a stringised macro', SUM('#define STR(x) #x\n#pragma omp simd reduction(+:s)')],
  [
    'SIMD intrinsics that only compute',
    SUM('#include <immintrin.h>\nstatic inline float hsum(__m256 v) { __m128 a = _mm256_castps256_ps128(v), b = _mm256_extractf128_ps(v, 1); a = _mm_add_ps(a, b); a = _mm_hadd_ps(a, a); a = _mm_hadd_ps(a, a); return _mm_cvtss_f32(a); }'),
  ],
  ['fabs, fmax, isnan and FLT_EPSILON', SUM('#include <float.h>', 's += fabsf(X[i]) > FLT_EPSILON ? X[i] : X[i];')],
];

describe('static gate against an adversary', () => {
  it.each(refused)('refuses %s, naming the line', (_what, source, line, reason) => {
    const f = scanSource(source);
    expect(f, source).toBeDefined();
    expect(f!.line).toBe(line);
    expect(f!.what).toMatch(reason);
  });

  it.each(hidden)('refuses %s hidden behind a #define', (_what, source, reason) => {
    const f = scanSource(source);
    expect(f, source).toBeDefined();
    expect(f!.line).toBe(2);
    expect(f!.what).toMatch(reason);
  });

  it.each(legit)('accepts %s', (_what, source) => {
    expect(scanSource(source)).toBeUndefined();
  });

  it("rejects at layer 'static' in the verifier, with the line", async () => {
    const dir = tmp('kloop-static-adv-');
    const device = cpuDevice(dir);
    const target = resolveTarget('sum');
    const verifier = new Verifier({ device, caseTimeoutMs: 5000, sanitizers: false, proof: false });
    const plan = await verifier.prepare(target, 7, join(dir, 'plan'));
    const source = SUM('#ifndef __cplusplus\n#define STEP 2\n#else\n#define STEP 1\n#endif', 'if (i % STEP == 0) s += X[i];');
    const b = await device.build({ target, source, flags: [], workDir: join(dir, 'cand') });
    expect(b.ok, b.log).toBe(true);
    const v = await verifier.verify(plan, { binary: b.binary!, source, flags: [], workDir: join(dir, 'cand') });
    expect(v.status).toBe('rejected');
    expect(v.layer).toBe('static');
    expect(v.line).toBe(2);
    expect(v.reason).toMatch(/__cplusplus/);
  }, 60_000);
});

describe('the proof reads the program the C build compiles', () => {
  const dir = tmp('kloop-proof-build-');
  const device = cpuDevice(dir);
  const sum = resolveTarget('sum');
  const RIGHT = 'for (int i = 0; i < N; i++) s += X[i];';
  const WRONG = 'for (int i = 0; i + 1 < N; i++) s += X[i];';
  const kernel = (cond: string, yes: string, no: string) => `void sum(int N, const real *X, real *S) {
  real s = 0;
#if ${cond}
  ${yes}
#else
  ${no}
#endif
  S[0] = s;
}`;
  async function prove(t: Target, source: string, name: string, flags?: string[]) {
    const workDir = join(dir, name);
    const pre = await device.preprocess({ target: t, source, flags: flags ?? [], workDir });
    expect(pre.ok, pre.log).toBe(true);
    return boundedProof(device, t, source, workDir, { analysis: analyseSizePaths(t, pre.text), pathSizes: [], flags });
  }

  it('sees the ISA macros of -march=native, as the C build does', async () => {
    const native = execFileSync(process.env.CC || 'cc', ['-march=native', '-dM', '-E', '-'], { input: '', encoding: 'utf8' }).includes('#define __AVX2__ ');
    const nativeRight = await prove(sum, kernel('defined(__AVX2__)', native ? RIGHT : WRONG, native ? WRONG : RIGHT), 'isa-right', []);
    expect(nativeRight.status, nativeRight.reason).toBe('proved');
    const nativeWrong = await prove(sum, kernel('defined(__AVX2__)', native ? WRONG : RIGHT, native ? RIGHT : WRONG), 'isa-wrong', []);
    expect(nativeWrong.status, nativeWrong.reason).toBe('disproved');
  }, 60_000);

  it('defines _OPENMP exactly when the build has -fopenmp, and without the flags does not guess', async () => {
    const src = kernel('defined(_OPENMP)', RIGHT, WRONG);
    expect((await prove(sum, src, 'omp-on', ['-fopenmp'])).status).toBe('proved');
    expect((await prove(sum, src, 'omp-off', [])).status).toBe('disproved');
    const unknown = await prove(sum, src, 'omp-unknown');
    expect(unknown.status).toBe('inapplicable');
    expect(unknown.reason).toMatch(/_OPENMP/);
  }, 60_000);

  it('is inapplicable (tested only) where the kernel takes the size of real, never refused', async () => {
    const cases: [string, boolean][] = [
      ['real *t = (real *)malloc(sizeof(real) * N);', true],
      ['float *t = malloc(sizeof(float) * N); int k = sizeof(int);', false],
      ['real a = 0, b[4]; int k = sizeof b;', true],
      ['int k = sizeof *X;', true],
      ['int k = sizeof(X[0] + 1);', true],
      ['int idx[4]; int k = sizeof idx / sizeof idx[0];', false],
      ['int k = _Alignof(real);', true],
    ];
    const fn = (body: string, pre = '') => `${pre}\nvoid sum(int N, const real *X, real *S) { ${body} }`;
    for (const [body, takes] of cases) expect(!!sizeofReal(fn(body)), body).toBe(takes);
    expect(sizeofReal(fn('int k = SZ;', '#define SZ sizeof(real)'))).toEqual({ line: 1 });
    expect(sizeofReal(fn('int k = sizeof(R);', '#define R real'))?.line).toBe(2);
    expect(sizeofReal(fn('int k = S_(real);', '#define S_ sizeof'))?.line).toBe(2);
    expect(sizeofReal(fn('int k = sizeof(vec);', 'typedef real vec;'))?.line).toBe(2);
    expect(sizeofReal(fn('int k = sizeof(struct P);', 'struct P { real a; int b; };'))?.line).toBe(2);
    const hidden = `void sum(int N, const real *X, real *S) {
  if (sizeof(real) == sizeof(float) && N > 3 && X[0] == X[1]) { S[0] = N * X[0]; return; }
  real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;
}`;
    expect(scanSource(hidden)).toBeUndefined();
    const p = await prove(sum, hidden, 'sizeof-real', []);
    expect(p.status).toBe('inapplicable');
    expect(p.reason).toMatch(/size of real .*line 2.*tested only/);
  }, 60_000);
});
