import { arrayAccesses, canonicalLoop, coeffOf, forEachExpr, printExpr, type Expr, type For } from '../../csyntax/index.js';
import { isInnermost, loopSites } from './transforms/loops.js';
import { reductionClause } from './transforms/openmp.js';
import { kernelOf, type Program } from './transforms/program.js';

/**
 * A static estimate of a kernel's run time, in arbitrary units, used only to rank the writer's
 * proposals (the A/B timing decides). It counts, per innermost loop, the distinct memory accesses
 * by stride (contiguous, invariant, strided), serial reductions, calls and their vectorisation,
 * weighted by trip counts at the bench size; tiling, OpenMP parallelism and flags scale it.
 */
export interface CostContext {
  sizes: Record<string, number>;
  cores: number;
  vectorLanes: number;
}

function evalInt(e: Expr, env: Record<string, number>): number | undefined {
  switch (e.k) {
    case 'num':
      return parseFloat(e.text);
    case 'id':
      return env[e.name];
    case 'cast':
      return evalInt(e.arg, env);
    case 'un':
      return e.op === '-' ? -(evalInt(e.arg, env) ?? NaN) : undefined;
    case 'cond': {
      const c = evalInt(e.c, env);
      return c === undefined ? undefined : c ? evalInt(e.t, env) : evalInt(e.f, env);
    }
    case 'bin': {
      const a = evalInt(e.l, env);
      const b = evalInt(e.r, env);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b ? Math.trunc(a / b) : undefined;
        case '%': return b ? a % b : undefined;
        case '<': return +(a < b);
        case '>': return +(a > b);
        case '<=': return +(a <= b);
        case '>=': return +(a >= b);
        default: return undefined;
      }
    }
    default:
      return undefined;
  }
}

function trips(f: For, env: Record<string, number>): number {
  const c = canonicalLoop(f);
  if (!c) return 64;
  const lo = evalInt(c.lo, env);
  const hi = evalInt(c.hi, env);
  if (lo === undefined || hi === undefined) return 64;
  return Math.max(1, (hi - lo) / c.step);
}

const isParallel = (f: For) => f.pragmas.some((p) => /omp\s+parallel/.test(p));
const isSimd = (f: For) => f.pragmas.some((p) => /\bsimd\b/.test(p));
const isTileLoop = (f: For) => (canonicalLoop(f)?.step ?? 1) >= 8 && /_t$/.test(canonicalLoop(f)!.v);

function innermostCost(f: For, v: string, program: Program, ctx: CostContext): number {
  const fastMath = program.flags.includes('-ffast-math');
  const vec = isSimd(f) || fastMath;
  const accesses = arrayAccesses(f.body);
  const distinct = new Map<string, { coeff: ReturnType<typeof coeffOf>; write: boolean }>();
  for (const a of accesses) {
    const key = `${a.array}[${printExpr(a.idx)}]`;
    const prev = distinct.get(key);
    distinct.set(key, { coeff: coeffOf(a.idx, v), write: (prev?.write ?? false) || a.write });
  }
  let cost = 0;
  let serial = false;
  for (const { coeff, write } of distinct.values()) {
    if (coeff === 0) {
      // an invariant element written in the loop is a reduction through memory
      if (write) serial = true;
    } else if (coeff === 1 || coeff === -1) cost += 1 / ctx.vectorLanes;
    else cost += 4;
  }
  const red = reductionClause(f);
  if (red) serial = true;
  let calls = 0;
  forEachExpr(f.body, (e) => {
    if (e.k === 'call') calls++;
  });
  cost += calls * (vec ? 8 / ctx.vectorLanes : 8);
  if (serial && !(vec && red !== null)) cost += 4;
  return cost;
}

function hasStride(f: For, v: string): boolean {
  return arrayAccesses(f.body).some((a) => {
    const c = coeffOf(a.idx, v);
    return c !== 0 && c !== 1 && c !== -1;
  });
}

export function estimateCost(program: Program, ctx: CostContext): number {
  const fn = kernelOf(program);
  let total = 0;
  for (const site of loopSites(fn.body)) {
    const f = site.loop;
    if (!isInnermost(f)) continue;
    const chain = [...site.outer, f];
    const env: Record<string, number> = { ...ctx.sizes };
    for (const l of chain) {
      const c = canonicalLoop(l);
      if (c) env[c.v] = evalInt(c.lo, env) ?? 0;
    }
    const weight = chain.reduce((w, l) => w * trips(l, env), 1);
    const v = canonicalLoop(f)?.v ?? '';
    let cost = weight * innermostCost(f, v, program, ctx);
    if (chain.some(isParallel)) cost /= ctx.cores;
    // Tiling pays where data is reused across an outer loop of a deep nest, or accessed with a stride.
    const tiles = chain.filter(isTileLoop).length;
    if (tiles >= 2 && (chain.length - tiles >= 3 || hasStride(f, v))) cost *= 0.6;
    total += cost;
  }
  if (program.flags.includes('-funroll-loops')) total *= 0.98;
  if (fn.params.some((p) => p.ptr.includes('restrict'))) total *= 0.97;
  return total;
}
