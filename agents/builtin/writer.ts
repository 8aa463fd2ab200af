import { readFileSync } from 'node:fs';
import { Rng } from '../../common/index.js';
import { parseC } from '../../csyntax/index.js';
import { oneShotSessions, type Draft, type Writer, type WriterSession, type WriteContext } from '../roles.js';
import { tuneCuda } from './cuda-tuner.js';
import { priorFor } from './priors.js';
import { programKey, search } from './search.js';
import type { Program } from './transforms/index.js';

/** L1d and L2 sizes from sysfs (Linux), else typical values. */
function cacheSizes(): { l1Bytes: number; l2Bytes: number } {
  const read = (index: number, fallback: number) => {
    try {
      const t = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${index}/size`, 'utf8').trim();
      const n = parseInt(t, 10);
      return t.endsWith('K') ? n * 1024 : t.endsWith('M') ? n * 1024 * 1024 : n || fallback;
    } catch {
      return fallback;
    }
  };
  return { l1Bytes: read(0, 32 * 1024), l2Bytes: read(2, 1024 * 1024) };
}

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
    const { target, baseline } = ctx;
    // On a GPU: a search over the kernel's launch configuration and tunables.
    if (ctx.deviceProfile.fingerprint.kind === 'cuda') return tuneCuda(ctx);
    let unit;
    try {
      unit = parseC(baseline.source);
    } catch {
      return this.flagVariants(ctx);
    }
    const program: Program = { unit, fn: target.fn, flags: [...baseline.flags], moves: [], kinds: [] };
    const cache = cacheSizes();
    const favoured = new Set(ctx.diagnosis.ideas.flatMap((i) => i.favour));
    const proposals = search(program, {
      depth: this.opts.depth,
      beam: this.opts.beam,
      count: ctx.slots.length,
      moveCtx: { allowedFlags: target.allow.flags },
      costCtx: { sizes: target.benchSize, cores: ctx.cores, vectorLanes: this.opts.vectorLanes ?? 8, elementBytes: target.real === 'float' ? 4 : 8, ...cache },
      tried: ctx.tried,
      prior: (kinds) => priorFor(kinds, favoured, ctx.insights),
      rng: new Rng(ctx.seed),
      budgetMs: this.opts.searchMs,
    });
    return proposals.map((p) => ({ source: p.source, flags: p.program.flags, description: p.program.moves.join('; '), kinds: p.kinds }));
  }

  /** When the baseline is outside the parsable subset, only flags can change. */
  private flagVariants(ctx: WriteContext): Draft[] {
    const out: Draft[] = [];
    for (const f of ctx.target.allow.flags) {
      if (ctx.baseline.flags.includes(f)) continue;
      const flags = [...ctx.baseline.flags, f];
      if (ctx.tried.has(programKey(ctx.baseline.source, flags))) continue;
      out.push({ source: ctx.baseline.source, flags, description: `flag ${f}`, kinds: [`flag:${f}`] });
    }
    return out.slice(0, ctx.slots.length);
  }
}
