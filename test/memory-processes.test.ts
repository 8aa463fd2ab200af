import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStore, emptyMemory, memoryDir } from '../memory/index.js';
import { tmp } from './helpers.js';

/** Real node processes sharing one memory, through the compiled store (`npm test` builds dist/ first). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MEMORY = join(ROOT, 'dist', 'memory', 'index.js');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Prelude of every child: the store, a barrier so that both start writing together, and records. */
const PRELUDE = `
import { existsSync, writeFileSync } from 'node:fs';
import { FileStore } from ${JSON.stringify(MEMORY)};
const { MEM, WHO, OTHER, N } = process.env;
const n = Number(N);
const m = FileStore.open(MEM);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
writeFileSync(MEM + '.ready-' + WHO, '');
while (OTHER && !existsSync(MEM + '.ready-' + OTHER)) await sleep(5);
const baseline = (target, vs) => ({ target, fingerprint: 'fp', source: 'void f(){}', flags: [], vsReference: vs, verdict: 'tested', description: WHO, lineage: [], updatedAt: 'now' });
const winner = (candidateId, target) => ({ candidateId, runId: WHO, target, targetDir: '/t', fingerprint: 'fp', device: 'd', source: 's', flags: [], previousSource: 'p', previousFlags: [], previousId: 'reference', speedup: 2, ciLow: 1.5, ciHigh: 2.5, vsReference: 2, verdict: 'tested', evidence: 'e', description: 'x', diagnosis: 'y', lineage: [], at: 'now' });
const insight = (target, i) => ({ target, fingerprint: 'fp', runId: WHO, round: i, candidateId: WHO + '-' + i, kinds: [], outcome: 'keep', text: WHO + ' ' + i, at: 'now' });
`;

function child(body: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', PRELUDE + body], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const expectOk = (r: { code: number | null; stderr: string }) => expect(r.code, r.stderr).toBe(0);

/** How often consecutive lines of a log change writer: > 0 means the two really wrote at the same time. */
function switches(file: string, who: (line: string) => string): number {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(who);
  return lines.filter((w, i) => i > 0 && w !== lines[i - 1]).length;
}

describe('processes sharing one memory', () => {
  beforeAll(() => {
    if (!existsSync(MEMORY)) throw new Error(`${MEMORY} is missing: build first (npx tsc -p tsconfig.json; npm test does)`);
  });

  it('two runs writing baselines, winners, tried programs and insights for different targets: all of both are there', async () => {
    const mem = join(tmp('kloop-mem-procs-'), '.kloop', 'memory.json');
    const n = 120;
    const run = `
for (let i = 0; i < n; i++) {
  const t = WHO + '-t' + (i % 10);
  await m.setBaseline(baseline(t, i + 1));
  await m.setReferenceNs(WHO + '-ref' + i, 'fp', i);
  await m.addTried(t, 'fp', [WHO + '-k' + i]);
  await m.addWinner(winner(WHO + '-c' + i, t));
  await m.addInsights([insight(t, i)]);
  if (i % 10 === 0) await m.tried(t, 'fp'); // a run reads too, between its writes
}`;
    const [a, b] = await Promise.all([child(run, { MEM: mem, WHO: 'a', OTHER: 'b', N: String(n) }), child(run, { MEM: mem, WHO: 'b', OTHER: 'a', N: String(n) })]);
    expectOk(a);
    expectOk(b);
    const m = FileStore.open(mem);
    for (const who of ['a', 'b']) {
      for (let t = 0; t < 10; t++) {
        // the last write of each target wins: i = n - 10 + t, vsReference i + 1
        expect((await m.getBaseline(`${who}-t${t}`, 'fp'))?.vsReference, `${who}-t${t}`).toBe(n - 10 + t + 1);
        expect((await m.tried(`${who}-t${t}`, 'fp')).size).toBe(n / 10);
        expect(await m.insights({ target: `${who}-t${t}`, fingerprint: 'fp' })).toHaveLength(n / 10);
      }
      for (let i = 0; i < n; i++) expect(await m.getReferenceNs(`${who}-ref${i}`, 'fp'), `${who}-ref${i}`).toBe(i);
      expect(await m.winners({ runId: who })).toHaveLength(n);
    }
    expect(switches(join(memoryDir(mem), 'tried.jsonl'), (l) => (JSON.parse(l) as { target: string }).target[0])).toBeGreaterThan(0);
  }, 180_000);

  it('a review taken while a run keeps updating its baselines and insights survives', async () => {
    const mem = join(tmp('kloop-mem-review-'), '.kloop', 'memory.json');
    const n = 300;
    const reviews = 25;
    const run = `
for (let i = 0; i < n; i++) {
  await m.setBaseline(baseline('sum', i + 1));
  await m.addInsights([insight('sum', i)]);
  await m.addTried('sum', 'fp', ['k' + i]);
  if (i < ${reviews}) await m.addWinner(winner('sum-c' + i, 'sum'));
}`;
    // The reviewer decides as kloop review does: approve (then its commit), or reject (and a lesson).
    const review = `
let done = 0;
while (done < ${reviews}) {
  const queue = (await m.winners({ runId: 'run' })).filter((w) => w.candidateId.endsWith('c' + done));
  if (!queue.length) { await sleep(2); continue; }
  const w = queue[0];
  const r = { candidateId: w.candidateId, target: w.target, fingerprint: w.fingerprint, decision: done % 2 ? 'rejected' : 'approved', at: 'now' };
  await m.addReview(r);
  if (done % 2) await m.addInsights([{ ...insight('sum', done), text: 'rejected by review: ' + done }]);
  else await m.addReview({ ...r, commit: 'commit' + done });
  done++;
}
await m.putProfile({ fingerprint: { id: 'reviewer-host', kind: 'cpu', model: 'm', cores: 1, flagsHash: 'f', compiler: 'cc' }, measuredAt: 'now', gflops: { fp32: { one: 1, all: 1 }, fp64: { one: 1, all: 1 } }, bandwidthGBs: { one: 1, all: 1 } });
`;
    const [r, v] = await Promise.all([child(run, { MEM: mem, WHO: 'run', OTHER: 'review', N: String(n) }), child(review, { MEM: mem, WHO: 'review', OTHER: 'run', N: String(n) })]);
    expectOk(r);
    expectOk(v);
    const m = FileStore.open(mem);
    const decided = await m.reviews();
    expect(decided).toHaveLength(reviews);
    for (let i = 0; i < reviews; i++) {
      const d = decided.find((x) => x.candidateId === `sum-c${i}`);
      expect(d?.decision, `sum-c${i}`).toBe(i % 2 ? 'rejected' : 'approved');
      if (i % 2 === 0) expect(d?.commit).toBe(`commit${i}`);
    }
    expect((await m.getBaseline('sum', 'fp'))!.vsReference).toBe(n);
    expect(await m.getProfile('reviewer-host')).toBeDefined();
    const texts = (await m.insights({ target: 'sum' })).map((i) => i.text);
    expect(texts.filter((t) => t.startsWith('run '))).toHaveLength(n);
    expect(texts.filter((t) => t.startsWith('rejected by review'))).toHaveLength(Math.floor(reviews / 2));
    expect((await m.tried('sum', 'fp')).size).toBe(n);
  }, 180_000);

  it('kloop review lists what another process wrote, from a memory.json an earlier kloop left (imported, nothing lost)', async () => {
    const dir = tmp('kloop-mem-cli-');
    const mem = join(dir, 'memory.json');
    const w = (id: string, at: string) => ({
      candidateId: id,
      runId: 'old',
      target: 'sum',
      targetDir: '/t',
      fingerprint: 'fp',
      device: 'd',
      source: 's',
      flags: [],
      previousSource: 'p',
      previousFlags: [],
      previousId: 'reference',
      speedup: 2,
      ciLow: 1.5,
      ciHigh: 2.5,
      vsReference: 2,
      verdict: 'tested',
      evidence: 'e',
      description: `idea ${id}`,
      diagnosis: 'y',
      lineage: [],
      at,
    });
    writeFileSync(mem, JSON.stringify({ ...emptyMemory(), winners: [w('old-1', '2026-01-01'), w('old-2', '2026-01-02')], reviews: [{ candidateId: 'old-1', target: 'sum', fingerprint: 'fp', decision: 'approved', at: 'x' }] }));
    expectOk(await child(`await m.addWinner(winner('new-1', 'sum'));`, { MEM: mem, WHO: 'run', N: '0' }));
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const p = spawn(process.execPath, [CLI, 'review', '--memory', mem], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => done({ code, stdout, stderr }));
    });
    expectOk(r);
    expect(r.stdout).toContain('2 winner(s) to review');
    expect(r.stdout).toContain('old-2');
    expect(r.stdout).toContain('new-1');
    expect(r.stdout).not.toContain('old-1');
    expect(existsSync(`${mem}.migrated`)).toBe(true);
  }, 120_000);
});
