import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../memory/index.js';
import { parseResults, type Journaled } from '../loop/index.js';
import { TIMED_DISTRIBUTIONS } from '../verifiers/inputs.js';
import { CLI, kloop, seedProfile, smallTarget, tmp } from './helpers.js';

function gitRepo(): string {
  const dir = tmp('kloop-e2e-');
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
  return dir;
}

const runDirOf = (cwd: string, out: string) => join(cwd, 'runs', /run (\S+):/.exec(out)![1]);

describe('kloop run, end to end on the CPU', () => {
  it('finds a verified speedup, records it in results.tsv and memory, and commits it on kloop/<run-id>', async () => {
    const cwd = gitRepo();
    const target = smallTarget('jacobi', '{N: 768, M: 768}', cwd);
    const { code, out } = kloop(cwd, ['run', '--target', target, '--rounds', '2', '--no-tui']);
    expect(code, out).toBe(0);
    const dir = runDirOf(cwd, out);
    const rows = parseResults(readFileSync(join(dir, 'results.tsv'), 'utf8'));
    const kept = rows.filter((r) => r.status === 'keep');
    expect(kept.length).toBeGreaterThan(0);
    expect(Number(kept[0].ci_low)).toBeGreaterThan(1.02);
    expect(Number(kept.at(-1)!.vs_reference_chained)).toBeGreaterThan(1.5);
    // the figure printed over the reference is the end-of-run measurement, with its interval and verdict
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Journaled);
    const final = journal.find((e): e is Extract<Journaled, { type: 'target.final' }> => e.type === 'target.final')!;
    expect(final).toMatchObject({ target: 'jacobi', id: kept.at(-1)!.id, verdict: kept.at(-1)!.verdict });
    expect(final.pairs).toBeGreaterThanOrEqual(3);
    // the data it was timed on is named: one draw per run, of ordinary magnitude
    const inputs = journal.filter((e): e is Extract<Journaled, { type: 'bench.input' }> => e.type === 'bench.input');
    expect(inputs).toHaveLength(1);
    expect(TIMED_DISTRIBUTIONS).toContain(inputs[0].distribution);
    expect(out).toContain(`[jacobi] timed on ${inputs[0].distribution} data (seed ${inputs[0].seed})`);
    expect(out).toContain(`[jacobi] vs reference: ${final.speedup.toFixed(2)}x (95% CI ${final.ciLow.toFixed(2)}-${final.ciHigh.toFixed(2)}, ${final.pairs} interleaved pairs in this run), best ${final.id} [${final.verdict}]`);
    expect(out).toMatch(new RegExp(`jacobi .* ${final.speedup.toFixed(2)}x \\[${final.ciLow.toFixed(2)}-${final.ciHigh.toFixed(2)}\\]\\s+${final.verdict} `));
    expect(out).toMatch(/new baseline jacobi-r\d-c\d \[(proved|tested)\]: ~[\d.]+x over the reference \(chained, not measured\)/);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).perTarget[0]).toMatchObject({ vsReference: final.speedup, measured: true, pairs: final.pairs, verdict: final.verdict });
    const b = await FileStore.open(join(cwd, '.kloop', 'memory.json')).getBaseline('jacobi', JSON.parse(readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n')[0]).fingerprint);
    expect(b?.lineage.at(-1)?.candidateId).toBe(kept.at(-1)!.id);
    // every kept winner waits in the review queue, with its evidence and the source it replaced
    const winners = await FileStore.open(join(cwd, '.kloop', 'memory.json')).winners({ target: 'jacobi' });
    expect(winners.map((w) => w.candidateId).sort()).toEqual(kept.map((k) => k.id).sort());
    expect(winners[0].evidence).toMatch(/layers static, race, size-paths, tests/);
    const runId = dir.split('/').pop();
    const log = execFileSync('git', ['-C', cwd, 'log', '--format=%s', `kloop/${runId}`], { encoding: 'utf8' });
    expect(log).toMatch(/kloop: jacobi \d+\.\d\dx \(95% CI [\d.]+-[\d.]+\) \[(proved|tested)\], ~[\d.]+x over reference \(chained, not measured\)/);
    expect(b!.verdict).toBe(kept.at(-1)!.verdict);
    expect(['proved', 'tested']).toContain(b!.verdict);
    expect(b!.measured?.pairs).toBe(final.pairs);
    expect(JSON.parse(execFileSync('git', ['-C', cwd, 'show', `kloop/${runId}:kloop/baselines/jacobi/baseline.json`], { encoding: 'utf8' })).verdict).toBe(b!.verdict);
    expect(execFileSync('git', ['-C', cwd, 'show', `kloop/${runId}:kloop/baselines/jacobi/kernel.c`], { encoding: 'utf8' })).toBe(b!.source);
    expect(existsSync(join(dir, 'summary.json'))).toBe(true);
    expect(existsSync(join(dir, 'candidates', rows[0].id, 'kernel.c'))).toBe(true);
    // the user's checkout is untouched
    expect(execFileSync('git', ['-C', cwd, 'rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8' }).trim()).toBe('main');
    // the next run starts from the remembered baseline
    const again = kloop(cwd, ['run', '--target', target, '--rounds', '1']);
    expect(again.out).toContain(`[jacobi] round 1 from ${kept.at(-1)!.id}`);
  }, 180_000);

  it('resumes after kill -9: no kept baseline lost, no candidate counted twice', async () => {
    const cwd = tmp('kloop-resume-');
    await seedProfile(join(cwd, '.kloop', 'memory.json')); // (the first test measures it)
    const target = smallTarget('sum', '{N: 2000000}', cwd);
    const child = spawn('node', [CLI, 'run', '--target', target, '--rounds', '3', '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let buf = '';
    await new Promise<void>((res) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(line) as Journaled;
          if (e.type === 'run.start') runId = e.runId;
          if (e.type === 'candidate.result' && e.result.status === 'keep') child.kill('SIGKILL');
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => res());
    });
    expect(runId).not.toBe('');
    const before = parseResults(readFileSync(join(cwd, 'runs', runId, 'results.tsv'), 'utf8'));
    const keptBefore = before.filter((r) => r.status === 'keep').map((r) => r.id);
    expect(keptBefore.length).toBe(1);
    const { code, out } = kloop(cwd, ['run', '--resume', runId, '--target', target, '--rounds', '3']);
    expect(code, out).toBe(0);
    expect(out).toContain(`resuming run ${runId}`);
    const after = parseResults(readFileSync(join(cwd, 'runs', runId, 'results.tsv'), 'utf8'));
    const ids = after.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, before.length)).toEqual(before.map((r) => r.id));
    const fp = JSON.parse(readFileSync(join(cwd, 'runs', runId, 'journal.jsonl'), 'utf8').split('\n')[0]).fingerprint;
    const b = await FileStore.open(join(cwd, '.kloop', 'memory.json')).getBaseline('sum', fp);
    expect(b!.lineage.map((l) => l.candidateId)).toEqual(expect.arrayContaining(keptBefore));
  });

  it('bad input is one clear line and exit code 2', () => {
    const cwd = tmp();
    const r = kloop(cwd, ['run', '--target', 'no-such-target']);
    expect(r.code).toBe(2);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/kloop: target "no-such-target": no such folder/);
  });
});
