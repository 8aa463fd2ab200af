import { describe, expect, it } from 'vitest';
import { BuiltinWriter, programKey } from '../agents/builtin/index.js';
import type { ArchiveEntry, Draft, WriteContext } from '../agents/index.js';
import { resolveTarget } from '../targets/index.js';
import { writeContext } from './helpers.js';

const sum = resolveTarget('sum');
const context = (tried: Set<string>, more: Partial<WriteContext> = {}): WriteContext => writeContext(sum, { tried, ...more });

describe('never idle: a writer with nothing new widens its search', () => {
  it('the built-in writer, exhausted around the baseline, proposes again from an archived variant when widened', async () => {
    const writer = new BuiltinWriter({ depth: 1, beam: 2, searchMs: 2000 });
    const tried = new Set<string>();
    // Exhaust the baseline's neighbourhood at depth 1: every proposal tried, round after round.
    let first: Draft[] = [];
    for (let round = 0; round < 60; round++) {
      const drafts = await writer.write(context(tried));
      if (!round) first = drafts;
      if (!drafts.length) break;
      drafts.forEach((d) => tried.add(programKey(d.source, d.flags)));
    }
    const archived = first.find((d) => d.kinds.some((k) => k.startsWith('parallel'))) ?? first[0];
    const archive: ArchiveEntry[] = [{ source: archived.source, flags: archived.flags, kinds: archived.kinds }];
    expect(await writer.write(context(tried, { archive }))).toEqual([]); // widen 0: the archive is not used
    const widened = await writer.write(context(tried, { archive, widen: 1 }));
    expect(widened.length).toBe(4);
    expect(widened.every((d) => !tried.has(programKey(d.source, d.flags)))).toBe(true);
    const restarts = widened.filter((d) => d.description.startsWith('from the archived variant'));
    expect(restarts.length).toBeGreaterThan(0);
    // a restart's kinds are the archived variant's moves and the new ones
    for (const r of restarts) expect(r.kinds.slice(0, archived.kinds.length)).toEqual(archived.kinds);
    // without an archive, widening still searches deeper from the baseline
    const deeper = await writer.write(context(tried, { widen: 1 }));
    expect(deeper.length).toBeGreaterThan(0);
    expect(deeper.every((d) => d.kinds.length >= 2 || d.kinds.some((k) => ['sink', 'distribute'].includes(k)))).toBe(true);
  }, 60_000);
});
