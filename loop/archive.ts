import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { programKey, type ArchiveEntry } from '../agents/index.js';
import type { Baseline, MemoryStore } from '../memory/index.js';
import type { CandidateResult } from './events.js';

/** Candidates within this share of the current best (chained over the reference) join the archive. */
const NEAR = 0.97;

/**
 * The archive a widened search restarts from: diverse good programs for this target and device.
 * Memory's winners for the target on this device and this run's verified candidates within a few
 * percent of the current best (or better), one per distinct move signature (the fastest), the
 * current baseline left out, best first.
 */
export async function buildArchive(o: {
  memory: MemoryStore;
  /** The run's name for the target (a session at a workload node's sizes: `sgemm@M=64,…`). */
  target: string;
  /** The name memory keeps its winners under (the target's own; winners at any size join). */
  winnersOf?: string;
  fingerprint: string;
  runDir: string;
  kernelFile: string;
  results: CandidateResult[];
  baseline: Baseline;
  limit?: number;
}): Promise<ArchiveEntry[]> {
  const insights = await o.memory.insights({ target: o.target, fingerprint: o.fingerprint, limit: 500 });
  const kindsOf = new Map(insights.map((i) => [i.candidateId, i.kinds]));
  const found: (ArchiveEntry & { vsReference: number })[] = [];
  for (const w of await o.memory.winners({ target: o.winnersOf ?? o.target })) {
    if (w.fingerprint === o.fingerprint) found.push({ source: w.source, flags: w.flags, kinds: kindsOf.get(w.candidateId) ?? [], vsReference: w.vsReference });
  }
  for (const r of o.results) {
    const verified = r.status === 'keep' || (r.status === 'discard' && r.speedup !== undefined && !r.verdict.startsWith('rejected'));
    if (!verified || r.target !== o.target || (r.vsReference ?? 0) < NEAR * o.baseline.vsReference) continue;
    const file = join(o.runDir, 'candidates', r.id, o.kernelFile);
    if (existsSync(file)) found.push({ source: readFileSync(file, 'utf8'), flags: r.flags, kinds: r.kinds, vsReference: r.vsReference! });
  }
  const seen = new Set([programKey(o.baseline.source, o.baseline.flags)]);
  const signatures = new Set<string>();
  const out: ArchiveEntry[] = [];
  for (const e of found.sort((a, b) => b.vsReference - a.vsReference)) {
    const key = programKey(e.source, e.flags);
    const sig = [...new Set(e.kinds)].sort().join('+') || key;
    if (seen.has(key) || signatures.has(sig)) continue;
    seen.add(key);
    signatures.add(sig);
    out.push({ source: e.source, flags: e.flags, kinds: e.kinds });
    if (out.length >= (o.limit ?? 8)) break;
  }
  return out;
}
