/**
 * `npm run bench:fleet [-- --tiny] [--target sum --target jacobi] [--rounds 2] [--candidates 4]
 * [--sim-workers 100] [--sim-seconds 30] [--sim-scale 1]`: the fleet, measured.
 *
 * 1. One local run against the same run with two local workers (`kloop worker`, one core each, on
 *    a redis-server of its own), same targets, rounds and candidates: candidates per hour, and the
 *    coordination overhead per job (enqueue to result, minus the job's own work on the worker).
 * 2. The coordinator at scale, simulated: N workers (one process of BullMQ workers that validate,
 *    key and store results as real ones do) whose jobs sleep for the job durations measured in 1;
 *    the coordinator keeps one job per worker in flight for a while: jobs per second it sustains,
 *    overhead per job, its CPU share (and Redis's), and how busy it keeps the workers.
 * `--tiny`: one small target, one round of two candidates, a lighter gate and an 8 s simulation
 * (shows it works; not a measurement).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { FleetClient, fleetRun, harnessVersion, JOB_VERSION, targetDigest, type Job, type JobTrip } from '../fleet/index.js';
import { createRun, median } from '../loop/index.js';
import { CATALOG_DIR, loadTarget } from '../targets/index.js';
import { loadWorkflow } from '../workflow/index.js';

const { values } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    target: { type: 'string', multiple: true },
    rounds: { type: 'string' },
    candidates: { type: 'string' },
    'sim-workers': { type: 'string', default: '100' },
    'sim-seconds': { type: 'string' },
    'sim-scale': { type: 'string', default: '1' },
    'sim-only': { type: 'boolean', default: false },
  },
});
const tiny = values.tiny!;
const targets = values.target ?? (tiny ? ['sum'] : ['sum', 'jacobi', 'softmax']);
const rounds = Number(values.rounds ?? (tiny ? 1 : 2));
const candidates = Number(values.candidates ?? (tiny ? 2 : 4));
const simWorkers = Number(values['sim-workers']);
const simSeconds = Number(values['sim-seconds'] ?? (tiny ? 8 : 30));
const simScale = Number(values['sim-scale']);
const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'kloop-fleet-bench-'));
const children: ChildProcess[] = [];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
process.on('exit', stopAll);

/** A run's folder: WORKFLOW.md (tiny: a lighter gate) and the targets (tiny: sum at a small bench size). */
function runDir(name: string): { dir: string; targets: string[] } {
  const dir = join(root, name);
  const light = tiny ? 'verify: {sanitizers: false, proof: false, hidden_sizes: 2}\ntiming: {min_pairs: 2, max_pairs: 3, min_ms: 5}\n' : '';
  cpSync(CATALOG_DIR, join(dir, 'targets'), { recursive: true });
  writeFileSync(join(dir, 'WORKFLOW.md'), `---\n${light}loop: {candidates: ${candidates}}\ngit: {commit: false}\n---\n`);
  if (tiny) {
    const yaml = join(dir, 'targets', 'sum', 'target.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^ {2}bench: .*$/m, '  bench: {N: 1000000}'));
  }
  return { dir, targets: targets.map((t) => join(dir, 'targets', t)) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !(await probe()); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > end) throw new Error(`bench:fleet: timed out waiting for ${what}`);
}

async function startRedis(): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  children.push(p);
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  await probe.connect().catch(() => undefined);
  await until('redis-server', async () => (await probe.ping().catch(() => '')) === 'PONG');
  probe.disconnect();
  return { url, pid: p.pid! };
}

function startWorker(dir: string, url: string, name: string, core: number): Promise<ChildProcess> {
  const w = spawn('taskset', ['-c', String(core), process.execPath, CLI, 'worker', '--redis', url, '--name', name], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(w);
  let log = '';
  w.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  return until(`worker ${name}`, () => log.includes(`worker ${name}: class`)).then(() => w);
}

async function run(name: string, fleet?: FleetClient): Promise<{ candidates: number; ms: number }> {
  const { dir, targets: paths } = runDir(name);
  const workflow = loadWorkflow(join(dir, 'WORKFLOW.md'));
  // On the fleet, everything the run measures goes to the class's workers (its device, candidates, baselines, final pairs).
  const on = fleet && (await fleetRun(fleet, workflow, () => undefined));
  const runner = await createRun({ workflow, cwd: dir, targets: paths, rounds, ...(on ? { evaluator: on.evaluator, measurer: on.measurer, device: on.device, cores: on.cores } : {}) });
  const s = await runner.run();
  return { candidates: s.candidates, ms: s.elapsedMs };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const overheads = (trips: JobTrip[]) => trips.map((t) => t.resultAt - t.enqueuedAt - t.workMs);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

console.log(`kloop fleet benchmark${tiny ? ' (--tiny: shows it works, measures nothing)' : ''}: ${targets.join(', ')}; ${rounds} round(s) of ${candidates} candidates; work in ${root}\n`);
const { url, pid: redisPid } = await startRedis();

// 1. One local run, then the same with two workers of one core each (not with --sim-only).
const trips = values['sim-only'] ? [] : await localAndFleet();
async function localAndFleet(): Promise<JobTrip[]> {
  const local = await run('local');
  const workerDir = runDir('workers').dir;
  const workers = await Promise.all([startWorker(workerDir, url, 'w1', 0), startWorker(workerDir, url, 'w2', 1)]);
  const client = await FleetClient.open(url);
  const fleet = await run('fleet', client);
  await client.close();
  for (const w of workers) w.kill('SIGTERM');
  const trips = client.trips;
  const oh = overheads(trips);
  const perHour = (r: { candidates: number; ms: number }) => (r.candidates / r.ms) * 3_600_000;
  console.log('| setup | candidates | wall s | candidates/hour | jobs | overhead/job median ms | p95 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(`| one local run | ${local.candidates} | ${f1(local.ms / 1000)} | ${perHour(local).toFixed(0)} | – | – | – |`);
  console.log(`| two local workers (1 core each) | ${fleet.candidates} | ${f1(fleet.ms / 1000)} | ${perHour(fleet).toFixed(0)} | ${trips.length} | ${f1(median(oh))} | ${f1(pct(oh, 0.95))} |`);
  console.log("overhead/job: enqueue to result at the coordinator, minus the job's own work on the worker (build, verify, time)\n");
  return trips;
}

// 2. The coordinator with N simulated workers whose jobs sleep for the measured durations; then
// the same with jobs 20x shorter (20x the rate), for the coordinator's headroom.
const measured = trips.map((x) => x.workMs * simScale).filter((ms) => ms > 0);
const durations = measured.length ? measured : [2000, 2500, 3000, 3500, 4000].map((ms) => ms * simScale);
const t = loadTarget(join(CATALOG_DIR, 'sum'));
const base: Omit<Job, 'id' | 'candidate'> = {
  v: JOB_VERSION,
  stage: 'evaluate',
  run: 'bench',
  class: 'sim',
  harness: harnessVersion(t, 'c'),
  target: { name: 'sum', digest: targetDigest(t), benchSize: t.benchSize },
  baseline: { source: t.referenceSource, flags: [] },
  seed: 1,
  verify: { hiddenSizes: 6, caseTimeoutMs: 10_000, sanitizers: true, proof: true, proofBudget: 3e6 },
  timing: { minPairs: 3, maxPairs: 7, minMs: 100, maxReps: 50, minSpeedup: 1.02 },
  limitMs: 600_000,
};
const redisCpu = () => {
  const f = readFileSync(`/proc/${redisPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in ms at 100 ticks/s
};
let n = 0;

async function simulate(label: string, sleeps: number[]): Promise<string> {
  const sim = fork(new URL('./fleet-sim-workers.js', import.meta.url), [url, 'sim', String(simWorkers), JSON.stringify(sleeps)], { stdio: 'inherit' });
  children.push(sim);
  await new Promise((r) => sim.once('message', r));
  const coordinator = await FleetClient.open(url, { pollMs: 1000 });
  await coordinator.depths('sim'); // the class's queue and its event listener are set up before the clock starts
  const stopAt = Date.now() + simSeconds * 1000;
  const cpu0 = process.cpuUsage();
  const redis0 = redisCpu();
  const t0 = performance.now();
  // The lanes start spread over one median job, as in a fleet that has been running a while (not all in step).
  const stagger = median(sleeps);
  const windowStart = Date.now() + stagger;
  const lane = async (_: unknown, i: number) => {
    await new Promise((r) => setTimeout(r, (i / simWorkers) * stagger));
    while (Date.now() < stopAt) await coordinator.evaluate({ ...base, id: `sim-${n}`, candidate: { source: `/* ${n++} */\n${t.referenceSource}`, flags: [] } });
  };
  await Promise.all(Array.from({ length: simWorkers }, lane));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redisMs = redisCpu() - redis0;
  const simTrips = coordinator.trips;
  await coordinator.close();
  sim.kill('SIGTERM');
  const oh = overheads(simTrips);
  // Busy: the share of the workers' time in jobs once every lane has started.
  const busy = simTrips.reduce((a, x) => a + Math.max(0, Math.min(x.finishedAt, stopAt) - Math.max(x.startedAt, windowStart)), 0) / (simWorkers * (stopAt - windowStart));
  const toWorker = median(simTrips.map((x) => x.startedAt - x.enqueuedAt));
  const back = median(simTrips.map((x) => x.resultAt - x.finishedAt));
  return `| ${simWorkers} | ${label} | ${f1(median(sleeps))} | ${f1(wallMs / 1000)} | ${simTrips.length} | ${f1(simTrips.length / (wallMs / 1000))} | ${f1(median(oh))} | ${f1(pct(oh, 0.95))} | ${f1(oh.reduce((a, b) => a + b, 0) / oh.length)} | ${f1(toWorker)} | ${f1(back)} | ${f1(((cpu.user + cpu.system) / 1000 / wallMs) * 100)}% | ${f1((redisMs / wallMs) * 100)}% | ${f1(busy * 100)}% |`;
}

const rows = [
  await simulate(measured.length ? `measured x ${simScale}` : `2-4 s x ${simScale}`, durations),
  await simulate(
    '20x shorter',
    durations.map((ms) => ms / 20),
  ),
];
console.log('| simulated workers | job sleeps | median sleep ms | wall s | jobs | jobs/s | overhead/job median ms | p95 ms | mean ms | of which enqueue → job start | job end → result | coordinator CPU | Redis CPU | workers busy |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(
  `overhead/job: as above; coordinator CPU: this process's user + system time over the wall time; workers busy: their time in jobs once every lane has started (goal: coordination overhead ≤ 5 ms per job, all ${simWorkers} kept busy)`,
);
stopAll();
rmSync(root, { recursive: true, force: true });
process.exit(0);
