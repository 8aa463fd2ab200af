import { existsSync, readFileSync, renameSync } from 'node:fs';
import { MemoryFormatError } from './errors.js';
import { sameBaseline } from './size-key.js';
import { winnerId, type State, type TriedRecord } from './file-format.js';
import { emptyMemory, type Insight, type MemoryData, type Review, type Winner } from './types.js';

/** A memory.json written by an earlier kloop (one lowdb document). */
export function readLegacy(file: string): MemoryData {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MemoryFormatError(file, 'not valid JSON: fix or move it, kloop imports it into the memory folder next to it', { cause: e });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MemoryFormatError(file, 'not a kloop memory document');
  return { ...emptyMemory(), ...(v as Partial<MemoryData>) };
}

/** What the store holds already, so that importing twice (a crash mid-way, say) adds nothing twice. */
export interface Held {
  state: State;
  tried(target: string, fingerprint: string): Set<string>;
  insights: readonly Insight[];
  winnerIds: ReadonlySet<string>;
  reviewed: ReadonlySet<string>;
}

/**
 * What an old document adds to a store. The store's own records win: a baseline, profile or
 * reference time it has is kept, a candidate it has a review of keeps that review.
 */
export function legacyDelta(old: MemoryData, held: Held): { state: State; tried: TriedRecord[]; insights: Insight[]; winners: Winner[]; reviews: Review[] } {
  const s = held.state;
  const state: State = {
    ...s,
    version: 2,
    baselines: [...s.baselines, ...old.baselines.filter((b) => !s.baselines.some((x) => sameBaseline(x, b.target, b.fingerprint, b.size)))],
    profiles: [...s.profiles, ...old.profiles.filter((p) => !s.profiles.some((x) => x.fingerprint.id === p.fingerprint.id))],
    referenceNs: { ...old.referenceNs, ...s.referenceNs },
  };
  const tried: TriedRecord[] = [];
  for (const [k, keys] of Object.entries(old.tried)) {
    const bar = k.indexOf('|');
    const [target, fingerprint] = bar < 0 ? [k, ''] : [k.slice(0, bar), k.slice(bar + 1)];
    const have = held.tried(target, fingerprint);
    const add = [...new Set(keys)].filter((x) => !have.has(x));
    if (add.length) tried.push({ target, fingerprint, keys: add });
  }
  const seen = new Set(held.insights.map((i) => JSON.stringify(i)));
  const insights = old.insights.filter((i) => !seen.has(JSON.stringify(i)));
  const ids = new Set(held.winnerIds);
  const winners = old.winners.filter((w) => !ids.has(winnerId(w)) && ids.add(winnerId(w)));
  const reviews = old.reviews.filter((r) => !held.reviewed.has(r.candidateId));
  return { state, tried, insights, winners, reviews };
}

/** Moves the imported file aside (kept, never deleted), so the next open does not import it again. */
export function retireLegacy(file: string): string {
  let to = `${file}.migrated`;
  if (existsSync(to)) to = `${file}.migrated-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, to);
  return to;
}
