import { describe, expect, it } from 'vitest';
import { estimateCost } from '../agents/builtin/cost-model.js';
import { applyMove, describeMove, enumerateMoves, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { parseC } from '../csyntax/index.js';
import { arrayLengthsC, resolveTarget } from '../targets/index.js';

const program = (src: string, fn: string): Program => ({ unit: parseC(src), fn, flags: [], moves: [], kinds: [] });
const ctx: MoveContext = { allowedFlags: ['-fopenmp'] };
const after = (p: Program, what: string) =>
  applyMove(
    p,
    enumerateMoves(p, ctx).find((m) => describeMove(p, m) === what)!,
    ctx,
  )!;

describe('the static cost model ranks what the machine rewards', () => {
  it('an unrolled stencil is no cheaper than the rolled one (its neighbours walk the same lines), rows in parallel are', () => {
    const heat = resolveTarget('bench/unseen/heat');
    const p = program(heat.referenceSource, heat.fn);
    const cost = (q: Program) => estimateCost(q, { sizes: heat.benchSize, cores: 2, vectorLanes: 16 });
    for (const u of [2, 4, 8]) expect(cost(after(p, `unroll i by ${u}`)), `unroll ${u}`).toBeGreaterThanOrEqual(cost(p) * 0.999);
    expect(cost(after(p, 'omp parallel for on i'))).toBeLessThan(cost(p));
  });

  it('entering a parallel loop costs: the outermost loop in parallel beats the innermost', () => {
    const mm = program('void f(int N, const real *A, const real *B, real *C) { for (int i = 0; i < N; i++) for (int k = 0; k < N; k++) for (int j = 0; j < N; j++) C[i * N + j] += A[i * N + k] * B[k * N + j]; }', 'f');
    const cost = (q: Program) => estimateCost(q, { sizes: { N: 1024 }, cores: 2, vectorLanes: 16 });
    const par = enumerateMoves(mm, ctx).filter((m) => describeMove(mm, m) === 'omp parallel for on i' || describeMove(mm, m) === 'omp parallel for on j');
    const [outer, inner] = ['omp parallel for on i', 'omp parallel for on j'].map((d) =>
      cost(
        applyMove(
          mm,
          par.find((m) => describeMove(mm, m) === d)!,
          ctx,
        )!,
      ),
    );
    expect(outer).toBeLessThan(inner);
    expect(inner).toBeGreaterThan(cost(mm));
  });

  it('a time tile whose rows fit in cache is cheaper than the sweeps it tiles, a tile a few points wide is not', () => {
    const tiles = (name: string) => {
      const t = resolveTarget(`bench/unseen/${name}`);
      const p = program(t.referenceSource, t.fn);
      const mctx: MoveContext = { allowedFlags: ['-fopenmp'], sizes: t.checkSizes, arrayLengths: arrayLengthsC(t) };
      const cost = (q: Program) => estimateCost(q, { sizes: t.benchSize, cores: 2, vectorLanes: 16 });
      const tiled = new Map(
        enumerateMoves(p, mctx)
          .filter((m) => m.kind === 'time-tile')
          .map((m) => [describeMove(p, m).replace(/^time-tile \w+ by /, ''), cost(applyMove(p, m, mctx)!)] as const),
      );
      return { ref: cost(p), tiled };
    };
    // jacobi-2d, 1200 x 1200: 64 rows of both grids (600 KB) fit in L2, 256 rows do not; the time
    // loop, which only slides a tile's rows by the skew, carries the reuse
    const j = tiles('jacobi2d');
    expect(j.tiled.get('32 steps x 64 points')!).toBeLessThan(j.ref * 0.5);
    expect(j.tiled.get('64 steps x 256 points')!).toBeGreaterThan(j.ref);
    // heat, 1-D: every tile fits; one 16 points wide pays its bounds and remainder every 16 points
    const h = tiles('heat');
    expect(h.tiled.get('64 steps x 256 points')!).toBeLessThan(h.ref * 0.5);
    expect(h.tiled.get('16 steps x 16 points')!).toBeGreaterThan(h.tiled.get('64 steps x 256 points')! * 2);
  });

  it('copies of a strided access a few elements apart share their lines: a transpose jammed by 16 beats one interchanged', () => {
    const t = resolveTarget('transpose');
    const mctx: MoveContext = { allowedFlags: ['-fopenmp'], sizes: t.checkSizes };
    const step = (p: Program, what: string) => {
      const m = enumerateMoves(p, mctx).find((x) => describeMove(p, x) === what);
      expect(m, what).toBeDefined();
      return applyMove(p, m!, mctx)!;
    };
    const cost = (q: Program) => estimateCost(q, { sizes: t.benchSize, cores: 2, vectorLanes: 16 });
    const tiled = step(step(program(t.referenceSource, t.fn), 'tile i,j by 128'), 'omp parallel for on ii_t');
    // hand-timed at 4096 x 4096 on 2 cores: jammed 5.1 ms, interchanged 19 ms, tiled alone 20 ms
    const jammed = cost(step(tiled, 'unroll-and-jam i by 16'));
    const interchanged = cost(step(tiled, 'interchange i<->j'));
    expect(jammed).toBeLessThan(interchanged * 0.5);
    expect(jammed).toBeLessThan(cost(step(tiled, 'unroll-and-jam i by 2')));
  });
});
