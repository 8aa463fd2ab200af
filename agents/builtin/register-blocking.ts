import { parseC } from '../../csyntax/index.js';
import type { Draft } from '../roles.js';
import { programKey } from './search.js';
import { findContractions, type Contraction } from './transforms/contraction.js';
import { describeParams, MARKER, microKernelBlock, microParamsOf, vectorTypedef, type MicroParams } from './transforms/microkernel.js';
import { cloneProgram, kernelOf, loopSites, sourceOf, type Program } from './transforms/index.js';

export interface RegisterBlockingContext {
  /** The reference's source: tuning regenerates from it, so every variant is one step from the reference. */
  referenceSource: string;
  fn: string;
  realType: 'float' | 'double';
  /** Widest vector the machine has, in bytes (16, 32 or 64), and its vector register count. */
  vectorBytes: number;
  vectorRegisters: number;
  allowedFlags: string[];
  tried: Set<string>;
}

/** A first set of register blocks to try: shapes that fill the register file, two cache blockings. */
function starts(vb: number, regs: number, omp: boolean): MicroParams[] {
  const shapes: [number, number][] =
    regs >= 32
      ? [
          [6, 4],
          [12, 2],
          [8, 3],
          [4, 4],
        ]
      : [
          [6, 2],
          [4, 3],
          [8, 1],
          [3, 4],
        ];
  const out: MicroParams[] = [];
  for (const [mr, nv] of shapes) out.push({ mr, nv, vb, kc: 256, nc: 128, pack: true, omp });
  out.push({ mr: shapes[0][0], nv: shapes[0][1], vb, kc: 128, nc: 256, pack: true, omp });
  out.push({ mr: shapes[0][0], nv: shapes[0][1], vb, kc: 256, nc: 128, pack: false, omp });
  return out;
}

/** One-step neighbours of a parameter set: each numeric choice up and down, each switch flipped. */
export function neighbours(p: MicroParams, maxVb: number): MicroParams[] {
  const out: MicroParams[] = [];
  const push = (q: Partial<MicroParams>) => out.push({ ...p, ...q });
  // cache blocking first (once the register tile is right, it decides), then the tile's shape, then the rest
  for (const f of [2, 0.5]) {
    if (p.kc * f >= 16 && p.kc * f <= 2048) push({ kc: p.kc * f });
    if (p.nc * f >= 16 && p.nc * f <= 4096) push({ nc: p.nc * f });
  }
  for (const d of [-1, 1]) if (p.mr + d >= 1 && p.mr + d <= 16) push({ mr: p.mr + d });
  for (const d of [-1, 1]) if (p.nv + d >= 1 && p.nv + d <= 6) push({ nv: p.nv + d });
  for (const d of [-2, 2]) if (p.mr + d >= 1 && p.mr + d <= 16) push({ mr: p.mr + d });
  for (const d of [-64, 64]) if (p.kc + d >= 32) push({ kc: p.kc + d });
  for (const f of [0.5, 2]) if (p.vb * f >= 16 && p.vb * f <= maxVb) push({ vb: p.vb * f });
  push({ pack: !p.pack });
  push({ omp: !p.omp });
  return out;
}

/** Registers a tile needs: accumulators, plus a vector per lane-moving operand and vector column. */
function registersNeeded(c: Contraction, p: MicroParams): number {
  const vectorLeaves = c.leaves.filter((l) => l.usesN).length;
  return p.mr * p.nv + Math.max(1, vectorLeaves) * p.nv + 1;
}

/** The kernel with every contraction nest replaced by its register-blocked form, or undefined. */
export function registerBlock(base: Program, p: MicroParams, realType: 'float' | 'double'): Program | undefined {
  const q = cloneProgram(base);
  const fn = kernelOf(q);
  const found = findContractions(fn, realType);
  if (!found.length) return undefined;
  // outermost nests only, last first (replacing one leaves the earlier sites' indices as they are)
  const sites = loopSites(fn.body);
  const outermost = found.filter((c) => !found.some((o) => o !== c && sites[c.site].outer.includes(sites[o.site].loop)));
  for (const c of [...outermost].sort((a, b) => b.site - a.site)) {
    const text = microKernelBlock(c, p, realType === 'double' ? 8 : 4, realType);
    if (!text) return undefined;
    sites[c.site].replace([{ k: 'raw', text }]);
  }
  const fnIndex = q.unit.items.indexOf(fn);
  q.unit.items.splice(fnIndex, 0, { k: 'raw', text: `/* ${MARKER} ${JSON.stringify(p)} */\n#include <stdlib.h>\n${[...new Set(outermost.map((c) => vectorTypedef(c, p, realType === 'double' ? 8 : 4)))].join('\n')}` });
  if (p.omp && !q.flags.includes('-fopenmp')) q.flags.push('-fopenmp');
  q.moves.push(`register-blocked micro-kernel: ${describeParams(p)}`);
  q.kinds.push(`microkernel:${p.mr}x${p.nv}`, `kc:${p.kc}`, `nc:${p.nc}`, `vb:${p.vb}`, ...(p.pack ? ['pack'] : []), ...(p.omp ? ['parallel'] : []));
  return q;
}

/**
 * Register-blocked micro-kernels with GCC vector extensions for the contractions in a kernel
 * (matrix products and their relatives): new ones from the baseline's program, or, when the
 * baseline is such a kernel already, the one-step neighbours of its parameters (tuning), each
 * regenerated from the reference so that a variant is never a patch over a patch.
 */
export function registerBlockingDrafts(baseline: { source: string; flags: string[] }, rc: RegisterBlockingContext, count: number): Draft[] {
  const current = microParamsOf(baseline.source);
  let base: Program;
  try {
    const source = current ? rc.referenceSource : baseline.source;
    base = { unit: parseC(source), fn: rc.fn, flags: [...baseline.flags], moves: [], kinds: [] };
    kernelOf(base);
  } catch {
    return [];
  }
  const contractions = findContractions(kernelOf(base), rc.realType);
  if (!contractions.length) return [];
  const omp = rc.allowedFlags.includes('-fopenmp');
  const candidates = current ? neighbours(current, rc.vectorBytes) : starts(rc.vectorBytes, rc.vectorRegisters, omp);
  const out: Draft[] = [];
  for (const p of candidates) {
    if (out.length >= count) break;
    if (p.omp && !omp) continue;
    if (contractions.some((c) => registersNeeded(c, p) > rc.vectorRegisters)) continue;
    const q = registerBlock(base, p, rc.realType);
    if (!q) continue;
    const source = sourceOf(q);
    const key = programKey(source, q.flags);
    if (rc.tried.has(key)) continue;
    rc.tried.add(key);
    out.push({ source, flags: q.flags, description: q.moves.join('; '), kinds: q.kinds });
  }
  return out;
}
