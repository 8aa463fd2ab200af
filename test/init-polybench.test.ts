import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMove, describeMove, enumerateMoves, sourceOf, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { parseC, type Func } from '../csyntax/index.js';
import { initTarget, inferTarget, todosOf } from '../init/index.js';
import { Poly } from '../init/poly.js';
import { scaleSize, sizeRoles, type SizingModel } from '../init/sizes.js';
import { composeVerifier } from '../loop/index.js';
import { loadTarget } from '../targets/index.js';
import { checkOmpRaces } from '../verifiers/omp-races.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * kloop init on kernels written as people write them, none of them seen by kloop before: PolyBench
 * kernels with array parameters sized by earlier parameters (gemver, bicg, doitgen in 3-D, trmm,
 * 2mm, fdtd-2d, seidel-2d, atax through a pointer to rows), rows of a width fixed by macros, an 8-bit
 * image kernel, an int16 quantised one and an RMS norm with eps.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures', 'init-polybench');
const infer = (f: string) => inferTarget(join(FIXTURES, f), readFileSync(join(FIXTURES, f), 'utf8'));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kloop init on unseen kernels', () => {
  it('reads every one whole: roles from running it, shapes from the declarations, integer data as a range of its type, scalars from their use', () => {
    const brief = (f: string) => {
      const i = infer(f);
      return {
        todos: todosOf(i).map((t) => t.key),
        args: i.args.map((a) => `${a.name} ${a.role} [${a.shape?.join(', ')}]${a.values ? ` ${a.values.kind}` : ''}`),
        scalars: Object.fromEntries([...i.scalarGuesses].map(([k, g]) => [k, g.range ?? 'TODO'])),
      };
    };
    expect(brief('gemver.c')).toEqual({
      todos: [],
      args: ['A inout [n, n]', 'u1 in [n]', 'v1 in [n]', 'u2 in [n]', 'v2 in [n]', 'w inout [n]', 'x inout [n]', 'y in [n]', 'z in [n]'],
      scalars: { alpha: [-2, 2], beta: [-2, 2] },
    });
    expect(brief('bicg.c').args).toEqual(['A in [n, m]', 's out [m]', 'q out [n]', 'p in [m]', 'r in [n]']);
    expect(brief('atax_rows.c').args).toEqual(['A in [m, n]', 'x in [n]', 'y out [n]', 'tmp out [m]']);
    expect(infer('atax_rows.c').signature).toBe('void atax(int m, int n, const real A[][n], const real *x, real *y, real *tmp)');
    // extents from the file's macros (W, and STRIDE defined over W) are written as their values: target.yaml knows only the sizes
    expect(infer('rowsum_w.c')).toMatchObject({ signature: 'void rowsum_w(int n, const real A[n][64], real y[n])', flops: '48*n', bytes: '4*(48*n + n)' });
    expect(brief('rowsum_w.c').args).toEqual(['A in [n, 64]', 'y out [n]']);
    expect(brief('doitgen.c').args).toEqual(['A inout [nr, nq, np]', 'C4 in [np, np]', 'sum out [np]']);
    expect(brief('trmm.c')).toEqual({ todos: [], args: ['A in [m, m]', 'B inout [m, n]'], scalars: { alpha: [-2, 2] } });
    expect(brief('k2mm.c')).toEqual({
      todos: [],
      args: ['tmp out [ni, nj]', 'A in [ni, nk]', 'B in [nk, nj]', 'C in [nj, nl]', 'D inout [ni, nl]'],
      scalars: { alpha: [-2, 2], beta: [-2, 2] },
    });
    expect(brief('fdtd2d.c').args).toEqual(['ex inout [nx, ny]', 'ey inout [nx, ny]', 'hz inout [nx, ny]', 'fict in [tmax]']);
    expect(brief('seidel2d.c').args).toEqual(['A inout [n, n]']);
    expect(brief('box3_u8.c')).toEqual({ todos: [], args: ['src in [h + 2, w + 2] range', 'dst out [h, w]'], scalars: {} });
    expect(brief('dequant_i16.c').args).toEqual(['W in [m, k] range', 'scale in [m]', 'x in [k]', 'y out [m]']);
    expect(brief('rmsnorm.c')).toEqual({ todos: [], args: ['x in [rows, cols]', 'g in [cols]', 'y out [rows, cols]'], scalars: { eps: [0.001, 2] } });
    // the signature keeps each declarator (the body indexes A[i][j]), the precision spelled real
    const t = infer('trmm.c');
    expect(t.signature).toBe('void trmm(int m, int n, real alpha, const real A[restrict m][m], real B[restrict m][n])');
    expect(t.source).toContain('void trmm(int m, int n, real alpha, const real A[restrict m][m], real B[restrict m][n]) {');
    expect(infer('box3_u8.c').args[0].values).toMatchObject({ kind: 'range', lo: 0, from: expect.stringMatching(/^uint8_t data/) });
    expect(infer('dequant_i16.c').bytes).toBe('2*m*k + 4*(m + k + m)');
    expect(infer('rmsnorm.c').scalarGuesses.get('eps')!.why).toBe('in a divisor (1.0f / sqrtf(ss / cols + eps)): drawn from a positive range');
    // flops of a triangular kernel and a time-stepped stencil, fitted exactly
    expect(t.flops).toBe('m*m*n');
    expect(infer('seidel2d.c').flops).toBe('9*tsteps*n*n - 36*tsteps*n + 36*tsteps');
  });

  it('the bench search holds a count of steps no array grows with and scales the data (tsteps, tmax), and keeps ratios otherwise', () => {
    const v = (s: string) => Poly.v(s);
    const seidel: SizingModel = { symbols: ['tsteps', 'n'], extents: [[v('n'), v('n')]], elementBytes: [8], work: v('tsteps').mul(v('n')).mul(v('n')) };
    expect(sizeRoles(seidel, { tsteps: 32, n: 32 })).toEqual({ data: ['n'], steps: ['tsteps'] });
    const next = scaleSize(seidel, { tsteps: 32, n: 32 }, 1000, 2 ** 28, ['n']);
    expect(next.tsteps).toBe(32);
    expect(next.n).toBeGreaterThan(900);
    // fdtd: fict[tmax] is one value a step, too small to count as data
    const fdtd: SizingModel = { symbols: ['tmax', 'nx', 'ny'], extents: [[v('nx'), v('ny')], [v('tmax')]], work: v('tmax').mul(v('nx')).mul(v('ny')) };
    expect(sizeRoles(fdtd, { tmax: 32, nx: 32, ny: 32 }).steps).toEqual(['tmax']);
    // a product: every size is data, scaled together
    const mm: SizingModel = {
      symbols: ['m', 'n', 'k'],
      extents: [
        [v('m'), v('k')],
        [v('k'), v('n')],
        [v('m'), v('n')],
      ],
      work: v('m').mul(v('n')).mul(v('k')),
    };
    expect(sizeRoles(mm, { m: 32, n: 32, k: 32 })).toEqual({ data: ['m', 'n', 'k'], steps: [] });
    // the oracle's outputs cap the data: 16 bytes an output element within 128 MB
    const big = scaleSize({ ...seidel, outputs: [true] }, { tsteps: 1, n: 32 }, 1e9, 2 ** 40, ['n']);
    expect(big.n * big.n * 16).toBeLessThanOrEqual(2 ** 27);
  });

  it('writes targets that pass their own checks: a 3-D tensor, restrict rows with a coefficient, 8-bit pixels, extents from macros (in process, a quick bench search)', async () => {
    const cwd = tmp('kloop-init-pb-');
    dirs.push(cwd);
    writeFileSync(join(cwd, 'WORKFLOW.md'), '---\ngit: { commit: false }\nverify: { hidden_sizes: 2, sanitizers: false, proof: false }\n---\n');
    const device = cpuDevice(cwd);
    const verifier = composeVerifier(loadWorkflow(join(cwd, 'WORKFLOW.md')), device);
    for (const f of ['doitgen.c', 'trmm.c', 'box3_u8.c', 'rowsum_w.c']) {
      const r = await initTarget({ file: join(FIXTURES, f), out: f.replace('.c', ''), cwd, device, verifier, workDir: join(cwd, 'work'), bench: { lowMs: 0.001, highMs: 1000, aimMs: 0.05 } });
      expect(r.problem, f).toBeUndefined();
      const t = loadTarget(r.dir);
      expect(t.referenceSource).toMatch(/\]\[/);
      if (f === 'trmm.c') expect(t.scalars).toEqual([{ kind: 'scalar', name: 'alpha', value: { range: [-2, 2] }, bench: 1.5 }]);
      if (f === 'box3_u8.c')
        expect(t.arrays.map((a) => [a.name, a.int?.ctype, a.values?.text])).toEqual([
          ['src', 'uint8_t', 'range: [0, 255]'],
          ['dst', 'uint8_t', undefined],
        ]);
    }
  }, 120_000);

  it('measures a bench size per dimension: the steps held, the data scaled until a call takes 0.1–1 s', async () => {
    const cwd = tmp('kloop-init-pb-bench-');
    dirs.push(cwd);
    writeFileSync(join(cwd, 'WORKFLOW.md'), '---\ngit: { commit: false }\nverify: { hidden_sizes: 1, sanitizers: false, proof: false }\n---\n');
    const device = cpuDevice(cwd);
    const verifier = composeVerifier(loadWorkflow(join(cwd, 'WORKFLOW.md')), device);
    const r = await initTarget({ file: join(FIXTURES, 'seidel2d.c'), cwd, device, verifier, workDir: join(cwd, 'work') });
    expect(r.problem).toBeUndefined();
    expect(r.bench!.tsteps).toBe(32);
    expect(r.bench!.n).toBeGreaterThan(256);
    expect(r.benchMs).toBeGreaterThanOrEqual(100);
    expect(r.benchMs).toBeLessThanOrEqual(1000);
    expect(readFileSync(join(r.dir, 'target.yaml'), 'utf8')).toMatch(/# measured: the reference takes \d+ ms a call on this machine; tsteps is a count of steps no array grows with, held, n scaled$/m);
  }, 120_000);
});

describe('the built-in writer on array parameters', () => {
  const ctx: MoveContext = { allowedFlags: ['-fopenmp', '-funroll-loops'] };
  const programOf = (f: string): { p: Program; fn: Func; lengths: Record<string, string> } => {
    const unit = parseC(readFileSync(join(FIXTURES, f), 'utf8'));
    const fn = unit.items.find((x): x is Func => x.k === 'func')!;
    const lengths = Object.fromEntries(infer(f).args.map((a) => [a.name, a.shape!.map((d) => `(long)(${d})`).join(' * ')]));
    return { p: { unit, fn: fn.name, flags: [], moves: [], kinds: [] }, fn, lengths };
  };

  // Pairs of moves where they are few (fdtd-2d's four nests, 2mm's and the image's deep nests have hundreds: single moves there).
  const singles = new Set(['fdtd2d.c', 'k2mm.c', 'box3_u8.c']);
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.c')))('%s: every proposed move (and every pair) passes the race layer', (f) => {
    const { p, fn, lengths } = programOf(f);
    let programs = 0;
    for (const m of enumerateMoves(p, ctx)) {
      const q = applyMove(p, m, ctx);
      if (!q) continue;
      for (const r of [q, ...(singles.has(f) ? [] : enumerateMoves(q, ctx).map((m2) => applyMove(q, m2, ctx)))]) {
        if (!r) continue;
        programs++;
        const race = checkOmpRaces(sourceOf(r), fn.name, lengths);
        expect(race.ok, `${describeMove(p, m)}:\n${sourceOf(r)}\n${JSON.stringify(race)}`).not.toBe(false);
      }
    }
    expect(programs).toBeGreaterThan(0);
    // Gauss-Seidel updates in place from updated neighbours: no loop of it runs in parallel
    if (f === 'seidel2d.c') expect(enumerateMoves(p, ctx).map((m) => describeMove(p, m))).not.toContainEqual(expect.stringMatching(/^omp (parallel for|simd)/));
  });

  it('each move on gemver, doitgen and fdtd-2d computes what the declared kernel does (compiled, run, compared exactly)', () => {
    const dir = tmp('kloop-writer-vla-');
    dirs.push(dir);
    for (const [f, call] of [
      ['gemver.c', 'gemver(N, 1.5, -0.5, B[0], B[1], B[2], B[3], B[4], B[5], B[6], B[7], B[8])'],
      ['doitgen.c', 'doitgen(N - 2, N - 3, N, B[0], B[1], B[2])'],
      ['fdtd2d.c', 'fdtd_2d(4, N, N - 1, B[0], B[1], B[2], B[3])'],
    ] as const) {
      const { p, fn } = programOf(f);
      const variants = enumerateMoves(p, ctx)
        .map((m) => applyMove(p, m, ctx))
        .filter((q): q is Program => !!q)
        .map((q, i) => sourceOf(q).replace(new RegExp(`\\b${fn.name}\\(`), `v${i}(`));
      expect(variants.length, f).toBeGreaterThan(2);
      const decls = variants.map((_, i) => `#define ${fn.name} v${i}\n  run(); dump(${i + 1});\n#undef ${fn.name}`).join('\n  ');
      const main = `#include <stdio.h>
#include <string.h>
enum { N = 13, K = 16 * 16 * 16 };
static double B[16][K], C[16][K];
static void fill(void) { for (int a = 0; a < 16; a++) for (int i = 0; i < K; i++) B[a][i] = ((i * 31 + a * 7) % 17) * 0.125 - 1.0; }
static int bad;
static void dump(int v) { for (int a = 0; a < 16; a++) if (memcmp(B[a], C[a], sizeof C[a])) { printf("variant %d differs in argument %d\\n", v - 1, a); bad = 1; } }
int main(void) {
  fill(); ${call.replace(fn.name, 'ref')}; memcpy(C, B, sizeof B);
#define run() (fill(), ${call})
  ${decls}
  return bad;
}
`;
      const src = `${readFileSync(join(FIXTURES, f), 'utf8').replace(new RegExp(`\\b${fn.name}\\(`), 'ref(')}\n${variants.join('\n')}\n${main}`;
      writeFileSync(join(dir, 'v.c'), src);
      execFileSync('gcc', ['-std=gnu11', '-w', '-O1', '-ffp-contract=off', join(dir, 'v.c'), '-o', join(dir, 'v'), '-lm']);
      expect(() => execFileSync(join(dir, 'v'), { encoding: 'utf8' }), f).not.toThrow();
    }
  }, 60_000);
});
