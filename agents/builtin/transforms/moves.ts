import { canonicalLoop, forEachStmt, printExpr, type For } from '../../../csyntax/index.js';
import { Dependences } from './dependence.js';
import { bodyStmts, isInnermost, loopSites, perfectNest, soleInnerLoop } from './loops.js';
import { declaredArrayReductions, hoistTeam, isTeamLoop, ompLoopPragma, parallelize, refreshReductionClause, reschedule, restrictParams, setThreads, simd, teamHolds } from './openmp.js';
import { cloneProgram, kernelOf, type Program } from './program.js';
import { distribute, fuse, interchange, namesIn, nextSibling, sinkAccumulator, tile } from './restructure.js';
import { timeNest, timeTile } from './time-tile.js';
import { unroll, unrollAndJam, unsignedNames } from './unroll.js';

export const MOVE_KINDS = ['interchange', 'distribute', 'fuse', 'sink', 'tile', 'time-tile', 'unroll', 'unroll-jam', 'parallel', 'team', 'schedule', 'threads', 'simd', 'restrict', 'flag'] as const;
export type MoveKind = (typeof MOVE_KINDS)[number];

export interface Move {
  kind: MoveKind;
  /** Pre-order index of the loop it applies to (-1 for whole-kernel moves). */
  loop: number;
  param?: number | string;
}

export interface MoveContext {
  /** Flags the target permits. */
  allowedFlags: string[];
  /** Sizes the dependence analysis runs the loops at (the target's check sizes); small values of the size parameters if absent. */
  sizes?: Record<string, number>[];
  /** Cores of the device (thread-count choices); 2 if absent. */
  cores?: number;
  /** Each array parameter's length as a C expression (for array reductions). */
  arrayLengths?: Record<string, string>;
}

const analyses = new WeakMap<Program, Dependences>();

/**
 * The dependence analysis of a program (dependence.ts), once per program: at the given sizes that
 * it can run within its limit, plus two small ones; none that ran to its end means every move
 * that needs it is refused.
 */
export function dependencesOf(p: Program, ctx: MoveContext): Dependences {
  let d = analyses.get(p);
  if (!d) {
    const fn = kernelOf(p);
    const small = [5, 8].map((n) => Object.fromEntries(fn.params.filter((x) => !x.ptr).map((x) => [x.name, n])));
    d = Dependences.of(fn, [...(ctx.sizes ?? []), ...small]);
    analyses.set(p, d);
  }
  return d;
}

const TILE_SIZES = [16, 32, 64, 128];
/** Time tiles: steps x points (a 1-D sweep wants wide tiles, a sweep over rows of a 2-D grid narrow ones). */
const TIME_TILES = ['16x16', '32x64', '64x256', '32x512'];
const UNROLL = [2, 4, 8];
/** Unroll-and-jam factors: 8 and 16 let the copies of a strided access fill a vector (a transpose's column writes). */
const JAM = [2, 4, 8, 16];
/** OpenMP schedules a parallel loop may be given (its iterations' order changes, never which run). */
const SCHEDULES = ['static', 'static,1', 'dynamic,4', 'guided'];

function loopVar(p: Program, loop: number): string {
  const site = loopSites(kernelOf(p).body)[loop];
  return site ? (canonicalLoop(site.loop)?.v ?? `#${loop}`) : `#${loop}`;
}

export function describeMove(p: Program, m: Move): string {
  const v = m.loop >= 0 ? loopVar(p, m.loop) : '';
  switch (m.kind) {
    case 'interchange': {
      const site = loopSites(kernelOf(p).body)[m.loop];
      const inner = site && soleInnerLoop(site.loop);
      return `interchange ${v}<->${inner ? (canonicalLoop(inner)?.v ?? '?') : '?'}`;
    }
    case 'distribute':
      return `distribute loop ${v} after statement ${m.param}`;
    case 'fuse':
      return `fuse loop ${v} with the next loop`;
    case 'sink':
      return `sink accumulator into memory in loop ${v}`;
    case 'tile': {
      const site = loopSites(kernelOf(p).body)[m.loop];
      const vars = site ? perfectNest(site.loop).canon.map((c) => c.v) : [];
      return `tile ${vars.join(',')} by ${m.param}`;
    }
    case 'time-tile':
      return `time-tile ${v} by ${String(m.param).replace('x', ' steps x ')} points`;
    case 'unroll':
      return `unroll ${v} by ${m.param}`;
    case 'unroll-jam':
      return `unroll-and-jam ${v} by ${m.param}`;
    case 'parallel':
      return `omp parallel for on ${v}`;
    case 'team':
      return `one thread team around ${v} (its parallel loops become omp for)`;
    case 'schedule':
      return `schedule(${m.param}) on ${v}`;
    case 'threads':
      return `num_threads(${m.param}) on ${v}`;
    case 'simd':
      return `omp simd on ${v}`;
    case 'restrict':
      return 'restrict pointers';
    case 'flag':
      return `flag ${m.param}`;
  }
}

/** A remainder loop left by unrolling (marked, or recognised by its start `x / f * f` after a re-parse). */
function isCold(f: For): boolean {
  if (f.cold) return true;
  const c = canonicalLoop(f);
  return !!c && /\/ \d+ \* \d+/.test(printExpr(c.lo));
}

/** Loops produced by tiling (their variables end in _t): a nest is tiled once. */
function isTiled(loops: For[]): boolean {
  return loops.some((l) => /_t$/.test(canonicalLoop(l)?.v ?? ''));
}

/** Apply a move to a copy of the program; undefined if it does not apply. */
export function applyMove(p: Program, m: Move, ctx: MoveContext): Program | undefined {
  if (m.kind === 'distribute' && m.param === AROUND) return distributeAround(p, m.loop, ctx);
  // legality first: most moves a search tries are refused, and copying the program is the dear part
  if (m.loop >= 0 && !loopOf(p, m)) return undefined;
  if (!legal(p, m, ctx)) return undefined;
  const q = cloneProgram(p);
  const fn = kernelOf(q);
  const desc = describeMove(p, m);
  const site = m.loop >= 0 ? loopSites(fn.body)[m.loop] : undefined;
  if (m.loop >= 0 && !site) return undefined;
  let ok = false;
  switch (m.kind) {
    case 'interchange':
      ok = interchange(site!);
      break;
    case 'distribute':
      ok = distribute(site!, Number(m.param));
      break;
    case 'fuse':
      ok = fuse(fn.body, site!.loop);
      break;
    case 'sink':
      ok = sinkAccumulator(site!);
      break;
    case 'tile': {
      const nest = perfectNest(site!.loop).loops;
      ok = nest.length >= 2 && !isTiled([...site!.outer, ...nest]) && tile(site!, nest, Number(m.param));
      break;
    }
    case 'time-tile': {
      const nest = timeNest(site!.loop);
      const skew = timeSkewOf(p, m, ctx);
      const [steps, width] = String(m.param).split('x').map(Number);
      ok = !!nest && !!skew && !isTiled([...site!.outer, site!.loop]) && timeTile(site!, nest, skew, steps, width, new Set([...namesIn(fn.body), ...fn.params.map((x) => x.name)]));
      break;
    }
    case 'unroll':
      ok = unroll(site!, Number(m.param), unsignedNames(fn));
      break;
    case 'unroll-jam':
      ok = unrollAndJam(site!, Number(m.param), unsignedNames(fn));
      break;
    case 'parallel':
      ok = ctx.allowedFlags.includes('-fopenmp') && parallelize(site!, arrayReductions(p, m, ctx));
      break;
    case 'team':
      ok = ctx.allowedFlags.includes('-fopenmp') && hoistTeam(site!);
      break;
    case 'schedule':
      ok = reschedule(site!.loop, String(m.param));
      break;
    case 'threads':
      ok = setThreads(site!.loop, Number(m.param));
      break;
    case 'simd':
      ok = ctx.allowedFlags.includes('-fopenmp') && simd(site!);
      break;
    case 'restrict':
      ok = restrictParams(fn);
      break;
    case 'flag':
      ok = ctx.allowedFlags.includes(String(m.param)) && !q.flags.includes(String(m.param));
      if (ok) q.flags.push(String(m.param));
      break;
  }
  if (!ok) return undefined;
  if ((RESTRUCTURING.has(m.kind) || m.kind === 'team') && !ompLoopsHold(q, ctx)) return undefined;
  let usesOmp = false;
  forEachStmt(fn.body, (s) => (usesOmp ||= s.k === 'for' && s.pragmas.some((x) => /#pragma\s+omp/.test(x))));
  if (usesOmp && !q.flags.includes('-fopenmp')) q.flags.push('-fopenmp');
  q.moves.push(desc);
  q.kinds.push(m.param !== undefined && m.kind !== 'distribute' ? `${m.kind}:${m.param}` : m.kind);
  return q;
}

/** `distribute` with this parameter: split a loop before and after the one loop in its body. */
const AROUND = 'around';

/**
 * Isolate the one loop in a loop's body: distribute before it and after it (each split judged
 * legal on the program it applies to), so that the nest it leaves is perfect and can be
 * interchanged or tiled (covariance's `for j { c = 0; for k ...; c /= n; }`).
 */
function distributeAround(p: Program, loop: number, ctx: MoveContext): Program | undefined {
  const f = loopOf(p, { kind: 'distribute', loop });
  if (!f) return undefined;
  const stmts = bodyStmts(f);
  const at = stmts.findIndex((x) => x.k === 'for');
  let q: Program | undefined = p;
  // the part before the inner loop holds no loop, so the rest becomes the next loop in pre-order
  let rest = loop;
  if (at > 0) {
    q = applyMove(q, { kind: 'distribute', loop, param: at }, ctx);
    rest = loop + 1;
  }
  if (q && at < stmts.length - 1) q = applyMove(q, { kind: 'distribute', loop: rest, param: 1 }, ctx);
  return q === p ? undefined : q;
}

/** Moves that copy, split, merge or reorder statements: OpenMP loops they touch are checked again afterwards. */
const RESTRUCTURING: ReadonlySet<MoveKind> = new Set(['interchange', 'distribute', 'fuse', 'sink', 'tile', 'time-tile', 'unroll', 'unroll-jam']);

/**
 * Every OpenMP loop of a program after a restructuring move still holds, judged on the program as
 * it now is (a move's legality was judged before it): its scalar reduction clause names what its
 * body now reduces (rewritten if a copy added one), a parallel loop carries no dependence but on
 * the arrays its clause reduces, and a simd loop none at all. Composed moves (simd, then
 * unroll-and-jam around it; tiling, then a parallel tile loop) are thus checked as composed.
 */
function ompLoopsHold(q: Program, ctx: MoveContext): boolean {
  const loops: For[] = [];
  const teams: For[] = [];
  forEachStmt(kernelOf(q).body, (s) => {
    if (s.k === 'for' && ompLoopPragma(s) >= 0) loops.push(s);
    if (s.k === 'for' && isTeamLoop(s)) teams.push(s);
  });
  // a team's body must still be only worksharing loops and loops every thread runs alike
  if (!teams.every(teamHolds)) return false;
  if (!loops.length) return true;
  const deps = dependencesOf(q, ctx);
  for (const f of loops) {
    if (!refreshReductionClause(f)) return false;
    const pragma = f.pragmas[ompLoopPragma(f)];
    if (/\bsimd\b/.test(pragma) && !deps.independent(f)) return false;
    if (/omp\s+(parallel\s+)?for\b/.test(pragma)) {
      const arrays = deps.independentUpToReductions(f);
      const declared = declaredArrayReductions(pragma);
      if (!arrays || [...arrays].some((a) => !declared.has(a))) return false;
    }
  }
  return true;
}

/** The loop a move names, in the program before the move. */
function loopOf(p: Program, m: Move): For | undefined {
  return m.loop >= 0 ? loopSites(kernelOf(p).body)[m.loop]?.loop : undefined;
}

/**
 * Is the move legal by the dependence analysis? Reordering moves must keep every dependence's
 * direction: interchange and unroll-and-jam need no dependence forward in one loop and backward in
 * the other, tiling a fully permutable nest, distribution no dependence from the second part back
 * to the first, parallel and simd loops no carried dependence (scalar reductions get a clause, and
 * arrays only accumulated into an array reduction). Unrolling, sinking, restrict and flags do not
 * reorder anything.
 */
export function legal(p: Program, m: Move, ctx: MoveContext): boolean {
  const loop = loopOf(p, m);
  switch (m.kind) {
    case 'interchange': {
      const inner = loop && soleInnerLoop(loop);
      return !!inner && dependencesOf(p, ctx).interchangeable(loop!, inner);
    }
    case 'unroll-jam': {
      if (!loop) return false;
      const inners = loopSites({ k: 'block', body: [loop] })
        .map((s) => s.loop)
        .filter((l) => l !== loop);
      return dependencesOf(p, ctx).jammable(loop, inners);
    }
    case 'tile':
      return !!loop && dependencesOf(p, ctx).permutable(perfectNest(loop).loops);
    case 'time-tile':
      return !!timeSkewOf(p, m, ctx);
    case 'distribute':
      return !!loop && dependencesOf(p, ctx).distributable(loop, Number(m.param));
    case 'fuse': {
      const next = loop && nextSibling(kernelOf(p).body, loop);
      return !!next && dependencesOf(p, ctx).fusable(loop!, next);
    }
    case 'simd':
      return !!loop && dependencesOf(p, ctx).independent(loop);
    case 'parallel':
      return !!loop && arrayReductions(p, m, ctx) !== undefined;
    default:
      return true;
  }
}

/** The shifts and skew that make a time loop's tiles legal (dependence.ts), if it has the shape (time-tile.ts). */
function timeSkewOf(p: Program, m: Move, ctx: MoveContext): { shifts: number[]; skew: number } | undefined {
  const loop = loopOf(p, m);
  const nest = loop && timeNest(loop);
  const skew = nest && dependencesOf(p, ctx).timeSkew(loop!, nest.parts);
  // one sweep with no skew is a rectangular tile: the tile move's
  return skew && (skew.skew > 0 || nest!.parts.length > 1) ? skew : undefined;
}

/** Arrays a parallel loop must reduce (empty: none), or undefined if the loop is not parallel. */
function arrayReductions(p: Program, m: Move, ctx: MoveContext): { array: string; length: string }[] | undefined {
  const loop = loopOf(p, m);
  const arrays = loop && dependencesOf(p, ctx).independentUpToReductions(loop);
  if (!arrays) return undefined;
  const out: { array: string; length: string }[] = [];
  for (const a of arrays) {
    const length = ctx.arrayLengths?.[a];
    if (!length) return undefined;
    out.push({ array: a, length });
  }
  return out;
}

/** Every move that applies to the program. */
export function enumerateMoves(p: Program, ctx: MoveContext): Move[] {
  return expand(p, ctx).map((x) => x.move);
}

/** Every move that applies, with the program it yields. */
export function expand(p: Program, ctx: MoveContext, only?: ReadonlySet<MoveKind>): { move: Move; program: Program }[] {
  const fn = kernelOf(p);
  const sites = loopSites(fn.body);
  const tries: Move[] = [];
  sites.forEach((s, i) => {
    if ([s.loop, ...s.outer].some(isCold)) return;
    tries.push({ kind: 'interchange', loop: i }, { kind: 'fuse', loop: i }, { kind: 'sink', loop: i }, { kind: 'parallel', loop: i }, { kind: 'team', loop: i }, { kind: 'simd', loop: i });
    SCHEDULES.forEach((sc) => tries.push({ kind: 'schedule', loop: i, param: sc }));
    for (const n of new Set([1, Math.floor((ctx.cores ?? 2) / 2)])) if (n >= 1 && n < (ctx.cores ?? 2)) tries.push({ kind: 'threads', loop: i, param: n });
    const n = bodyStmts(s.loop).length;
    for (let at = 1; at < n; at++) tries.push({ kind: 'distribute', loop: i, param: at });
    if (n > 1 && bodyStmts(s.loop).filter((x) => x.k === 'for').length === 1) tries.push({ kind: 'distribute', loop: i, param: AROUND });
    if (perfectNest(s.loop).loops.length >= 2) TILE_SIZES.forEach((t) => tries.push({ kind: 'tile', loop: i, param: t }));
    if (timeNest(s.loop)) TIME_TILES.forEach((t) => tries.push({ kind: 'time-tile', loop: i, param: t }));
    if (isInnermost(s.loop)) UNROLL.forEach((u) => tries.push({ kind: 'unroll', loop: i, param: u }));
    else JAM.forEach((u) => tries.push({ kind: 'unroll-jam', loop: i, param: u }));
  });
  tries.push({ kind: 'restrict', loop: -1 });
  for (const f of ctx.allowedFlags) if (f !== '-fopenmp') tries.push({ kind: 'flag', loop: -1, param: f });
  const out: { move: Move; program: Program }[] = [];
  for (const move of tries) {
    if (only && !only.has(move.kind)) continue;
    const program = applyMove(p, move, ctx);
    if (program) out.push({ move, program });
  }
  return out;
}
