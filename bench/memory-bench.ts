/**
 * `npm run bench:memory`: the cost of one memory update as the memory grows. Fills a memory with
 * 20,000 tried candidates, 5,000 insights and 1,000 winners and, at 1k, 10k and 20k tried (insights
 * and winners in proportion), times each kind of update: the folder store (FileStore) and, for
 * comparison, the whole-document lowdb file that earlier kloop versions wrote. Prints markdown tables
 * (median and p99 per update, and the files' sizes). Options: --samples N (folder store, default
 * 300), --before-samples N (lowdb, default 30; 0 skips it), --keep (leave the files in /tmp).
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { FileStore, LowdbStore, emptyMemory, memoryDir, type Baseline, type Insight, type MemoryData, type MemoryStore, type Review, type Winner } from '../memory/index.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SAMPLES = arg('--samples', 300);
const BEFORE_SAMPLES = arg('--before-samples', 30);
const CHECKPOINTS = [1_000, 10_000, 20_000];
const TARGETS = ['sgemm', 'sum', 'jacobi', 'conv2d', 'softmax'];
const FP = 'cpu-bench';
const KINDS = ['addTried', 'addInsights', 'addWinner', 'setBaseline', 'addReview'] as const;
type Kind = (typeof KINDS)[number];

// A kernel of realistic size (about 1.5 KB): winners carry the source before and after.
const kernel = (i: number) =>
  `/* candidate ${i} */\nvoid sgemm(int M, int N, int K, const real *A, const real *B, real *C) {\n${'  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < K; k++) s += A[i*K+k] * B[k*N+j]; C[i*N+j] = s; }\n'.repeat(10)}}\n`;
const hash = (i: number) => `${(i * 2654435761) >>> 0}`.padStart(16, '0') + i.toString(16).padStart(16, '0');
const target = (i: number) => TARGETS[i % TARGETS.length];
const insight = (i: number): Insight => ({
  target: target(i),
  fingerprint: FP,
  runId: `run-${i >> 8}`,
  round: i,
  candidateId: `${target(i)}-r${i}-c1`,
  kinds: ['tile:64', 'unroll:4'],
  outcome: i % 3 ? 'discard' : 'keep',
  speedup: 1 + (i % 7) / 10,
  text: `tiling the k loop by 64 with a 4-way unroll ${i % 3 ? 'did not help' : 'helped'} at this size (candidate ${i})`,
  at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
});
const winner = (i: number): Winner => ({
  candidateId: `${target(i)}-r${i}-c1`,
  runId: `run-${i >> 4}`,
  target: target(i),
  targetDir: `/targets/${target(i)}`,
  fingerprint: FP,
  device: 'bench CPU',
  source: kernel(i),
  flags: ['-O3', '-march=native'],
  previousSource: kernel(i - 1),
  previousFlags: ['-O3'],
  previousId: `${target(i)}-r${i - 1}-c1`,
  speedup: 1.2,
  ciLow: 1.1,
  ciHigh: 1.3,
  vsReference: 3.4,
  verdict: 'tested',
  evidence: 'tested: 24 checks at 6 sizes',
  description: 'tile k by 64, unroll 4',
  diagnosis: 'memory bound on B',
  lineage: ['reference', `${target(i)}-r${i - 1}-c1`, `${target(i)}-r${i}-c1`],
  at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
});
const baseline = (i: number): Baseline => ({
  target: target(i),
  fingerprint: FP,
  source: kernel(i),
  flags: ['-O3'],
  vsReference: 1 + i / 1000,
  verdict: 'tested',
  description: 'bench',
  lineage: Array.from({ length: 20 }, (_, k) => ({ candidateId: `c${k}`, runId: 'r', speedup: 1.1, description: 'step', at: 'then' })),
  updatedAt: new Date().toISOString(),
});
const review = (i: number): Review => ({
  candidateId: `${target(i)}-r${i}-c1`,
  target: target(i),
  fingerprint: FP,
  decision: i % 2 ? 'approved' : 'rejected',
  reason: i % 2 ? undefined : 'too slow on small rows',
  at: new Date().toISOString(),
});

/** The memory at a checkpoint of n tried, as the data (insights and winners in proportion). */
function contents(n: number) {
  return { tried: n, insights: n / 4, winners: n / 20 };
}

let fresh = 1_000_000; // ids for records added while measuring
function update(m: MemoryStore, kind: Kind): Promise<void> {
  const i = fresh++;
  switch (kind) {
    case 'addTried':
      return m.addTried(target(i), FP, [hash(i)]);
    case 'addInsights':
      return m.addInsights([insight(i)]);
    case 'addWinner':
      return m.addWinner(winner(i));
    case 'setBaseline':
      return m.setBaseline(baseline(i));
    case 'addReview':
      return m.addReview(review(i % 1000));
  }
}

/** Times `samples` updates of each kind, interleaved; returns [median, p99] in ms per kind. */
async function measure(m: MemoryStore, samples: number): Promise<Record<Kind, [number, number]>> {
  const t: Record<Kind, number[]> = { addTried: [], addInsights: [], addWinner: [], setBaseline: [], addReview: [] };
  for (let s = 0; s < samples; s++)
    for (const k of KINDS) {
      const t0 = performance.now();
      await update(m, k);
      t[k].push(performance.now() - t0);
    }
  const pick = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  return Object.fromEntries(KINDS.map((k) => [k, [pick(t[k], 0.5), pick(t[k], 0.99)]])) as Record<Kind, [number, number]>;
}

const sizes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));
const kb = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(2)} MB`);
const ms = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));

const work = mkdtempSync(join(tmpdir(), 'kloop-memory-bench-'));
const results: { store: string; at: number; cost: Record<Kind, [number, number]> }[] = [];
const sizeRows: string[][] = [];
const openRows: string[][] = [];

// The folder store, filled through its own API, one record per call as a run does.
{
  const path = join(work, 'file', 'memory.json');
  const m = FileStore.open(path);
  const had = { tried: 0, insights: 0, winners: 0 };
  for (const n of CHECKPOINTS) {
    const want = contents(n);
    for (; had.tried < want.tried; had.tried++) await m.addTried(target(had.tried), FP, [hash(had.tried)]);
    for (; had.insights < want.insights; had.insights++) await m.addInsights([insight(had.insights)]);
    for (; had.winners < want.winners; had.winners++) await m.addWinner(winner(had.winners));
    results.push({ store: 'FileStore (folder)', at: n, cost: await measure(m, SAMPLES) });
    const s = sizes(memoryDir(path));
    sizeRows.push([`${n / 1000}k`, ...['state.json', 'tried.jsonl', 'insights.jsonl', 'winners.jsonl', 'reviews.jsonl'].map((f) => kb(s[f] ?? 0))]);
    const t0 = performance.now();
    const other = FileStore.open(path);
    await Promise.all([other.tried(target(0), FP), other.insights({}), other.winners(), other.reviews(), other.getBaseline(target(0), FP)]);
    openRows.push([`${n / 1000}k`, ms(performance.now() - t0)]);
  }
}

// Before: one lowdb document rewritten in full on every update.
const beforeSizes: string[] = [];
if (BEFORE_SAMPLES > 0)
  for (const n of CHECKPOINTS) {
    const want = contents(n);
    const data: MemoryData = emptyMemory();
    for (let i = 0; i < want.tried; i++) (data.tried[`${target(i)}|${FP}`] ??= []).push(hash(i));
    for (let i = 0; i < want.insights; i++) data.insights.push(insight(i));
    for (let i = 0; i < want.winners; i++) data.winners.push(winner(i));
    data.baselines = TARGETS.map((_, i) => baseline(i));
    const file = join(work, `before-${n}.json`);
    writeFileSync(file, JSON.stringify(data));
    const m = new LowdbStore(new JSONFile<MemoryData>(file));
    await m.getBaseline(TARGETS[0], FP); // read once, as a process does at start
    results.push({ store: 'lowdb whole document (before)', at: n, cost: await measure(m, BEFORE_SAMPLES) });
    beforeSizes.push(`${n / 1000}k: ${kb(statSync(file).size)}`);
  }

const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const rows: string[][] = [];
for (const store of [...new Set(results.map((r) => r.store))])
  for (const k of KINDS) {
    const at = (n: number) => results.find((r) => r.store === store && r.at === n)!.cost[k];
    rows.push([store, k, ...CHECKPOINTS.flatMap((n) => [`${ms(at(n)[0])} / ${ms(at(n)[1])}`]), `${(at(20_000)[0] / at(1_000)[0]).toFixed(2)}×`]);
  }
console.log(`\nOne memory update, median / p99 in ms (${SAMPLES} samples per kind for the folder store, ${BEFORE_SAMPLES} for lowdb; the samples add their records too), at N tried candidates with N/4 insights and N/20 winners:\n`);
console.log(table(['store', 'update', '1k', '10k', '20k', 'median 20k ÷ 1k'], rows));
console.log('\nFolder store files:\n');
console.log(table(['tried', 'state.json', 'tried.jsonl', 'insights.jsonl', 'winners.jsonl', 'reviews.jsonl'], sizeRows));
if (beforeSizes.length) console.log(`\nlowdb memory.json (before): ${beforeSizes.join(', ')}`);
console.log('\nA new process opening the folder store and reading everything (ms, once per process):\n');
console.log(table(['tried', 'ms'], openRows));
if (process.argv.includes('--keep')) console.log(`\n(files in ${work})`);
else rmSync(work, { recursive: true, force: true });
