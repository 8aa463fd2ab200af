import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceProfile } from '../devices/index.js';
import { Journal, writeResults, type CandidateResult } from '../loop/index.js';
import { buildReport, writeReport } from '../report/index.js';
import { tmp } from './helpers.js';

const profile: DeviceProfile = {
  fingerprint: { id: 'cpu-x', kind: 'cpu', model: 'Test CPU', cores: 2, flagsHash: 'f', compiler: 'cc' },
  measuredAt: '2026-01-01T00:00:00Z',
  gflops: { fp32: { one: 100, all: 200 }, fp64: { one: 50, all: 100 } },
  bandwidthGBs: { one: 10, all: 20 },
};

function fakeRun(): string {
  const dir = tmp('kloop-report-');
  let t = Date.parse('2026-01-01T00:00:00Z');
  const j = new Journal(join(dir, 'journal.jsonl'), () => new Date(t));
  const roof = (gflops: number, intensity: number) => ({ gflops, gbs: gflops / intensity, intensity, roofGflops: 200, pctOfRoof: gflops / 2, bound: 'compute' as const });
  j.append({ type: 'run.start', runId: 'r1', targets: ['sgemm', 'sum'], fingerprint: 'cpu-x', options: { targets: [], workflowFile: 'W', rounds: 2, noImprovementRounds: 4, candidates: 2 } });
  j.append({ type: 'device.profile', profile, measured: true });
  j.append({ type: 'baseline.profile', target: 'sgemm', round: 1, profile: { target: 'sgemm', medianNs: 6e9, vsReference: 1, summary: '', roofline: roof(0.3, 170) } });
  j.append({ type: 'baseline.profile', target: 'sum', round: 1, profile: { target: 'sum', medianNs: 1.8e7, vsReference: 1, summary: '', roofline: roof(1, 0.25) } });
  const keep = (id: string, target: string, vs: number, gflops: number): CandidateResult => ({
    id,
    target,
    round: 1,
    status: 'keep',
    speedup: vs,
    ciLow: vs * 0.9,
    ciHigh: vs * 1.1,
    vsReference: vs,
    verdict: 'proved',
    description: `${target} winner`,
    flags: [],
    kinds: [],
    gflops,
  });
  t += 60_000;
  const rows = [keep('sgemm-r1-c1', 'sgemm', 100, 30), { ...keep('sum-r1-c2', 'sum', 0.5, 0.5), status: 'discard' as const }, keep('sum-r1-c1', 'sum', 12, 12)];
  for (const r of rows) j.append({ type: 'candidate.result', result: r });
  j.append({ type: 'baseline.updated', target: 'sgemm', id: 'sgemm-r1-c1', vsReference: 100, speedup: 100 });
  t += 60_000;
  j.append({ type: 'baseline.updated', target: 'sum', id: 'sum-r1-c1', vsReference: 12, speedup: 12 });
  // the end: sgemm's reference timed against its winner in this run; sum has no final measurement
  j.append({ type: 'target.final', target: 'sgemm', id: 'sgemm-r1-c1', verdict: 'proved', speedup: 87.3, ciLow: 85.1, ciHigh: 89.6, pairs: 3, referenceNs: 6e9, bestNs: 6.9e7 });
  t += 60_000;
  j.append({ type: 'run.end', reason: 'done' });
  writeResults(join(dir, 'results.tsv'), rows);
  return dir;
}

describe('kloop report', () => {
  it('summarises the run, tables every candidate and links the plots', () => {
    const r = buildReport(fakeRun());
    expect(r.markdown).toContain('# kloop run r1');
    // the figure over the reference is the same-run measurement, with its interval, pairs and verdict
    expect(r.markdown).toContain('| sgemm | proved | 87.30x | 85.10–89.60 | 3 | sgemm-r1-c1: sgemm winner |');
    // without a measurement, the chained figure says what it is
    expect(r.markdown).toContain('| sum | proved | ~12.00x (chained, not measured) | – | – | sum-r1-c1: sum winner |');
    expect(r.markdown).toContain('| sum-r1-c2 | discard |');
    expect(r.markdown).toContain('| vs reference (chained) |');
    expect(r.markdown).toContain('| sgemm-r1-c1 | keep | 100.000 | 90.000–110.000 | ~100.00 |');
    expect(r.markdown).toContain('![speedup over time](speedup.svg)');
    expect(r.markdown).toContain('![roofline](roofline.svg)');
    expect(Object.keys(r.files).sort()).toEqual(['roofline.svg', 'speedup.svg']);
    // one step line per target; the roofline has the roof and a start→winner segment per target
    expect(r.files['speedup.svg'].match(/<polyline/g)).toHaveLength(2);
    expect(r.files['roofline.svg']).toContain('roof: 200 GFLOP/s, 20.0 GB/s');
    expect(r.files['roofline.svg'].match(/<circle/g)).toHaveLength(4);
  });

  it.skipIf(!existsSync('/usr/bin/rsvg-convert'))('its images render (rsvg-convert)', () => {
    const out = join(tmp(), 'report');
    writeReport(fakeRun(), out);
    for (const name of ['speedup', 'roofline']) {
      execFileSync('rsvg-convert', [join(out, `${name}.svg`), '-o', join(out, `${name}.png`)]);
      const png = readFileSync(join(out, `${name}.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(720);
      expect(statSync(join(out, `${name}.png`)).size).toBeGreaterThan(5000);
    }
  });

  it('refuses a folder that is not a run, in one line', () => {
    expect(() => buildReport(tmp())).toThrow(/not a run folder \(no journal\.jsonl\)/);
  });
});
