import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Draft } from '../agents/index.js';
import type { RunState } from './state.js';

/**
 * Candidates a killed run had written and sent to be evaluated but never saw a result for (the
 * rounds in flight at the kill): their drafts, as written, to be evaluated again first when the run
 * resumes. In a fleet their jobs usually finished while the coordinator was down, and the same job
 * (same program, target, baseline and settings: fleet/result-key.ts) is answered from its stored
 * result without new work; locally they are evaluated again. Only a candidate whose folder still
 * holds its kernel and candidate.json comes back; the memory's tried set keeps the writers off them.
 */
export interface Orphan {
  id: string;
  target: string;
  round: number;
  draft: Draft;
}

export function orphanedCandidates(runDir: string, state: Pick<RunState, 'results'>, kernelFile: string): Orphan[] {
  const root = join(runDir, 'candidates');
  if (!existsSync(root)) return [];
  const done = new Set(state.results.map((r) => r.id));
  const out: Orphan[] = [];
  for (const id of readdirSync(root).sort()) {
    if (done.has(id)) continue;
    const meta = join(root, id, 'candidate.json');
    const kernel = join(root, id, kernelFile);
    if (!existsSync(meta) || !existsSync(kernel)) continue;
    try {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { target?: unknown; round?: unknown; description?: unknown; flags?: unknown; kinds?: unknown };
      if (typeof m.target !== 'string' || typeof m.round !== 'number' || !Array.isArray(m.flags) || !m.flags.every((f) => typeof f === 'string')) continue;
      const kinds = Array.isArray(m.kinds) ? m.kinds.filter((k): k is string => typeof k === 'string') : [];
      const description = `resumed ${id}: ${typeof m.description === 'string' ? m.description : 'candidate'}`;
      out.push({ id, target: m.target, round: m.round, draft: { source: readFileSync(kernel, 'utf8'), flags: m.flags as string[], description, kinds } });
    } catch {
      // a half-written candidate.json (the kill came mid-write): that candidate is not resumed
    }
  }
  return out;
}
