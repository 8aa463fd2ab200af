import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetJobFailed, fleetStatus, harnessVersion, isShippedTarget, KEYS, QUEUE_PREFIX, queueName, resultKey, targetDigest, targetFiles } from '../fleet/index.js';
import { CATALOG_DIR, loadTarget } from '../targets/index.js';
import { kloop, tmp } from './helpers.js';
import { fleetWorkflow, SUM_BROKEN, SUM_SPINS, SUM_UNROLLED, SUM_WRONG, sumJob, TestRedis, TestWorker, waitFor } from './fleet-helpers.js';

/**
 * The fleet's jobs with the real thing: a redis-server of our own, two `kloop worker` processes
 * pinned to one core each, jobs on the shipped `sum` at a small bench size.
 */
let redis: TestRedis;
let dir: string;
let workers: TestWorker[];
let client: FleetClient;
let raw: Redis;
let queue: Queue;

beforeAll(async () => {
  redis = await TestRedis.start();
  dir = tmp('kloop-fleet-jobs-');
  fleetWorkflow(dir);
  workers = [new TestWorker('w1', dir, redis.url, 0), new TestWorker('w2', dir, redis.url, 1)];
  await Promise.all(workers.map((w) => w.ready()));
  client = await FleetClient.open(redis.url, { pollMs: 200 });
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
  raw.on('error', () => undefined); // the Redis restart below
  queue = new Queue(queueName('cpu'), { connection: raw, prefix: QUEUE_PREFIX });
  queue.on('error', () => undefined);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await queue?.close();
  raw?.disconnect();
  await Promise.all((workers ?? []).map((w) => w.stop()));
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A raw BullMQ job's end: its state, attempts and failure reason or return value. */
async function settled(j: BullJob): Promise<{ state: string; attemptsMade: number; failedReason?: string; returnvalue: unknown }> {
  await waitFor(`job ${j.id}`, async () => ['completed', 'failed'].includes(await queue.getJobState(j.id!)));
  const now = (await queue.getJob(j.id!))!;
  return { state: await now.getState(), attemptsMade: now.attemptsMade, failedReason: now.failedReason, returnvalue: now.returnvalue };
}

describe('fleet jobs on two real workers', () => {
  it('two workers, one core each, build, verify and A/B time real candidates; a wrong kernel or a broken build is a result, never a failed job', async () => {
    const status = await fleetStatus(redis.url);
    expect(status.workers.map((w) => w.id).sort()).toEqual(['w1', 'w2']);
    for (const w of status.workers) {
      expect(w.descriptor.units.count).toBe(1); // taskset: one core each
      expect(w.descriptor.link!.rttMs).toBeGreaterThan(0);
    }
    const reference = readFileSync(`${CATALOG_DIR}/sum/reference.c`, 'utf8');
    const [good, wrong, broken, ref] = await Promise.all([
      client.evaluate(sumJob('good', SUM_UNROLLED)),
      client.evaluate(sumJob('wrong', SUM_WRONG)),
      client.evaluate(sumJob('broken', SUM_BROKEN)),
      client.evaluate(sumJob('ref', `/* the reference again */\n${reference}`)),
    ]);
    expect(good.outcome).toBe('done');
    expect(['proved', 'tested']).toContain(good.verdict!.status);
    expect(good.timing!.ok).toBe(true);
    expect(good.timing!.pairs).toBeGreaterThanOrEqual(2);
    expect(good.timing!.baselineNs.length).toBe(good.timing!.pairs); // every pair on the one worker
    expect(good.judged!.ok).toBe(true);
    expect(wrong).toMatchObject({ outcome: 'done', verdict: { status: 'rejected' } });
    expect(wrong.timing).toBeUndefined();
    expect(broken).toMatchObject({ outcome: 'done', build: { ok: false } });
    expect(ref.timing!.ok).toBe(true);
    expect(new Set([good, wrong, broken, ref].map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    const depths = await client.depths('cpu');
    expect(depths.failed).toBe(0);
    expect(depths.completed).toBeGreaterThanOrEqual(4);
    // What an operator sees: workers with their class, device and last heartbeat; the queue's depths; the descriptors.
    const doctor = kloop(dir, ['doctor', '--fleet', redis.url]);
    for (const w of ['w1', 'w2']) expect(doctor.out).toMatch(new RegExp(`ok {6}worker ${w} +class cpu, cpu .* \\(1 cores\\), last heartbeat \\d+\\.\\d s ago, idle, \\d+ job\\(s\\) done; device cpu-[0-9a-f]{12}$`, 'm'));
    expect(doctor.out).toMatch(/ok {6}queue cpu +0 waiting, 0 running, 0 retrying, 0 failed, [4-9] completed; 2 worker\(s\)/);
    const devices = kloop(dir, ['devices', '--json', '--fleet', redis.url]);
    expect((JSON.parse(devices.out) as { link?: unknown }[]).filter((d) => d.link)).toHaveLength(2);
  }, 120_000);

  it('double delivery: the same job enqueued twice is run once and counted once, and a redelivered job is not run again', async () => {
    const job = sumJob('twice', `/* twice */\n${SUM_UNROLLED}`);
    const key = resultKey(job);
    const before = client.trips.length;
    const [a, b] = await Promise.all([client.evaluate(job), client.evaluate(job)]);
    expect(b).toBe(a);
    expect(client.trips.length - before).toBe(1);
    expect(workers.map((w) => w.log.match(/job twice \(evaluate\): tested|job twice \(evaluate\): proved/g)?.length ?? 0).reduce((x, y) => x + y)).toBe(1);
    // Another coordinator (or this one after a restart) asking for it gets the stored result: no new work.
    const other = await FleetClient.open(redis.url, { pollMs: 200 });
    try {
      expect((await other.evaluate(job)).startedAt).toBe(a.startedAt);
    } finally {
      await other.close();
    }
    // The queue delivering the same payload again (as after a lost lock) runs nothing.
    const again = await settled(await queue.add('evaluate', job, { jobId: 'redelivered' }));
    expect(again).toMatchObject({ state: 'completed', returnvalue: { key, again: true, startedAt: a.startedAt } });
    expect(workers.some((w) => w.log.includes(`job twice (evaluate): already has a result (${key.slice(0, 12)}), not run again`))).toBe(true);
    expect(JSON.parse((await raw.get(KEYS.result(key)))!).startedAt).toBe(a.startedAt);
  }, 120_000);

  it('an invalid payload is refused in one line and never retried; so is a flag off the allow-list', async () => {
    const bad = await settled(await queue.add('evaluate', { v: 1, stage: 'evaluate', id: 'bad', command: 'rm -rf /' }, { jobId: 'bad-1', attempts: 3 }));
    expect(bad.state).toBe('failed');
    expect(bad.attemptsMade).toBe(1);
    expect(bad.failedReason).toMatch(/^refused job bad-1: command: unknown key/);
    expect(bad.failedReason).not.toContain('\n');
    expect(workers.some((w) => w.log.includes(bad.failedReason!))).toBe(true);
    const plugin = sumJob('plugin', SUM_UNROLLED, { candidate: { source: SUM_UNROLLED, flags: ['-fplugin=evil.so'] } });
    await expect(client.evaluate(plugin)).rejects.toThrow(FleetJobFailed);
    await expect(client.evaluate(plugin)).rejects.toThrow(/refused job plugin: flag "-fplugin=evil.so" is not allowed for sum/);
  }, 120_000);

  it('a target the workers do not ship travels with its jobs: loaded on the worker by the same loader; files that do not match their digest, or a path out of the folder, are refused', async () => {
    const own = join(dir, 'own-targets', 'mysum');
    mkdirSync(join(own, 'src'), { recursive: true });
    writeFileSync(
      join(own, 'target.yaml'),
      readFileSync(join(CATALOG_DIR, 'sum', 'target.yaml'), 'utf8')
        .replace(/^name: .*$/m, 'name: MySum')
        .replace(/^reference: .*$/m, '') + 'reference: src/ref.c\n',
    );
    writeFileSync(join(own, 'src', 'ref.c'), `/* a user's own copy */\n${readFileSync(join(CATALOG_DIR, 'sum', 'reference.c'), 'utf8')}`);
    const t = loadTarget(own);
    expect(isShippedTarget(t)).toBe(false);
    expect(isShippedTarget(loadTarget(join(CATALOG_DIR, 'sum')))).toBe(true);
    const files = targetFiles(t);
    expect(Object.keys(files).sort()).toEqual(['src/ref.c', 'target.yaml']);
    const carried = (id: string, source: string, f = files) =>
      sumJob(id, source, { harness: harnessVersion(t, 'c'), target: { name: 'MySum', digest: targetDigest(t), benchSize: { N: 1_000_000 }, files: f }, baseline: { source: t.referenceSource, flags: [] } });
    const [good, wrong] = await Promise.all([client.evaluate(carried('own-good', SUM_UNROLLED)), client.evaluate(carried('own-wrong', SUM_WRONG))]);
    expect(good.outcome).toBe('done');
    expect(['proved', 'tested']).toContain(good.verdict!.status);
    expect(good.timing!.ok).toBe(true);
    expect(wrong).toMatchObject({ outcome: 'done', verdict: { status: 'rejected' } });
    // the reference changed behind the digest's back: refused, never run
    const tampered = carried('own-tampered', `/* tampered */\n${SUM_UNROLLED}`, { ...files, 'src/ref.c': files['src/ref.c'].replace('/* a user', '/* another user') });
    await expect(client.evaluate(tampered)).rejects.toThrow(/refused job own-tampered: target MySum's files do not match its digest/);
    const escape = await settled(await queue.add('evaluate', carried('own-escape', SUM_UNROLLED, { ...files, '../../etc/evil.c': 'x' }), { jobId: 'own-escape-1', attempts: 3 }));
    expect(escape).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(escape.failedReason).toMatch(/^refused job own-escape-1: target\.files.*evil\.c: Invalid key in record/);
  }, 120_000);

  it('a job past its time limit is killed on the worker and reported as its result; the worker goes on', async () => {
    const job = sumJob('spins', SUM_SPINS, { limitMs: 10_000, verify: { ...sumJob('x', '').verify, caseTimeoutMs: 600_000 } });
    const key = resultKey(job);
    const pending = client.evaluate(job);
    const spinning = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p).includes(`jobs/${key}/kernel.bin`));
    await waitFor('the spinning kernel to run', () => spinning().length > 0, 30_000, 20);
    const r = await pending;
    expect(r.outcome).toBe('timed-out');
    expect(r.error).toMatch(/^killed on worker w[12] after its time limit of 10\.0 s/);
    // Nothing the job started is left running.
    await waitFor('the job to be gone', () => spinning().length === 0, 15_000);
    const next = await client.evaluate(sumJob('after-limit', `/* after */\n${SUM_UNROLLED}`, { class: 'cpu' }));
    expect(next.outcome).toBe('done');
  }, 120_000);

  it('a worker that loses Redis reconnects: heartbeats resume and it takes jobs again', async () => {
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500)); // a few missed heartbeats
    await redis.restart();
    const r = await client.evaluate(sumJob('after-restart', `/* restarted */\n${SUM_UNROLLED}`));
    expect(r.outcome).toBe('done');
    await waitFor('both heartbeats', async () => (await fleetStatus(redis.url)).workers.length === 2, 20_000);
    expect(workers.some((w) => /heartbeats resume/.test(w.log))).toBe(true);
  }, 120_000);
});

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
