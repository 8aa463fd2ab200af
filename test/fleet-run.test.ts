import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fleetStatus, QUEUE_PREFIX, queueName, type Job, type WorkerRecord } from '../fleet/index.js';
import { Journal, parseResults, type Journaled } from '../loop/index.js';
import { CLI, kloop, smallTarget, tmp } from './helpers.js';
import { fleetWorkflow, TestRedis, TestWorker, waitFor } from './fleet-helpers.js';

/**
 * `kloop run --fleet` end to end. Workers and coordinator reach Redis over TLS (rediss://) with a
 * password, both passed through to ioredis; they trust the test's CA as a user would trust a
 * private one. The test itself watches the registry through the plain port.
 */
let dir: string;
let redis: TestRedis;
let env: NodeJS.ProcessEnv;
let workers: TestWorker[];
/** The test's own view of the cpu queue (plain port). */
let raw: Redis;
let queue: Queue;
/** Other folders a case made (removed at the end, whatever happened). */
const others: string[] = [];

beforeAll(async () => {
  dir = tmp('kloop-fleet-run-');
  redis = await TestRedis.start({ password: 's3cret-pw', tlsDir: dir });
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
  raw.on('error', () => undefined);
  queue = new Queue(queueName('cpu'), { connection: raw, prefix: QUEUE_PREFIX });
  queue.on('error', () => undefined);
  env = { ...process.env, NODE_EXTRA_CA_CERTS: redis.tls!.caFile };
  fleetWorkflow(dir, 'loop: {candidates: 2}\n');
  workers = [new TestWorker('w1', dir, redis.tlsUrl, 0, [], env), new TestWorker('w2', dir, redis.tlsUrl, 1, [], env)];
  await Promise.all(workers.map((w) => w.ready()));
}, 120_000);

afterAll(async () => {
  await queue?.close();
  raw?.disconnect();
  await Promise.all((workers ?? []).map((w) => w.stop()));
  await redis?.kill();
  for (const d of [dir, ...others]) rmSync(d, { recursive: true, force: true });
}, 60_000);

/** `kloop run` in `cwd` on the fleet, one JSON event per line; `exited` resolves with its exit code. */
function coordinator(cwd: string, args: string[]) {
  const p = spawn(process.execPath, [CLI, 'run', '--fleet', redis.tlsUrl, ...args, '--json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { p, out: '', err: '', exited: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
  p.stdout.on('data', (d: Buffer) => (io.out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  return io;
}

const eventsOf = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Journaled);
const resultsOf = (events: Journaled[]) => events.filter((e): e is Extract<Journaled, { type: 'candidate.result' }> => e.type === 'candidate.result').map((e) => e.result);

/** The first live worker (a heartbeat in the last 2 s; a killed one's record stays) seen running a candidate's job (not the baseline's measure job). */
const busyWorker = () =>
  waitFor<WorkerRecord>(
    "a worker running a candidate's job",
    async () => {
      const s = await fleetStatus(redis.url);
      return s.workers.find((w) => w.running.some((r) => /^sum-r\d+-c\d+$/.test(r.candidate)) && s.now - w.beatAt < 2000);
    },
    60_000,
    25,
  );

describe('kloop run --fleet', () => {
  it('evaluates each candidate on a worker; a worker SIGKILLed mid-job has its job finished by the other, and the run counts every candidate once', async () => {
    const target = smallTarget('sum', '{N: 1000000}', dir);
    const run = coordinator(dir, ['--target', target, '--rounds', '1']);
    const busy = await busyWorker();
    const candidate = busy.running.find((r) => /^sum-r\d+-c\d+$/.test(r.candidate))!.candidate;
    const victim = workers.find((w) => w.name === busy.id)!;
    await victim.stop('SIGKILL');
    const survivor = workers.find((w) => w !== victim)!;

    expect(await run.exited, run.err + run.out).toBe(0);
    expect(run.err).toMatch(/fleet: the run tunes for device class cpu at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: cpu-[0-9a-f]{12} \(.*\), profile from worker w[12]; 2 worker\(s\): w1, w2/);
    expect(run.err + run.out + workers.map((w) => w.log).join('')).not.toContain('s3cret-pw');
    const events = eventsOf(run.out);
    const runId = events.find((e) => e.type === 'run.start')!.runId;
    const results = resultsOf(events);
    const ids = results.map((r) => r.id);
    expect(ids.sort()).toEqual(['sum-r1-c1', 'sum-r1-c2']); // each candidate counted once
    const rows = parseResults(readFileSync(join(dir, 'runs', runId, 'results.tsv'), 'utf8'));
    expect(rows.map((r) => r.id).sort()).toEqual(ids);
    // The killed worker's job was finished by the other one, and measured there.
    expect(candidate).toMatch(/^sum-r1-c[12]$/);
    const fleet = JSON.parse(readFileSync(join(dir, 'runs', runId, 'candidates', candidate, 'fleet.json'), 'utf8')) as { worker: string; outcome: string };
    expect(fleet).toMatchObject({ worker: survivor.name, outcome: 'done' });
    expect(survivor.log).toContain(`job ${candidate} (evaluate): `);
    const mine = results.find((r) => r.id === candidate)!;
    expect(['keep', 'discard', 'invalid', 'crash']).toContain(mine.status);
    expect(mine.verdict).not.toMatch(/fleet/);
    workers.push(new TestWorker('w3', dir, redis.tlsUrl, workers.indexOf(victim), [], env)); // back to two
  }, 180_000);

  it('a coordinator SIGKILLed mid-run resumes with --resume on the fleet: the run ends, no candidate counted twice; the job it left behind is finished by a worker and its stored result taken by the resumed run, without new work', async () => {
    await workers.at(-1)!.ready();
    // (the workers' logs from here on: the first case ran candidates of the same ids)
    const marks = new Map(workers.map((w) => [w, w.log.length]));
    const cwd = tmp('kloop-fleet-resume-');
    others.push(cwd);
    fleetWorkflow(cwd, 'loop: {candidates: 2}\n');
    const target = smallTarget('sum', '{N: 1000000}', cwd);
    const first = coordinator(cwd, ['--target', target, '--rounds', '2']);
    // Killed while one of its evaluate jobs is on the queue (seen there, not in the workers' heartbeats, which lag).
    const queued = await waitFor(
      'an evaluate job of the run on the queue',
      async () => {
        const runId = /"runId":"([^"]+)"/.exec(first.out)?.[1]; // (the output so far may end mid-line)
        const jobs = runId ? await queue.getJobs(['active', 'waiting']) : [];
        return jobs.find((j) => (j.data as Job).run === runId && (j.data as Job).stage === 'evaluate');
      },
      60_000,
      10,
    );
    first.p.kill('SIGKILL');
    await first.exited;
    const runId = eventsOf(first.out).find((e) => e.type === 'run.start')!.runId;
    const left = (queued.data as Job).id;
    const journaled = Journal.read(join(cwd, 'runs', runId, 'journal.jsonl'));
    const before = journaled.filter((e) => e.type === 'candidate.result').map((e) => (e as Extract<Journaled, { type: 'candidate.result' }>).result.id);
    expect(before).not.toContain(left);

    if (availableParallelism() > 1) {
      // Resumed without the fleet, it would measure on this machine, another device than its one-core workers: refused in one line.
      const local = kloop(cwd, ['run', '--resume', runId, '--no-tui']);
      expect(local.code, local.out).toBe(2);
      expect(local.out).toMatch(
        new RegExp(`^kloop: --resume ${runId}: the run measured on device cpu-[0-9a-f]{12}, but its device now is cpu-[0-9a-f]{12} \\(.*, ${availableParallelism()} cores\\): its figures would mix two devices; start a new run$`, 'm'),
      );
    }
    const again = coordinator(cwd, ['--resume', runId]);
    expect(await again.exited, again.err + again.out).toBe(0);
    const rows = parseResults(readFileSync(join(cwd, 'runs', runId, 'results.tsv'), 'utf8'));
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, before.length)).toEqual(before);
    // The job the dead coordinator left went on: a worker finished it, and nothing failed.
    await waitFor('the orphaned job to finish', () => workers.some((w) => w.log.slice(marks.get(w) ?? 0).includes(`job ${left} (evaluate): `)), 60_000);
    expect((await fleetStatus(redis.url)).classes.find((c) => c.name === 'cpu')!.depths.failed).toBe(0);
    // The resumed run evaluated the candidates the dead one had sent out first, and took the left job's
    // stored result: the same job (program, target, baseline, settings), no new work on any worker.
    const resumed = rows.find((r) => r.description.startsWith(`resumed ${left}:`));
    expect(resumed, rows.map((r) => `${r.id} ${r.description}`).join('\n')).toBeDefined();
    expect(Number(resumed!.round)).toBeGreaterThan(1);
    const logs = workers.map((w) => w.log.slice(marks.get(w) ?? 0)).join('');
    expect(logs.match(new RegExp(`job ${left} \\(evaluate\\): (?!already)`, 'g'))).toHaveLength(1);
    expect(logs).not.toMatch(new RegExp(`job ${resumed!.id} \\(evaluate\\): (?!already)`));
  }, 180_000);
});
