import { Rng } from '../../common/index.js';
import { parseC } from '../../csyntax/index.js';
import { arrayLengthsC } from '../../targets/index.js';
import { checkOmpRaces } from '../../verifiers/index.js';
import { oneShotSessions, type Draft, type Writer, type WriterSession, type WriteContext } from '../roles.js';
import { tuneCuda } from './cuda-tuner.js';
import { cacheSizes, vectorFacts } from './machine.js';
import { registerBlockingDrafts, type RegisterBlockingContext } from './register-blocking.js';
import { rejectedChains, startsRejected } from './rejected.js';
import { microParamsOf } from './transforms/microkernel.js';
import { priorFor } from './priors.js';
import { programKey, search } from './search.js';
import type { Program } from './transforms/index.js';

/**
 * The embedded default writer: real source-to-source transformations of the baseline's syntax
 * tree and flag variants, chosen by the static cost model, the analyzer's ideas and memory.
 */
export class BuiltinWriter implements Writer {
  readonly name = 'builtin';
  constructor(private readonly opts: { depth: number; beam: number; vectorLanes?: number; searchMs?: number }) {}

  async sessions(ctx: WriteContext): Promise<WriterSession[]> {
    return oneShotSessions(await this.write(ctx));
  }

  async write(ctx: WriteContext): Promise<Draft[]> {
    // On a GPU: a search over the kernel's launch configuration and tunables.
    if (ctx.deviceProfile.fingerprint.kind === 'cuda') return tuneCuda(ctx);
    // Widened (the baseline's neighbourhood gave nothing new): deeper chains, a wider beam, and
    // restarts from archived variants (two more per widening) as well as the baseline.
    const widen = Math.max(0, ctx.widen ?? 0);
    const starts: Start[] = [{ source: ctx.baseline.source, flags: ctx.baseline.flags, kinds: [] }, ...(widen ? (ctx.archive ?? []).slice(0, 2 * widen).map((e) => ({ ...e, archived: true })) : [])];
    const budgetMs = ((this.opts.searchMs ?? 3000) * (1 + widen)) / starts.length;
    const lists: Draft[][] = [];
    for (const [k, start] of starts.entries()) lists.push(await this.fromStart(ctx, start, { depth: this.opts.depth + widen, beam: this.opts.beam * (1 + widen), budgetMs, seed: ctx.seed + k }));
    if (lists.length === 1) return lists[0];
    // Round-robin over the starts, so that every restart gets its share of the slots.
    const out: Draft[] = [];
    const seen = new Set<string>();
    for (let i = 0; out.length < ctx.slots.length && lists.some((l) => i < l.length); i++)
      for (const l of lists) {
        const d = l[i];
        if (!d || out.length >= ctx.slots.length || seen.has(programKey(d.source, d.flags))) continue;
        seen.add(programKey(d.source, d.flags));
        out.push(d);
      }
    return out;
  }

  /** The beam search from one start (the baseline, or an archived variant). */
  private async fromStart(ctx: WriteContext, start: Start, o: { depth: number; beam: number; budgetMs: number; seed: number }): Promise<Draft[]> {
    const { target } = ctx;
    const rb: RegisterBlockingContext = { referenceSource: target.referenceSource, fn: target.fn, realType: target.real, ...vectorFacts(), allowedFlags: target.allow.flags, tried: new Set(ctx.tried) };
    const own = (d: Draft): Draft => ({ ...d, description: describe(start, d.description), kinds: [...start.kinds, ...d.kinds] });
    // A register-blocked start is tuned: one-step neighbours of its parameters, then flags.
    if (microParamsOf(start.source))
      return [...registerBlockingDrafts(start, rb, 2 * ctx.slots.length).map(own), ...this.flagVariants(ctx, start)].filter((d) => !startsRejected(d.kinds, rejectedChains(ctx.insights))).slice(0, ctx.slots.length);
    // Contractions (products and their relatives) get register-blocked micro-kernels beside the search's moves.
    const rejected = rejectedChains(ctx.insights);
    // What the gate's race analysis would refuse is never proposed (it would only count as a rejection).
    const lengths = arrayLengthsC(target);
    const screen = (source: string) => checkOmpRaces(source, target.fn, lengths).ok !== false;
    const blocked = registerBlockingDrafts(start, rb, Math.max(1, Math.floor(ctx.slots.length / 2)))
      .map(own)
      .filter((d) => !startsRejected(d.kinds, rejected) && screen(d.source));
    let unit;
    try {
      unit = parseC(start.source);
    } catch {
      return this.flagVariants(ctx, start);
    }
    const program: Program = { unit, fn: target.fn, flags: [...start.flags], moves: [], kinds: [] };
    const cache = cacheSizes();
    const favoured = new Set(ctx.diagnosis.ideas.flatMap((i) => i.favour));
    const proposals = await search(program, {
      depth: o.depth,
      beam: o.beam,
      count: ctx.slots.length - blocked.length,
      // Array lengths: a loop that accumulates into a whole array is parallelised with an
      // array-section reduction over it (the gate's race layer judges those sections).
      moveCtx: { allowedFlags: target.allow.flags, cores: ctx.cores, sizes: target.checkSizes, arrayLengths: lengths },
      costCtx: {
        sizes: target.benchSize,
        cores: ctx.cores,
        vectorLanes: this.opts.vectorLanes ?? 8,
        elementBytes: target.real === 'float' ? 4 : 8,
        arrayBytes: Object.fromEntries(target.arrays.filter((a) => a.int).map((a) => [a.name, a.int!.bytes])),
        ...cache,
      },
      tried: ctx.tried,
      excluded: (kinds) => startsRejected([...start.kinds, ...kinds], rejected),
      prior: (kinds) => priorFor(kinds, favoured, ctx.insights, ctx.familyWeights),
      rng: new Rng(o.seed),
      budgetMs: o.budgetMs,
      predict: ctx.predict,
      pause: ctx.pause,
      screen,
    });
    return [...blocked, ...proposals.map((p) => ({ source: p.source, flags: p.program.flags, description: describe(start, p.program.moves.join('; ')), kinds: [...start.kinds, ...p.kinds] }))].slice(0, ctx.slots.length);
  }

  /** When the start is outside the parsable subset, only flags can change. */
  private flagVariants(ctx: WriteContext, start: Start): Draft[] {
    const out: Draft[] = [];
    for (const f of ctx.target.allow.flags) {
      if (start.flags.includes(f)) continue;
      const flags = [...start.flags, f];
      if (ctx.tried.has(programKey(start.source, flags))) continue;
      out.push({ source: start.source, flags, description: describe(start, `flag ${f}`), kinds: [...start.kinds, `flag:${f}`] });
    }
    return out.slice(0, ctx.slots.length);
  }
}

/** Where a search starts: the baseline, or a variant from the archive. */
interface Start {
  source: string;
  flags: string[];
  kinds: string[];
  archived?: boolean;
}

const describe = (start: Start, moves: string) => (start.archived ? `from the archived variant (${[...new Set(start.kinds)].join(', ') || 'a kept kernel'}): ${moves}` : moves);
