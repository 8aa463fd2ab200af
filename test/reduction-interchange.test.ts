import { describe, expect, it } from 'vitest';
import { BuiltinWriter } from '../agents/builtin/index.js';
import { applyMove, enumerateMoves, sourceOf, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { parseC } from '../csyntax/index.js';
import { arrayLengthsC, resolveTarget } from '../targets/index.js';
import { checkOmpRaces } from '../verifiers/index.js';
import { writeContext } from './helpers.js';

const ctx: MoveContext = { allowedFlags: ['-fopenmp'] };
const prog = (src: string, fn = 'f'): Program => ({ unit: parseC(src), fn, flags: [], moves: [], kinds: [] });
const moves = (p: Program) => enumerateMoves(p, ctx);

describe('a reduction over a strided column becomes a contiguous update (covariance)', () => {
  const COV = `void f(int M, int N, const float *d, float *c) {
  for (int i = 0; i < M; i++)
    for (int j = i; j < M; j++) {
      float s = 0;
      for (int k = 0; k < N; k++) s += d[k * M + i] * d[k * M + j];
      s /= (N - 1);
      c[i * M + j] = s;
      c[j * M + i] = s;
    }
}`;

  it('sinks an accumulator read again after its store, reading the element it was stored to', () => {
    const p = prog(COV);
    const sink = moves(p).find((m) => m.kind === 'sink')!;
    const src = sourceOf(applyMove(p, sink, ctx)!);
    expect(src).toContain('c[i * M + j] /= N - 1;');
    expect(src).toContain('c[j * M + i] = c[i * M + j];');
    expect(src).not.toMatch(/float s\b/);
  });

  it('does not sink when the array may have been written between the store and a later read', () => {
    for (const after of ['c[0] = 1;\n      c[j * M + i] = s;', 'g(c);\n      c[j * M + i] = s;', 's = 2;\n      c[j * M + i] = s;', 'i = 0;\n      c[j * M + i] = s;']) {
      const p = prog(COV.replace('c[j * M + i] = s;', after).replace('void f(', 'void g(float *x);\nvoid f('));
      expect(
        moves(p).some((m) => m.kind === 'sink'),
        after,
      ).toBe(false);
    }
  });

  it('isolates the inner loop (distribute before and after it) so the nest can be interchanged', () => {
    let p = prog(COV);
    p = applyMove(
      p,
      moves(p).find((m) => m.kind === 'sink')!,
      ctx,
    )!;
    const around = moves(p).find((m) => m.kind === 'distribute' && m.param === 'around');
    expect(around).toBeDefined();
    p = applyMove(p, around!, ctx)!;
    const inter = moves(p).find((m) => m.kind === 'interchange');
    expect(inter).toBeDefined();
    const src = sourceOf(applyMove(p, inter!, ctx)!);
    expect(src).toMatch(/for \(int k = 0; k < N; k\+\+\) \{?\s*for \(int j = i; j < M; j\+\+\)\s*c\[i \* M \+ j\] \+= d\[k \* M \+ i\] \* d\[k \* M \+ j\];/);
  });

  it("the writer finds it on PolyBench's covariance in its first round, and proposes nothing the gate's race analysis refuses", async () => {
    const t = resolveTarget('bench/unseen/covariance');
    const drafts = await new BuiltinWriter({ depth: 1, beam: 4, searchMs: 60_000 }).write(writeContext(t));
    expect(drafts.some((d) => d.kinds.includes('sink') && d.kinds.includes('interchange'))).toBe(true);
    for (const d of drafts) expect(checkOmpRaces(d.source, t.fn, arrayLengthsC(t)).ok, d.description).not.toBe(false);
  }, 120_000);
});

describe("the writer's race screen", () => {
  it('drops only what the race layer refuses: micro-kernels it cannot parse (the gate tests those) are still proposed', async () => {
    const t = resolveTarget('sgemm');
    const drafts = await new BuiltinWriter({ depth: 1, beam: 4, searchMs: 60_000 }).write(writeContext(t));
    expect(drafts.some((d) => /register-blocked micro-kernel/.test(d.description))).toBe(true);
  }, 120_000);
});
