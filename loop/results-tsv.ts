import { renameSync, writeFileSync } from 'node:fs';
import type { CandidateResult } from './events.js';

/**
 * vs_reference_chained: the baseline's figure times the candidate's speedup, an estimate (see target.final);
 * roof_level: the memory level whose roof pct_roof is of.
 */
export const RESULT_COLUMNS = ['id', 'target', 'round', 'status', 'speedup', 'ci_low', 'ci_high', 'vs_reference_chained', 'gflops', 'pct_roof', 'roof_level', 'verdict', 'flags', 'description'] as const;

const fmt = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
const clean = (s: string) => s.replace(/[\t\n\r]+/g, ' ');

export function resultRow(r: CandidateResult): string {
  return [
    r.id,
    r.target,
    String(r.round),
    r.status,
    fmt(r.speedup),
    fmt(r.ciLow),
    fmt(r.ciHigh),
    fmt(r.vsReference, 2),
    fmt(r.gflops, 2),
    fmt(r.pctOfRoof, 1),
    r.roofLevel ?? '',
    clean(r.verdict),
    r.flags.join(' '),
    clean(r.description + (r.reason ? ` — ${r.reason}` : '')),
  ].join('\t');
}

/** Write the whole table (atomically: write then rename), header first, one row per candidate. */
export function writeResults(path: string, rows: CandidateResult[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, [RESULT_COLUMNS.join('\t'), ...rows.map(resultRow)].join('\n') + '\n');
  renameSync(tmp, path);
}

export function parseResults(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split('\n');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}
