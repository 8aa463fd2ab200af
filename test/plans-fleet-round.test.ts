import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPlanRoundFleet, PlanFleet, PlanJobFailed, targetDigest, type PlanJob, type WorkerRecord } from '../fleet/index.js';
import { publishWorker, removeWorker } from '../fleet/registry.js';
import { LowdbStore } from '../memory/index.js';
import { allowedCores, parsePlan, planRecord, planRound } from '../plans/index.js';
import { CATALOG_DIR, loadTarget } from '../targets/index.js';
import { tmp } from './helpers.js';
import { fleetWorkflow, freePort, SUM_SPINS, TestRedis, TestWorker, waitFor } from './fleet-helpers.js';
import { cpuDescriptor, executor, references, smallWorkload, storeCpuProfile } from './plan-helpers.js';

/**
 * kloop run --workload's plan rounds with a fleet: a redis-server of our own and a real `kloop
 * worker` pinned to one core. The round offers GP1 the worker (a record whose heartbeat does not
 * move is left out), measures a plan that uses it in waves, and keeps it by the usual rule; then
 * the fleet's faults: a coordinator that gives up leaves no output blob behind, and a worker
 * SIGKILLed mid-job leaves no job program running.
 */
let redis: TestRedis;
let dir: string;
let worker: TestWorker;
let record: WorkerRecord;
/** Two row-split nodes: GP1 can give the worker half of each. */
const w = smallWorkload(`name: duo
nodes:
  ln: { target: layernorm, sizes: { R: 12, C: 16 }, rows: R }
  sm: { target: softmax, sizes: { R: 12, C: 16 }, rows: R }
edges:
  - { from: ln.Y, to: sm.X }
`);
const kernels = references(w);
const sumTarget = loadTarget(join(CATALOG_DIR, 'sum'));

beforeAll(async () => {
  redis = await TestRedis.start();
  dir = tmp('kloop-plans-fleet-round-');
  // The process layer alone (no bubblewrap, whose --die-with-parent would tie a job's program to its launcher anyway): the program's own lifeline is what is tested.
  fleetWorkflow(dir, 'sandbox: {level: process}\n');
  // The worker is this machine's CPU whole (every core this process may use): its HP1 profile stored as a run leaves one, so it starts without measuring.
  await storeCpuProfile(join(dir, '.kloop', 'memory.json'), join(dir, 'cache'));
  worker = new TestWorker('fr1', dir, redis.url, allowedCores().join(','));
  await worker.ready();
  const f = await PlanFleet.open(redis.url);
  record = (await f.workers()).find((x) => x.id === 'fr1')!;
  await f.close();
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A plan job of one step on the worker: the shipped `sum` over 8 elements, with this source. */
const sumJob = (id: string, source: string): Omit<PlanJob, 'input'> => ({
  v: 1,
  kind: 'plan',
  id,
  run: 'test',
  worker: 'fr1',
  device: record.descriptor.fingerprint.id,
  real: 'float',
  kernels: [{ target: { name: 'sum', digest: targetDigest(sumTarget) }, source, flags: [] }],
  buffers: [{ elements: 8 }, { elements: 1 }],
  records: [{ buffer: 0, offset: 0, elements: 8 }],
  steps: [
    { op: 'load', record: 0 },
    { op: 'run', kernel: 0, sizes: { N: 8 }, args: { X: { buffer: 0, offset: 0 }, S: { buffer: 1, offset: 0 } } },
  ],
  outputs: [{ buffer: 1, offset: 0, elements: 1 }],
  limitMs: 20_000,
});

/** The parent of a process (/proc/PID/stat). */
const parentOf = (pid: string) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[1];
};

/** Live processes whose command line names this job's folder on the worker (its program, and any wrapper around it). */
const jobProcesses = (jobId: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`plan-jobs/${jobId}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    });

describe('a plan round with a fleet', () => {
  it("offers GP1 the fleet's live CPU workers, measures the plan that uses one in waves against the single-device plan, and keeps it by the same rule", async () => {
    // A record whose heartbeat never moves, though its own clock calls it fresh: left out, in one line.
    const raw = new Redis(redis.url);
    await publishWorker(raw, { ...record, id: 'ghost', beatAt: Date.now(), heartbeatMs: 100, running: [] });
    raw.disconnect();
    const lines: string[] = [];
    const fleet = (await openPlanRoundFleet(redis.url, (l) => lines.push(l), { staleMs: 2500, graceMs: 5000, pollMs: 200 }))!;
    try {
      const hook = (await fleet.offer())!;
      expect(lines.join('\n')).toMatch(/^fleet worker ghost left out of the plan: its heartbeat did not change in [\d.]+ s \(it beats every 0\.1 s\): is it running\?$/m);
      expect(lines.join('\n')).toMatch(/^fleet workers offered to GP1: w-fr1 \(.*; a plan job's round trip [\d.]+ ms, measured now\)$/m);
      expect(hook.workers.map((x) => x.device.worker)).toEqual(['fr1']);
      expect(hook.workers[0].jobMs).toBeGreaterThan(0);

      // Node times as a CPU measures slow nodes (1 s each whole, 5 s on a core group alone): GP1 puts half of the rows on the worker.
      const times = (ns: number) => new Map(w.nodes.map((n) => [n.name, ns]));
      const memory = LowdbStore.memory();
      const d = cpuDescriptor();
      const r = await planRound({
        measure: async () =>
          new Map([
            [2, times(1e9)],
            [1, times(5e9)],
          ]),
        workload: w,
        descriptor: d,
        kernels,
        executor: executor(),
        memory,
        dir: tmp(),
        runId: 'run-fleet',
        minSpeedup: 0,
        pairs: 2,
        reps: 1,
        targetMs: 5,
        seed: 4,
        now: () => '2026-11-30T16:00:00Z',
        fleet: hook,
      });
      expect(r.set).toBe('CPU + 1 worker');
      expect(r.plans.sets.map((s) => s.set)).toContain('CPU + 1 worker');
      expect(r.verdict).toMatchObject({ ok: true });
      if (r.verdict?.ok) expect(r.verdict.checked).toMatch(/executed in \d+ waves, \d+ fleet jobs on worker fr1\)$/);
      // What moved is in the round's line; the keep rule is the usual one (here the bar is 0: kept).
      expect(r.why).toMatch(
        /^kept: CPU \+ 1 worker plan [\d.]+x \[95% CI \S+-\S+, 2 pairs\] over the single-device plan \([\d.]+ vs [\d.]+ ms measured, whole executions in waves, the plan's moving \d+ fleet jobs: [\d.]+ KiB to workers, [\d.]+ KiB back, [\d.]+ ms of round trips, [\d.]+ ms of it the jobs' own work on the workers; [\d.]+ ms predicted\), verified$/,
      );
      const kept = (await memory.getPlan(w.name, `${d.fingerprint.id}+${record.descriptor.fingerprint.id}`))!;
      expect(kept).toMatchObject({ runId: 'run-fleet', pairs: 2 });
      expect(parsePlan(kept.plan, 'memory').devices.find((x) => x.worker)).toMatchObject({ name: 'w-fr1', worker: 'fr1', acp: record.descriptor.fingerprint.id });
      // As the run keeps the round for kloop report: the graph coloured by device, the worker among them.
      const rec = planRecord(w, r);
      expect(rec).toMatchObject({ set: 'CPU + 1 worker', kept: true, measuredMs: r.timing!.ms[1] });
      expect(rec.svg).toContain('>w-fr1</text>');
    } finally {
      await fleet.close();
    }
  }, 90_000);

  it("the registry lists a worker whose clock is hours behind this machine's (its record expires on Redis's clock)", async () => {
    const raw = new Redis(redis.url);
    try {
      await publishWorker(raw, { ...record, id: 'behind', beatAt: Date.now() - 7_200_000, running: [] });
      const f = await PlanFleet.open(redis.url);
      expect((await f.workers()).map((x) => x.id)).toContain('behind');
      await f.close();
    } finally {
      await removeWorker(raw, 'behind');
      raw.disconnect();
    }
  });

  it('a fleet that cannot be reached is one line, and the rounds go on without it', async () => {
    const lines: string[] = [];
    const none = await openPlanRoundFleet(`redis://127.0.0.1:${await freePort()}`, (l) => lines.push(l), { connectMs: 500 });
    expect(none).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fleet: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? within 0\.5 s.*; the plan rounds use this machine's devices only$/);
  });
});

describe("the fleet's faults", () => {
  it('a coordinator that gives up on a running job leaves no output blob: the worker sees the cancel marker and stores nothing', async () => {
    // Runs 1.5 s, then answers; the coordinator takes the worker for dead (a heartbeat older than 0.3 s) long before.
    const slow = `#include <time.h>
void sum(int N, const real *X, real *S) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do clock_gettime(CLOCK_MONOTONIC, &b); while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 1500000000L);
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
`;
    const impatient = await PlanFleet.open(redis.url, { staleMs: 300, pollMs: 50 });
    const raw = new Redis(redis.url);
    try {
      const id = 'plan-leak-1';
      await expect(impatient.run(sumJob(id, slow), Buffer.alloc(32))).rejects.toThrow(PlanJobFailed);
      // The worker finishes the job after the coordinator gave up, and says it stored nothing.
      await waitFor('the worker to finish the job', () => new RegExp(`plan job ${id}: (timed-out|\\d+ steps)`).test(worker.log), 20_000);
      expect(await raw.keys('kloop:fleet:plan:*:out')).toEqual([]);
      expect(worker.log).toMatch(new RegExp(`plan job ${id}: timed-out: its coordinator gave up on it \\(its deadline passed, or it took this worker for dead\\): its output is not stored`));
      expect(await raw.keys('kloop:fleet:plan:*:in')).toEqual([]);
      expect(await raw.ttl(`kloop:fleet:plan:${id}:cancelled`)).toBeGreaterThan(0);
    } finally {
      await impatient.close();
      raw.disconnect();
    }
  }, 30_000);

  it("a job's program dies with its launcher and with its worker: either SIGKILLed mid-job leaves no process of the job, and the job is a verdict within seconds", async () => {
    const fleet = await PlanFleet.open(redis.url, { staleMs: 2500, pollMs: 200 });
    try {
      // The sandbox's launcher (the worker's spawner helper, the program's parent) killed outright: the program goes with it (PR_SET_PDEATHSIG).
      const first = fleet.run(sumJob('plan-orphan-1', SUM_SPINS), Buffer.alloc(32));
      const program = await waitFor('the job program to spin', () => jobProcesses('plan-orphan-1').find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('job.bin')), 20_000);
      const launcher = parentOf(program);
      expect(readFileSync(`/proc/${launcher}/cmdline`, 'utf8')).toMatch(/^\S*node\0-e\0/);
      process.kill(Number(launcher), 'SIGKILL');
      await waitFor('no process of the first job left', () => jobProcesses('plan-orphan-1').length === 0, 5000, 50);
      expect((await first).result).toMatchObject({ outcome: 'run-failed' });

      // The worker itself SIGKILLed mid-job.
      const id = 'plan-orphan-2';
      const pending = fleet.run(sumJob(id, SUM_SPINS), Buffer.alloc(32)).then(
        () => 'answered',
        (e: Error) => e,
      );
      await waitFor('the job program to spin', () => jobProcesses(id).length > 0, 20_000);
      const t0 = Date.now();
      await worker.stop('SIGKILL');
      await waitFor('no process of the job left', () => jobProcesses(id).length === 0, 5000, 50);
      const v = await pending;
      expect(v).toBeInstanceOf(PlanJobFailed);
      expect((v as Error).message).toMatch(/^worker fr1 sent no heartbeat for [\d.]+ s while plan job plan-orphan-2 was active: taken for dead$/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await fleet.close();
    }
  }, 60_000);

  it('Redis gone: a plan job is a verdict within its grace, not a wait, and the fleet still closes', async () => {
    const fleet = await PlanFleet.open(redis.url, { staleMs: 1000, graceMs: 1000, pollMs: 100 });
    await redis.kill();
    const t0 = Date.now();
    await expect(fleet.run(sumJob('plan-noredis-1', SUM_SPINS), Buffer.alloc(32))).rejects.toThrow(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/? did not answer within 1 s while plan job plan-noredis-1 for worker fr1 was queued$/);
    await fleet.close();
    expect(Date.now() - t0).toBeLessThan(8000);
  }, 20_000);
});
