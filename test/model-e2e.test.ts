import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Journaled, RunSummary } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { kloop, smallTarget, tmp } from './helpers.js';

const journalOf = (dir: string) =>
  readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Journaled);

describe('CM1 through real runs', () => {
  it('predicts each candidate before it is built, learns from the measured ones, and the next run starts from that model; the report plots it', async () => {
    const cwd = tmp('kloop-cm1-e2e-');
    const target = smallTarget('sum', '{N: 1000000}', cwd);
    const runs: { dir: string; summary: RunSummary; journal: Journaled[] }[] = [];
    for (let i = 0; i < 2; i++) {
      const { code, out } = kloop(cwd, ['run', '--target', target, '--rounds', '1', '--no-tui']);
      expect(code, out).toBe(0);
      const dir = join(cwd, 'runs', /run (\S+):/.exec(out)![1]);
      runs.push({ dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary, journal: journalOf(dir) });
      expect(out).toMatch(/compute model CM1: \d+ candidates predicted before it trained on them: .*; trained on \d+ measurements on this device/);
    }
    const [first, second] = runs;
    const measured = (j: Journaled[]) => j.filter((e) => e.type === 'candidate.result' && (e.result.status === 'keep' || e.result.status === 'discard') && e.result.medianNs !== undefined).length;
    // every draft got a prediction when it arrived, carried to its result
    for (const { journal } of runs) {
      const proposed = journal.filter((e): e is Extract<Journaled, { type: 'candidate.proposed' }> => e.type === 'candidate.proposed');
      expect(proposed.length).toBeGreaterThan(0);
      expect(proposed.every((e) => e.predictedNs! > 0)).toBe(true);
      for (const e of journal) if (e.type === 'candidate.result' && e.result.medianNs !== undefined) expect(e.result.predictedNs).toBeGreaterThan(0);
    }
    expect(first.summary.model).toMatchObject({ name: 'CM1', trained: measured(first.journal), n: measured(first.journal) });
    // the second run starts from the first one's model and adds its own measurements
    expect(second.summary.model!.trained).toBe(measured(first.journal) + measured(second.journal));
    const fp = (first.journal[0] as Extract<Journaled, { type: 'run.start' }>).fingerprint;
    const stored = (await FileStore.open(join(cwd, '.kloop', 'memory.json')).getModel(fp)) as { ridge: { n: number } };
    expect(stored.ridge.n).toBe(second.summary.model!.trained);
    const rep = kloop(cwd, ['report', second.dir]);
    expect(rep.code, rep.out).toBe(0);
    expect(readFileSync(join(second.dir, 'report', 'report.md'), 'utf8')).toContain('![compute model: predicted against measured](model.svg)');
    expect(readFileSync(join(second.dir, 'report', 'model.svg'), 'utf8')).toContain('y = x');
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);
});
