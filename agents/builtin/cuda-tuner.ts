import { Rng } from '../../common/index.js';
import { cudaFlagsAllowed } from '../../devices/index.js';
import type { Draft, WriteContext } from '../roles.js';
import { insightStats } from './priors.js';
import { programKey } from './search.js';

/**
 * A tunable of a CUDA kernel file: `#define NAME VALUE // kloop: tune V1 V2 ...`. The values are the
 * search space; a kernel guards its own invalid combinations (static_assert), which then fail to build.
 */
export interface Tunable {
  name: string;
  value: string;
  options: string[];
}

const TUNE_LINE = /^([ \t]*#[ \t]*define[ \t]+)([A-Za-z_]\w*)([ \t]+)(\S+)([ \t]*\/\/[ \t]*kloop:[ \t]*tune[ \t]+)(.+)$/gm;

export function parseTunables(source: string): Tunable[] {
  return [...source.matchAll(TUNE_LINE)].map((m) => {
    const options = m[6].trim().split(/[\s,]+/);
    return { name: m[2], value: m[4], options: options.includes(m[4]) ? options : [...options, m[4]] };
  });
}

export function withTunables(source: string, values: Record<string, string>): string {
  return source.replace(TUNE_LINE, (all, pre: string, name: string, sp: string, value: string, mid: string, opts: string) => `${pre}${name}${sp}${values[name] ?? value}${mid}${opts}`);
}

/** The syntax-level move that applies to CUDA: `__restrict__` on the pointer parameters of `__global__` functions. */
export function restrictKernels(source: string): string {
  return source.replace(/(__global__[^{;]*?\()([^)]*)\)/g, (all, head: string, params: string) => {
    const p = params.replace(/(\breal|\bfloat|\bdouble)\s*\*\s*(?!__restrict__)([A-Za-z_]\w*)/g, '$1 *__restrict__ $2');
    return `${head}${p})`;
  });
}

/** Where `open` (an opening bracket) is closed, or -1. */
function closing(src: string, open: number): number {
  const pair: Record<string, string> = { '(': ')', '{': '}' };
  const o = src[open];
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === o) depth++;
    else if (src[i] === pair[o] && --depth === 0) return i;
  }
  return -1;
}

/**
 * Innermost `for` loops of `__global__` and `__device__` functions that start their own line and
 * carry no unroll pragma yet: the places a `#pragma unroll N` may go. Returns source offsets.
 */
export function innerKernelLoops(source: string): number[] {
  const out: number[] = [];
  for (const f of source.matchAll(/__(global|device)__[^;{]*\)\s*\{/g)) {
    const start = f.index! + f[0].length - 1;
    const end = closing(source, start);
    if (end < 0) continue;
    for (const m of source.slice(start, end).matchAll(/\bfor\s*\(/g)) {
      const at = start + m.index!;
      const lineStart = source.lastIndexOf('\n', at - 1) + 1;
      if (source.slice(lineStart, at).trim() !== '') continue;
      const prev = source.slice(source.lastIndexOf('\n', lineStart - 2) + 1, lineStart).trim();
      if (/^#\s*pragma\s+unroll/.test(prev)) continue;
      const paren = closing(source, source.indexOf('(', at));
      if (paren < 0) continue;
      let b = paren + 1;
      while (/\s/.test(source[b] ?? '')) b++;
      const bodyEnd = source[b] === '{' ? closing(source, b) : source.indexOf(';', b);
      if (bodyEnd < 0 || /\bfor\s*\(/.test(source.slice(b, bodyEnd))) continue;
      out.push(lineStart);
    }
  }
  return out;
}

/** `#pragma unroll N` before the loop whose line starts at `lineStart`. */
export function unrollLoop(source: string, lineStart: number, factor: number): string {
  const indent = /^[ \t]*/.exec(source.slice(lineStart))![0];
  return `${source.slice(0, lineStart)}${indent}#pragma unroll ${factor}\n${source.slice(lineStart)}`;
}

interface Proposal {
  values: Record<string, string>;
  source: string;
  flags: string[];
  description: string;
  kinds: string[];
  score: number;
}

/**
 * The built-in writer on a GPU: a search over the launch configuration and tunables the kernel
 * exposes. From the current baseline it proposes single-step neighbours (each tunable one option
 * up or down), then two-step moves and a random configuration, then flags, `#pragma unroll` on
 * innermost kernel loops and `__restrict__` (the syntax-level moves that apply to CUDA); a
 * baseline with no tunables is first replaced by the target's tunable starter. Memory's insights
 * and the analyzer's ideas order the proposals; tried programs are skipped.
 */
export function tuneCuda(ctx: WriteContext): Draft[] {
  const { target, baseline } = ctx;
  const rng = new Rng(ctx.seed);
  const out: Proposal[] = [];
  const seen = new Set(ctx.tried);
  seen.add(programKey(baseline.source, baseline.flags));
  const stats = insightStats(ctx.insights);
  const favoured = new Set(ctx.diagnosis.ideas.flatMap((i) => i.favour));
  const push = (p: Omit<Proposal, 'score'>) => {
    const key = programKey(p.source, p.flags);
    if (seen.has(key)) return;
    seen.add(key);
    let score = 1;
    for (const k of p.kinds) {
      const s = stats.get(k);
      if (s) score *= Math.min(8, Math.max(0.3, (1 + s.fail * 0.4) / (1 + s.keep * 1.5)));
      if (favoured.has(k.split(':')[0])) score *= 0.8;
    }
    out.push({ ...p, score: score * (1 + rng.next() * 0.05) });
  };

  let base = baseline.source;
  let tunables = parseTunables(base);
  if (!tunables.length && target.cuda?.starterSource) {
    base = target.cuda.starterSource;
    tunables = parseTunables(base);
    const values = Object.fromEntries(tunables.map((t) => [t.name, t.value]));
    push({ values, source: base, flags: baseline.flags, description: `tunable starter (${describe(values)})`, kinds: ['starter'] });
  }
  const current = Object.fromEntries(tunables.map((t) => [t.name, t.value]));
  const step = (values: Record<string, string>, t: Tunable, dir: number): Record<string, string> | undefined => {
    const i = t.options.indexOf(values[t.name]) + dir;
    return i >= 0 && i < t.options.length ? { ...values, [t.name]: t.options[i] } : undefined;
  };
  const propose = (values: Record<string, string>) => {
    const changed = tunables.filter((t) => values[t.name] !== current[t.name]);
    push({
      values,
      source: withTunables(base, values),
      flags: baseline.flags,
      description: `tune ${changed.map((t) => `${t.name} ${current[t.name]}→${values[t.name]}`).join(', ')}`,
      kinds: changed.map((t) => `tune:${t.name}=${values[t.name]}`),
    });
  };
  for (const t of tunables)
    for (const dir of [1, -1]) {
      const v = step(current, t, dir);
      if (v) propose(v);
    }
  for (let i = 0; i < tunables.length; i++)
    for (let j = i + 1; j < tunables.length; j++)
      for (const [a, b] of [
        [1, 1],
        [1, -1],
        [-1, 1],
        [-1, -1],
      ]) {
        const v1 = step(current, tunables[i], a);
        const v2 = v1 && step(v1, tunables[j], b);
        if (v2) propose(v2);
      }
  for (let n = 0; n < 4 && tunables.length; n++) propose(Object.fromEntries(tunables.map((t) => [t.name, rng.pick(t.options)])));
  for (const f of cudaFlagsAllowed(target)) if (!baseline.flags.includes(f)) push({ values: current, source: base, flags: [...baseline.flags, f], description: `flag ${f}`, kinds: [`flag:${f}`] });
  for (const [i, at] of innerKernelLoops(base).slice(0, 4).entries())
    for (const factor of [4, 2, 8]) {
      const line = base.slice(0, at).split('\n').length;
      push({ values: current, source: unrollLoop(base, at, factor), flags: baseline.flags, description: `#pragma unroll ${factor} on the inner loop at line ${line}`, kinds: [`unroll:${factor}`, `unroll-loop:${i}`] });
    }
  const restricted = restrictKernels(base);
  if (restricted !== base) push({ values: current, source: restricted, flags: baseline.flags, description: '__restrict__ on kernel pointer parameters', kinds: ['restrict'] });

  // The first proposal keeps its place (the starter); the rest by score, then the order made.
  const [first, ...rest] = out;
  const ordered = first?.kinds[0] === 'starter' ? [first, ...rest.sort((a, b) => a.score - b.score)] : out.sort((a, b) => a.score - b.score);
  return ordered.slice(0, ctx.slots.length).map((p) => ({ source: p.source, flags: p.flags, description: p.description, kinds: p.kinds }));
}

function describe(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
