import { arrayAccesses, canonicalLoop, coeffOf, forEachExpr, parseC, type Func } from '../../csyntax/index.js';
import { isInnermost, loopSites } from './transforms/loops.js';
import { reductionClause } from './transforms/openmp.js';

/** What a static look at a kernel's loops shows: the analyzer's evidence. */
export interface KernelFacts {
  parsed: boolean;
  loops: number;
  maxDepth: number;
  stridedInnermost: string[];
  serialReductions: string[];
  callsInInnermost: string[];
  parallel: boolean;
  simd: boolean;
  tiled: boolean;
}

export function kernelFacts(source: string, fnName: string): KernelFacts {
  const facts: KernelFacts = { parsed: false, loops: 0, maxDepth: 0, stridedInnermost: [], serialReductions: [], callsInInnermost: [], parallel: false, simd: false, tiled: false };
  let fn: Func | undefined;
  try {
    fn = parseC(source).items.find((t): t is Func => t.k === 'func' && t.name === fnName);
  } catch {
    return facts;
  }
  if (!fn) return facts;
  facts.parsed = true;
  for (const site of loopSites(fn.body)) {
    const f = site.loop;
    facts.loops++;
    facts.maxDepth = Math.max(facts.maxDepth, site.outer.length + 1);
    if (f.pragmas.some((p) => /omp\s+parallel/.test(p))) facts.parallel = true;
    if (f.pragmas.some((p) => /\bsimd\b/.test(p))) facts.simd = true;
    const c = canonicalLoop(f);
    if (c && /_t$/.test(c.v)) facts.tiled = true;
    if (!isInnermost(f) || !c) continue;
    for (const a of arrayAccesses(f.body)) {
      const k = coeffOf(a.idx, c.v);
      if (k !== 0 && k !== 1 && k !== -1) facts.stridedInnermost.push(`${a.array} in loop ${c.v}`);
    }
    const red = reductionClause(f);
    if (red && !f.pragmas.some((p) => /\bsimd\b/.test(p))) facts.serialReductions.push(`${red} in loop ${c.v}`);
    forEachExpr(f.body, (e) => {
      if (e.k === 'call' && e.fn.k === 'id') facts.callsInInnermost.push(e.fn.name);
    });
  }
  facts.stridedInnermost = [...new Set(facts.stridedInnermost)];
  facts.callsInInnermost = [...new Set(facts.callsInInnermost)];
  return facts;
}
