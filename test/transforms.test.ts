import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMove, describeMove, enumerateMoves, sourceOf, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { search } from '../agents/builtin/index.js';
import { Rng } from '../common/index.js';
import { parseC } from '../csyntax/index.js';
import type { CpuDevice } from '../devices/index.js';
import { arrayLengthsC, resolveTarget, type Target } from '../targets/index.js';
import { Verifier, type CheckPlan } from '../verifiers/index.js';
import { cpuDevice, tmp } from './helpers.js';

const ctx: MoveContext = { allowedFlags: ['-fopenmp', '-funroll-loops', '-ffast-math'] };

function program(t: Target): Program {
  return { unit: parseC(t.referenceSource), fn: t.fn, flags: [], moves: [], kinds: [] };
}

/** Apply the first move whose description matches. */
function step(p: Program, pattern: RegExp, c: MoveContext = ctx): Program {
  const m = enumerateMoves(p, c).find((x) => pattern.test(describeMove(p, x)));
  if (!m)
    throw new Error(
      `no move ${pattern} among: ${enumerateMoves(p, c)
        .map((x) => describeMove(p, x))
        .join(', ')}`,
    );
  return applyMove(p, m, c)!;
}

describe('built-in writer transformations', () => {
  const sgemm = resolveTarget('sgemm');

  it('sink + distribute + interchange turns i-j-k into i-k-j', () => {
    let p = step(program(sgemm), /^sink/);
    p = step(p, /^distribute loop j/);
    p = step(p, /^interchange j<->k/);
    const src = sourceOf(p);
    expect(src).toMatch(/for \(int k = 0; k < K; k\+\+\) \{\s*for \(int j = 0; j < N; j\+\+\) \{\s*C\[i \* N \+ j\] \+= A\[i \* K \+ k\] \* B\[k \* N \+ j\];/);
    expect(src).not.toContain('acc');
    expect(p.kinds).toEqual(['sink', 'distribute', 'interchange']);
  });

  it('one thread team around a time loop whose body is only parallel loops: omp parallel outside, omp for inside', () => {
    const heat = resolveTarget('bench/unseen/heat');
    let p = step(program(heat), /^omp parallel for on i/);
    // the team needs every loop of the body parallel: one of two is not enough
    expect(enumerateMoves(p, ctx).map((m) => m.kind)).not.toContain('team');
    p = step(p, /^omp parallel for on i/);
    p = step(step(p, /^num_threads\(1\) on i/), /^num_threads\(1\) on i/);
    const team = step(p, /^one thread team around t/);
    const src = sourceOf(team);
    expect(src).toMatch(/#pragma omp parallel num_threads\(1\)\s*\n\s*for \(int t = 0; t < T; t\+\+\)/);
    expect(src.match(/#pragma omp for schedule\(static\)\s*\n/g)).toHaveLength(2);
    expect(src).not.toContain('parallel for');
    // no second team inside or around it, and its loops keep their tuning moves
    expect(enumerateMoves(team, ctx).map((m) => m.kind)).not.toContain('team');
    expect(sourceOf(step(team, /^schedule\(static,1\) on i/))).toContain('#pragma omp for schedule(static,1)');
    expect(sourceOf(step(team, /^omp simd on i/))).toContain('#pragma omp for simd schedule(static)');
  });

  it('refuses a team when a statement outside the parallel loops would run once per thread, or their thread counts differ', () => {
    const src = `void k(int T, int N, float *A, float *B, float *s) {
  for (int t = 0; t < T; t++) {
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) B[i] = A[i] + 1.0f;
    s[0] += B[0];
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) A[i] = B[i];
  }
}`;
    const p: Program = { unit: parseC(src), fn: 'k', flags: ['-fopenmp'], moves: [], kinds: [] };
    expect(enumerateMoves(p, ctx).map((m) => m.kind)).not.toContain('team');
    const mixed = src.replace('    s[0] += B[0];\n', '').replace('#pragma omp parallel for schedule(static)\n    for (int i = 0; i < N; i++) A', '#pragma omp parallel for schedule(static) num_threads(1)\n    for (int i = 0; i < N; i++) A');
    const q: Program = { unit: parseC(mixed), fn: 'k', flags: ['-fopenmp'], moves: [], kinds: [] };
    expect(sourceOf(q)).toContain('num_threads(1)');
    expect(enumerateMoves(q, ctx).map((m) => m.kind)).not.toContain('team');
    const bound = src.replace('    s[0] += B[0];\n', '').replace('i < N; i++) A', 'i < (int)s[0]; i++) A');
    expect(enumerateMoves({ ...q, unit: parseC(bound) }, ctx).map((m) => m.kind)).not.toContain('team');
    const fine = src.replace('    s[0] += B[0];\n', '');
    expect(enumerateMoves({ ...q, unit: parseC(fine) }, ctx).map((m) => m.kind)).toContain('team');
  });

  it('time tiling skews an iterated stencil by the least shift and skew its dependences allow', () => {
    const src = sourceOf(step(program(resolveTarget('bench/unseen/heat')), /^time-tile t by 64 steps x 256 points/));
    expect(src).toContain('for (int tt_t = 0; tt_t < T; tt_t += 64)');
    // A[i] at a step needs B up to i + 1 of the same step (shift 1) and A up to i + 1 of the step
    // before, which the second sweep wrote one further on (skew 2)
    expect(src).toContain('ii_t < (N - 1 > N - 1 + 1 ? N - 1 : N - 1 + 1) + 2 * (T - 1); ii_t += 256)');
    expect(src).toContain('for (int t = tt_t; t < (tt_t + 64 < T ? tt_t + 64 : T); t++)');
    expect(src).toContain('for (int i = 1 > ii_t - 2 * t ? 1 : ii_t - 2 * t; i < (N - 1 < ii_t + 256 - 2 * t ? N - 1 : ii_t + 256 - 2 * t); i++)');
    expect(src).toContain('for (int i = 1 > ii_t - 1 - 2 * t ? 1 : ii_t - 1 - 2 * t;');
  });

  it('time-tiles a parallel baseline: the sweeps give their threads to the tiles, which run in order', () => {
    const j = resolveTarget('bench/unseen/jacobi2d');
    const c = { ...ctx, sizes: j.checkSizes };
    let p = step(step(program(j), /^omp parallel for on i/, c), /^omp parallel for on i/, c);
    p = step(step(p, /^one thread team around t/, c), /^omp simd on j/, c);
    const src = sourceOf(step(p, /^time-tile t by 32 steps x 64 points/, c));
    expect(src).not.toMatch(/omp (parallel|for)/);
    // a simd loop inside a sweep keeps its pragma
    expect(src).toContain('#pragma omp simd');
    expect(src).toContain('for (int tt_t = 0; tt_t < T; tt_t += 32)');
  });

  it('refuses to split a loop whose body holds a part no size ran (an unrolled sweep wider than the analysis tiles)', () => {
    const heat = resolveTarget('bench/unseen/heat');
    const c = { ...ctx, sizes: heat.checkSizes };
    const p = step(step(program(heat), /^time-tile t by 16 steps x 16 points/, c), /^unroll i by 8/, c);
    // a run found this split wrong: the unrolled sweep never ran at the analysis's tiles of 2 points
    expect(enumerateMoves(p, c).map((m) => describeMove(p, m))).not.toContain('distribute loop t after statement 1');
  });

  it('refuses time tiling where no skew keeps every dependence forward, or the sweeps are not the whole step', () => {
    const kinds = (src: string) => enumerateMoves({ unit: parseC(src), fn: 'k', flags: [], moves: [], kinds: [] }, ctx).map((m) => m.kind);
    const fine = `void k(int T, int N, float *A, float *B) {
  for (int t = 0; t < T; t++) {
    for (int i = 1; i < N - 1; i++) B[i] = A[i - 1] + A[i + 1];
    for (int i = 1; i < N - 1; i++) A[i] = B[i];
  }
}`;
    expect(kinds(fine)).toContain('time-tile');
    // reads mirrored points: the distance grows with N, no skew covers it
    expect(kinds(fine.replace('A[i - 1] + A[i + 1]', 'A[N - 1 - i]'))).not.toContain('time-tile');
    // a statement besides the sweeps, and sweeps whose points move with t
    expect(kinds(fine.replace('    for (int i = 1; i < N - 1; i++) A[i] = B[i];', '    A[0] = B[1];\n    for (int i = 1; i < N - 1; i++) A[i] = B[i];'))).not.toContain('time-tile');
    expect(kinds(fine.replace('for (int i = 1; i < N - 1; i++) A[i]', 'for (int i = 1; i < N - 1 - t; i++) A[i]'))).not.toContain('time-tile');
  });

  it('tiling strip-mines every loop of a nest with min() bounds and tile loops outside', () => {
    const src = sourceOf(step(program(resolveTarget('transpose')), /^tile i,j by 32/));
    expect(src).toContain('for (int ii_t = 0; ii_t < R; ii_t += 32)');
    expect(src).toContain('for (int jj_t = 0; jj_t < C; jj_t += 32)');
    expect(src).toContain('for (int i = ii_t; i < (ii_t + 32 < R ? ii_t + 32 : R); i++)');
  });

  it('unrolling keeps a remainder loop; OpenMP moves add -fopenmp and reductions', () => {
    const sum = resolveTarget('sum');
    const u = sourceOf(step(program(sum), /^unroll i by 4/));
    expect(u).toContain('for (int i = 0; i < N - 3; i += 4)');
    expect(u).toContain('for (int i = N / 4 * 4; i < N; i++)');
    const par = step(program(sum), /^omp parallel for on i/);
    expect(sourceOf(par)).toContain('#pragma omp parallel for schedule(static) reduction(+:s)');
    expect(par.flags).toContain('-fopenmp');
    const simd = step(program(resolveTarget('softmax')), /^omp simd on c/);
    expect(sourceOf(simd)).toContain('#pragma omp simd reduction(max:m)');
  });

  it('refuses to parallelise a loop whose iterations write the same element', () => {
    const p: Program = { unit: parseC('void f(int n, const float *a, float *b) { for (int i = 0; i < n; i++) b[0] = b[0] + a[i]; }'), fn: 'f', flags: [], moves: [], kinds: [] };
    expect(enumerateMoves(p, ctx).map((m) => m.kind)).not.toContain('parallel');
  });

  it('beam search finds the i-k-j order for sgemm in one round', async () => {
    // what the search finds, not how fast: no deadline to hit on a loaded machine
    const props = await search(program(sgemm), { depth: 3, beam: 10, count: 4, moveCtx: ctx, costCtx: { sizes: sgemm.benchSize, cores: 2, vectorLanes: 8 }, tried: new Set(), prior: () => 1, rng: new Rng(1), budgetMs: 120_000 });
    expect(props).toHaveLength(4);
    // the best-ranked proposal walks B and C contiguously: k outside j, no scalar accumulator
    expect(props[0].kinds.slice(0, 2)).toEqual(['sink', 'distribute']);
    expect(props[0].kinds).toContain('interchange');
    // (untiled or inside tiles: the k loop directly encloses the j loop)
    expect(props[0].source).toMatch(/for \(int k = [^\n]*\{\s*for \(int j = /);
    // no parallel loop deep inside the nest: entering one costs a fork and a barrier every time
    expect(props.every((p) => !/\) \{\s*#pragma omp parallel for[^\n]*\n\s*for \(int j = [^\n]*\n\s*C\[/.test(p.source))).toBe(true);
    expect(new Set(props.map((p) => p.source)).size).toBe(4);
  });

  describe('transformed kernels compile and still compute the same function', () => {
    let device: CpuDevice;
    const dir = tmp();
    const plans = new Map<string, CheckPlan>();
    beforeAll(() => {
      device = cpuDevice(dir);
    });

    async function verdict(t: Target, p: Program, name: string) {
      const v = new Verifier({ device });
      if (!plans.has(t.name)) plans.set(t.name, await v.prepare(t, 99, join(dir, `plan-${t.name}`)));
      const b = await device.build({ target: t, source: sourceOf(p), flags: p.flags, workDir: join(dir, name) });
      expect(b.ok, b.log).toBe(true);
      return v.verify(plans.get(t.name)!, { binary: b.binary!, source: sourceOf(p), flags: p.flags, workDir: join(dir, name) });
    }

    it.each([
      ['sgemm', [/^sink/, /^distribute loop j/, /^interchange j<->k/, /^distribute loop i/, /^tile i,k,j by 32/, /^omp parallel for on ii_t/, /^restrict/]],
      ['sgemm', [/^unroll-and-jam i by 4/, /^omp simd on k/, /^omp parallel for on i/]],
      ['conv2d', [/^sink/, /^distribute loop j/, /^interchange j<->p/, /^unroll-and-jam i by 2/]],
      ['softmax', [/^omp parallel for on r/, /^omp simd on c/, /^unroll c by 8/]],
      ['layernorm', [/^unroll-and-jam r by 2/, /^flag -ffast-math/]],
      ['jacobi', [/^interchange j<->i/, /^tile i,j by 16/, /^omp parallel for on ii_t/]],
      ['transpose', [/^tile i,j by 16/, /^unroll j by 8/]],
      ['sum', [/^omp parallel for on i/, /^omp simd on i/]],
      // time tiles of a 1-D and of a 2-D iterated stencil
      ['bench/unseen/heat', [/^time-tile t by 64 steps x 256 points/]],
      ['bench/unseen/jacobi2d', [/^time-tile t by 32 steps x 64 points/, /^omp simd on j/]],
      ['bench/unseen/jacobi2d', [/^omp parallel for on i/, /^omp parallel for on i/, /^time-tile t by 16 steps x 16 points/]],
      // a time loop's parallel rows in one thread team (the gate's region analysis judges it)
      ['bench/unseen/heat', [/^omp parallel for on i/, /^omp parallel for on i/, /^one thread team around t/, /^omp simd on i/]],
      // rows in parallel, each adding into all of y: an array-section reduction over the whole of y
      ['bench/unseen/atax', [/^omp parallel for on i/]],
      ['bench/unseen/atax', [/^omp simd on j/, /^unroll-and-jam i by 4/, /^omp parallel for on i/]],
    ] as const)('%s after %s', async (name, moves) => {
      const t = resolveTarget(name);
      // as the writer has it: each array's length, for array reductions
      const c = { ...ctx, arrayLengths: arrayLengthsC(t) };
      let p = program(t);
      for (const m of moves) p = step(p, m, c);
      if (name.endsWith('atax')) expect(sourceOf(p)).toContain('reduction(+:y[0:(long)N])');
      const v = await verdict(t, p, `${name}-${p.kinds.join('-').replace(/\W+/g, '_')}`);
      expect(v.status, v.reason).not.toBe('rejected');
    });
  });
});
