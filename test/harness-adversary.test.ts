import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FPENV, harnessSeed, type CpuDevice } from '../devices/index.js';
import { loadTarget, resolveTarget, type Target } from '../targets/index.js';
import { makeInputs, prepareGateBench, runGate, Verifier, type BenchCheck, type CheckPlan } from '../verifiers/index.js';
import { cpuDevice, smallTarget, tmp } from './helpers.js';

/**
 * RS1 against an adversary (issue 11, the harness's part): a kernel cannot tell a check from a
 * timed run (poison, alignment and guard contents come from a per-process random seed), inputs are
 * read-only during every call, the floating-point control state is checked around every call, state
 * kept across calls shows over several consecutive calls, thread counts vary, and the sanitizer run
 * compares outputs. Each hostile kernel is rejected at its layer; legit look-alikes are accepted.
 */

const REF_LOOP = 'real s = 0; for (int i = 0; i < N; i++) s += X[i];';

const hostile: Record<string, { source: string; layers: string[]; flags?: string[] }> = {
  'writes an input and restores it': {
    source: `void sum(int N, const real *X, real *S) {
  volatile real *x = (volatile real *)X; real s = 0;
  for (int i = 0; i < N; i++) { real v = x[i]; x[i] = 0; s += v; x[i] = v; }
  S[0] = s; }`,
    layers: ['inputs'],
  },
  'sets flush-to-zero and leaves it set': {
    source: `void sum(int N, const real *X, real *S) {
  __builtin_ia32_ldmxcsr(__builtin_ia32_stmxcsr() | 0x8040);
  ${REF_LOOP} S[0] = s; }`,
    layers: ['fp-env', 'static'],
  },
  'memoises in heap residue, hitting from the third call': {
    // glibc's tcache reuses a freed block for the next malloc of its size; words 0 and 1 hold its list links
    // (volatile: the compiler would drop stores to a block about to be freed).
    source: `#include <stdlib.h>
void sum(int N, const real *X, real *S) {
  volatile long *m = (volatile long *)malloc(64);
  long calls = m[2] == 0x5eed ? m[3] + 1 : 1;
  real s;
  if (calls >= 3) s = ((volatile real *)(m + 4))[0];
  else { s = 0; for (int i = 0; i < N; i++) s += X[i]; ((volatile real *)(m + 4))[0] = s; }
  m[2] = 0x5eed; m[3] = calls;
  free((void *)m);
  S[0] = s; }`,
    layers: ['stale-state'],
  },
  'is right only when its input is 64-byte aligned': {
    source: `void sum(int N, const real *X, real *S) {
  ${REF_LOOP}
  if (((uintptr_t)X & 63) != 0) s += 1;
  S[0] = s; }`,
    layers: ['compare'],
  },
  'is wrong only with more than 8 threads': {
    source: `#include <omp.h>
void sum(int N, const real *X, real *S) {
  ${REF_LOOP}
  if (omp_get_max_threads() > 8) s += 1;
  S[0] = s; }`,
    layers: ['compare'],
    flags: ['-fopenmp'],
  },
  'reads one element past the end of its input and adds it': {
    source: `void sum(int N, const real *X, real *S) {
  real s = 0; for (int i = 0; i <= N; i++) s += X[i];
  S[0] = s; }`,
    // (bounds: in a case whose placement ends X at a page followed by an inaccessible one)
    layers: ['compare', 'sanitizer', 'bounds'],
  },
  'adds to its output instead of overwriting it (right only where the poison was zero)': {
    source: `void sum(int N, const real *X, real *S) {
  ${REF_LOOP}
  S[0] = S[0] == S[0] && S[0] < 1e30 && S[0] > -1e30 ? S[0] + s : s; }`,
    layers: ['compare'],
  },
  'returns early when its output is already zero (a "fresh buffer" shortcut)': {
    source: `void sum(int N, const real *X, real *S) {
  if (S[0] == 0) return;
  ${REF_LOOP} S[0] = s; }`,
    layers: ['compare'],
  },
  'behaves only when it sees a poison word other than the old timed one': {
    source: `#include <string.h>
void sum(int N, const real *X, real *S) {
  uint32_t w; memcpy(&w, S, 4);
  ${REF_LOOP}
  if (w != 0x7fc00000u) s += 1;   /* "a check": misbehave there, and be caught */
  S[0] = s; }`,
    layers: ['compare'],
  },
};

const legit: Record<string, { source: string; flags?: string[] }> = {
  'an aligned fast path with a correct scalar peel': {
    source: `void sum(int N, const real *X, real *S) {
  real s = 0, a[8] = {0};
  int i = 0;
  while (i < N && ((uintptr_t)(X + i) & 31) != 0) s += X[i++];
  for (; i + 8 <= N; i += 8)
    for (int j = 0; j < 8; j++) a[j] += X[i + j];
  for (; i < N; i++) s += X[i];
  for (int j = 0; j < 8; j++) s += a[j];
  S[0] = s; }`,
  },
  'a fast path keyed on the old timed poison word (it never sees that word now, timed or not)': {
    source: `#include <string.h>
void sum(int N, const real *X, real *S) {
  uint32_t w; memcpy(&w, S, 4);
  if (w == 0x7fc00000u) { S[0] = 0; return; }
  ${REF_LOOP} S[0] = s; }`,
  },
  'an OpenMP reduction, correct with any thread count': {
    source: `void sum(int N, const real *X, real *S) {
  real s = 0;
  #pragma omp parallel for reduction(+:s)
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s; }`,
    flags: ['-fopenmp'],
  },
};

describe('RS1 against an adversary: the harness', () => {
  const dir = tmp('kloop-adversary-');
  let device: CpuDevice;
  let target: Target;
  let verifier: Verifier;
  let plan: CheckPlan;
  let bench: BenchCheck;

  beforeAll(async () => {
    device = cpuDevice(dir);
    target = loadTarget(smallTarget('sum', '{N: 20000}', dir));
    verifier = new Verifier({ device, caseTimeoutMs: 5000, proof: false });
    plan = await verifier.prepare(target, 777, join(dir, 'plan'));
    bench = await prepareGateBench(verifier, target, join(dir, 'plan'), { seed: 5, distribution: 'normal' });
  }, 60_000);

  const gate = (name: string, source: string, flags: string[] = []) => runGate({ device, verifier, plan, bench, target, source, flags, workDir: join(dir, name.replace(/\W+/g, '-')) });

  it.each(Object.entries(hostile))('rejects a kernel that %s', async (name, k) => {
    const { verdict: v } = await gate(name, k.source, k.flags);
    expect(v.status, `${name}: ${JSON.stringify(v.layers)}`).toBe('rejected');
    expect(k.layers, `${name}: ${v.layer}: ${v.reason}`).toContain(v.layer);
    if (process.env.ADV_DEBUG) console.log(name, '=>', v.layer, v.reason);
  });

  it.each(Object.entries(legit))('accepts %s', async (name, k) => {
    const { verdict: v } = await gate(name, k.source, k.flags);
    expect(v.status, `${name}: ${v.layer}: ${v.reason}`).not.toBe('rejected');
  });

  it('names the input written and the control bits changed, one line each', async () => {
    const w = (await gate('writes an input and restores it', hostile['writes an input and restores it'].source)).verdict;
    expect(w.reason).toMatch(/^the kernel wrote to its input X \(inputs are read-only/);
    // The static gate may refuse the builtin first; the harness, run directly, still sees the change.
    const wd = join(dir, 'ftz-direct');
    const b = await device.build({ target, source: hostile['sets flush-to-zero and leaves it set'].source, flags: [], workDir: wd });
    expect(b.ok, b.log).toBe(true);
    const input = join(wd, 'in.bin');
    writeFileSync(input, makeInputs(target, { N: 10 }, 1, 'normal').bytes);
    for (const run of [
      () => device.check({ binary: b.binary!, target, size: { N: 10 }, input, output: join(wd, 'o'), workDir: wd, timeoutMs: 10_000 }),
      async () => (await device.time({ binary: b.binary!, target, size: { N: 10 }, input, minMs: 0, maxReps: 3, workDir: wd, timeoutMs: 10_000 })).run,
    ]) {
      const r = await run();
      expect(r.exitCode).toBe(EXIT_FPENV);
      expect(r.stderr.trim()).toMatch(/^kloop harness: the kernel changed the floating-point control state: flush-to-zero denormals-are-zero \(MXCSR 0x1f[0-9a-f]{2} -> 0x9f[c-f][0-9a-f]/);
    }
  });

  it('the sanitizer run compares outputs and runs the hidden sizes', async () => {
    // Right in the -ffast-math build (NaN assumed away: q == q folds to true), wrong in the sanitizer
    // build (built without -ffast-math): only a compare of the sanitized run's outputs sees it.
    const src = `void sum(int N, const real *X, real *S) {
  ${REF_LOOP}
  volatile real z = 0; real q = z / z;
  if (!(q == q)) s += 1;
  S[0] = s; }`;
    const { verdict: v } = await gate('wrong under asan', src, ['-ffast-math']);
    expect(v.status).toBe('rejected');
    expect([v.layer, v.reason]).toEqual(['compare', expect.stringMatching(/in the sanitizer build/)]);
  });

  it('a timed run and a check look the same to a kernel: fresh poison and alignment per process, in both modes', async () => {
    // The kernel reports what it saw: the poison word in S[0] and the offset of X past a 64-byte boundary.
    const src = `#include <string.h>
void sum(int N, const real *X, real *S) {
  uint32_t w; memcpy(&w, S, 4);
  S[0] = (real)((((uintptr_t)X & 63) / 4) * 65536 + (w >> 16));
}`;
    const wd = join(dir, 'echo');
    const b = await device.build({ target, source: src, flags: [], workDir: wd });
    expect(b.ok, b.log).toBe(true);
    const size = { N: 100 };
    const input = join(wd, 'in.bin');
    writeFileSync(input, makeInputs(target, size, 3, 'normal').bytes);
    const seen: { mode: string; offset: number; word: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const out = join(wd, `o${i}.bin`);
      if (i % 2) {
        const r = await device.time({ binary: b.binary!, target, size, input, output: out, minMs: 0, maxReps: 3, workDir: wd, timeoutMs: 10_000 });
        expect(r.ok, r.run.stderr).toBe(true);
      } else {
        const r = await device.check({ binary: b.binary!, target, size, input, output: out, workDir: wd, timeoutMs: 10_000 });
        expect(r.exitCode, r.stderr).toBe(0);
      }
      const v = readFileSync(out).readFloatLE(400);
      seen.push({ mode: i % 2 ? 'time' : 'check', offset: Math.floor(v / 65536) * 4, word: v % 65536 });
    }
    // (or, at the page-end placement, wherever X's 400 bytes end a page: (4096 - 400) % 64 = 48)
    for (const s of seen) expect([0, 4, 8, 16, 32, 48]).toContain(s.offset);
    // Over 8 processes, checks and timed runs alike, the offsets and the poison words vary (all equal: about 3^-8).
    expect(new Set(seen.map((s) => s.offset)).size).toBeGreaterThan(1);
    expect(new Set(seen.map((s) => s.word)).size).toBeGreaterThan(1);
  });

  it('a multi-call check writes one block per call and guard values are large or NaN', async () => {
    const t = resolveTarget('sum');
    const src = `void sum(int N, const real *X, real *S) { S[0] = X[N]; }`; // the guard element right after X
    const wd = join(dir, 'guard');
    const b = await device.build({ target: t, source: src, flags: [], workDir: wd });
    expect(b.ok, b.log).toBe(true);
    const files = [1, 2, 3, 4].map((k) => {
      const f = join(wd, `in${k}.bin`);
      writeFileSync(f, makeInputs(t, { N: 5 }, k, 'normal').bytes);
      return f;
    });
    const out = join(wd, 'calls.out');
    // Placement 0 (an alignment past 64 bytes, guard zones after the arrays), not the page-end one, where reading X[N] faults.
    const r = await device.check({ binary: b.binary!, target: t, size: { N: 5 }, input: files, output: out, workDir: wd, timeoutMs: 10_000, seed: harnessSeed(0) });
    expect(r.exitCode, r.stderr).toBe(0);
    const o = readFileSync(out);
    expect(o.length).toBe(4 * (5 + 1) * 4);
    for (let k = 0; k < 4; k++) {
      expect(o.subarray(k * 24, k * 24 + 20)).toEqual(readFileSync(files[k]));
      expect(Math.abs(o.readFloatLE(k * 24 + 20))).toBeGreaterThanOrEqual(1e30);
    }
  });
});
