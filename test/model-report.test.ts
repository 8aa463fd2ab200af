import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, type CandidateResult } from '../loop/index.js';
import { buildReport, writeReport } from '../report/index.js';
import { tmp } from './helpers.js';

const made: string[] = [];
const folder = () => {
  made.push(tmp('kloop-model-report-'));
  return made[made.length - 1];
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function runWithPredictions(quality = true): string {
  const dir = folder();
  let t = Date.parse('2026-01-01T00:00:00Z');
  const j = new Journal(join(dir, 'journal.jsonl'), () => new Date((t += 1000)));
  j.append({ type: 'run.start', runId: 'r1', targets: ['sgemm', 'sum'], fingerprint: 'cpu-x', options: { targets: [], workflowFile: 'W', rounds: 2, noImprovementRounds: 0, candidates: 2 } });
  const r = (id: string, target: string, status: CandidateResult['status'], predictedNs?: number, medianNs?: number): CandidateResult => ({
    id,
    target,
    round: 1,
    status,
    verdict: 'tested',
    description: id,
    flags: [],
    kinds: [],
    predictedNs,
    medianNs,
    speedup: medianNs && 1e7 / medianNs,
  });
  for (const x of [
    r('sgemm-r1-c1', 'sgemm', 'keep', 2e6, 3e6),
    r('sgemm-r1-c2', 'sgemm', 'discard', 5e6, 4e6),
    r('sum-r1-c1', 'sum', 'discard', 2e5, 1e5),
    r('sum-r1-c2', 'sum', 'invalid', 2e5, 1e5),
    r('sum-r1-c3', 'sum', 'discard', undefined, 1e5),
  ])
    j.append({ type: 'candidate.result', result: x });
  if (quality) j.append({ type: 'model.quality', model: 'CM1', fingerprint: 'cpu-x', trained: 40, quality: { n: 3, spearman: 0.5, spearmanNs: 1, medianAbsErrorPct: 33.3 } });
  j.append({ type: 'run.end', reason: 'done' });
  return dir;
}

describe('the report’s compute model section', () => {
  it('gives the run’s prediction quality and plots predicted against measured, log–log, with the y = x line', () => {
    const r = buildReport(runWithPredictions());
    expect(r.markdown).toContain('## Compute model');
    expect(r.markdown).toContain('compute model CM1: 3 candidates predicted before it trained on them: rank correlation 0.50 on speedups (1.00 on times), median |error| 33.3%; trained on 40 measurements on this device.');
    expect(r.markdown).toContain('![compute model: predicted against measured](model.svg)');
    const svg = r.files['model.svg'];
    // measured and predicted candidates only: 2 of sgemm, 1 of sum (an invalid one and an unpredicted one are not points)
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('y = x');
    expect(svg).toContain('predicted before building (ms)');
    expect(svg).toContain('>sgemm<');
  });

  it('is absent from a run with no predictions', () => {
    const dir = folder();
    const j = new Journal(join(dir, 'journal.jsonl'), () => new Date('2026-01-01T00:00:00Z'));
    j.append({ type: 'run.start', runId: 'r0', targets: ['sum'], fingerprint: 'cpu-x', options: { targets: [], workflowFile: 'W', rounds: 1, noImprovementRounds: 0, candidates: 1 } });
    j.append({ type: 'run.end', reason: 'done' });
    const r = buildReport(dir);
    expect(r.markdown).not.toContain('Compute model');
    expect(r.files['model.svg']).toBeUndefined();
  });

  it.skipIf(!existsSync('/usr/bin/rsvg-convert'))('its image renders (rsvg-convert)', () => {
    const out = join(folder(), 'report');
    writeReport(runWithPredictions(false), out);
    execFileSync('rsvg-convert', [join(out, 'model.svg'), '-o', join(out, 'model.png')]);
    expect(readFileSync(join(out, 'model.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
