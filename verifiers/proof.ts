import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lex } from '../csyntax/index.js';
import type { Device } from '../devices/index.js';
import { describeExit } from '../sandboxes/index.js';
import { evalExpr, type Size, type Target } from '../targets/index.js';
import { generateProofHarness } from './proof-harness.js';
import { SYMBOLIC_HEADER } from './symbolic-header.js';

export interface ProofResult {
  /** proved: equal normal forms at every size; inapplicable: the method does not decide;
   *  disproved: a pure polynomial differs (a different function over the reals). */
  status: 'proved' | 'inapplicable' | 'disproved';
  reason: string;
  sizes: Size[];
  ms: number;
}

const INTRINSICS = /\b(_mm\d*_\w+|__m(64|128|256|512)[di]?|vld1q?_\w+|vst1q?_\w+|float32x4_t|svfloat32_t)\b/;

/** Integer constants a kernel uses (tile sizes, unroll factors): the residues to cover. */
export function factorsOf(source: string): number[] {
  const out = new Set<number>();
  try {
    for (const t of lex(source)) if (t.kind === 'num' && /^\d+[uUlL]*$/.test(t.text)) out.add(parseInt(t.text, 10));
  } catch {
    /* unreadable: no factors */
  }
  return [...out].filter((n) => n >= 2 && n <= 4096).sort((a, b) => a - b);
}

/**
 * Sizes covering every residue of every factor t the candidate uses: each size symbol swept over
 * 1..2t+1 with the others small, plus a diagonal; bounded by a work budget (symbolic flops).
 */
export function proofSizes(t: Target, source: string, budget: number): { sizes: Size[] } | { tooBig: string } {
  const factors = factorsOf(source);
  const top = Math.max(4, ...factors);
  const span = 2 * top + 1;
  const small: Size = {};
  for (const s of t.sizeSymbols) small[s] = Math.max(t.limits[s].min, 3);
  const seen = new Set<string>();
  const sizes: Size[] = [];
  const add = (z: Size) => {
    const k = JSON.stringify(z);
    if (!seen.has(k)) seen.add(k), sizes.push(z);
  };
  for (const s of t.sizeSymbols) for (let v = t.limits[s].min; v <= span; v++) add({ ...small, [s]: v });
  for (let v = 1; v <= Math.min(span, 17); v++) {
    const z: Size = {};
    for (const s of t.sizeSymbols) z[s] = Math.max(t.limits[s].min, v);
    add(z);
  }
  const work = sizes.reduce((w, z) => w + Math.max(1, evalExpr(t.flops, z)), 0);
  if (work > budget) return { tooBig: `covering the residues of factor ${top} needs sizes up to ${span} per dimension (${work.toExponential(1)} symbolic operations, bound ${budget.toExponential(1)})` };
  return { sizes };
}

/** Bounded proof of equality over the reals: reference and candidate over the symbolic type. */
export async function boundedProof(device: Device, t: Target, source: string, workDir: string, budget = 3e6): Promise<ProofResult> {
  const t0 = performance.now();
  const done = (status: ProofResult['status'], reason: string, sizes: Size[] = []): ProofResult => ({ status, reason, sizes, ms: performance.now() - t0 });
  if (INTRINSICS.test(source)) return done('inapplicable', 'uses SIMD intrinsics, which the symbolic type does not model');
  const plan = proofSizes(t, source, budget);
  if ('tooBig' in plan) return done('inapplicable', plan.tooBig);
  const harness = generateProofHarness(t);
  const ref = await device.buildProof({ target: t, source: t.referenceSource, workDir, name: 'reference', harness, header: SYMBOLIC_HEADER });
  if (!ref.ok) return done('inapplicable', 'the reference does not build over the symbolic type');
  const cand = await device.buildProof({ target: t, source, workDir, name: 'candidate', harness, header: SYMBOLIC_HEADER });
  if (!cand.ok) {
    const first = cand.log.split('\n').find((l) => /error/.test(l))?.trim().slice(0, 200) ?? '';
    return done('inapplicable', `does not build over the symbolic type (${first})`);
  }
  const sizesFile = join(workDir, 'proof-sizes.txt');
  writeFileSync(sizesFile, plan.sizes.map((z) => t.sizeSymbols.map((s) => z[s]).join(' ')).join('\n') + '\n');
  const run = async (binary: string, name: string) => {
    const out = join(workDir, `proof-${name}.out`);
    const r = await device.runTool({ binary, args: [sizesFile, out], workDir, timeoutMs: 20_000 });
    return { r, lines: r.exitCode === 0 ? readFileSync(out, 'utf8').trim().split('\n') : [] };
  };
  const a = await run(ref.binary!, 'reference');
  if (a.r.timedOut) return done('inapplicable', 'the symbolic evaluation of the reference ran out of time');
  if (a.r.exitCode !== 0) return done('inapplicable', `the reference's proof run failed (${describeExit(a.r)})`);
  if (a.lines.at(-1)?.startsWith('INAPPLICABLE')) return done('inapplicable', `the reference: ${a.lines.at(-1)!.slice(13)}`);
  const b = await run(cand.binary!, 'candidate');
  if (b.r.timedOut) return done('inapplicable', 'the symbolic evaluation of the candidate ran out of time');
  if (b.r.exitCode !== 0) return done('inapplicable', `the candidate's proof run failed (${describeExit(b.r)})`);
  if (b.lines.at(-1)?.startsWith('INAPPLICABLE')) return done('inapplicable', b.lines.at(-1)!.slice(13));
  for (let i = 0; i < plan.sizes.length; i++) {
    const ra = a.lines[i]?.split(' ') ?? [];
    const rb = b.lines[i]?.split(' ') ?? [];
    const n = t.sizeSymbols.length;
    for (let k = n; k < Math.max(ra.length, rb.length); k++) {
      if (ra[k] === rb[k]) continue;
      const size = plan.sizes[i];
      // Two different polynomials are different functions over the reals: a disproof.
      if (ra[k] && rb[k] && !ra[k].endsWith('a') && !rb[k].endsWith('a'))
        return done('disproved', `a different polynomial of the inputs at ${JSON.stringify(size)}, output element ${k - n}`, plan.sizes.slice(0, i));
      return done('inapplicable', `normal forms differ at ${JSON.stringify(size)}, output element ${k - n} (equal functions in another form cannot be decided here)`, plan.sizes.slice(0, i));
    }
  }
  const omp = /#\s*pragma\s+omp/.test(source) ? '; OpenMP loops shown free of races by data-sharing analysis, so any order of their iterations computes the same' : '';
  return done('proved', `equal over the reals at ${plan.sizes.length} sizes covering every residue of ${factorsOf(source).join(', ') || 'its loops'}${omp}`, plan.sizes);
}
