import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFleetDevices, fleetRemote, parsePlanJob, PlanFleet, targetDigest, type WorkerRecord } from '../fleet/index.js';
import { publishWorker, removeWorker } from '../fleet/registry.js';
import { checkPlanJobSteps } from '../fleet/plan-program.js';
import { allowedCores, bindPlan, buildPlan, buildWavePlan, costModel, cutWaves, planWorkload, timeInWaves, verifyInWaves, workloadInputs, type Assignment, type CepDevice, type CepPlan, type NodeKernel } from '../plans/index.js';
import { parseDescriptor } from '../devices/index.js';
import { CATALOG_DIR } from '../targets/index.js';
import { loadWorkload } from '../workloads/index.js';
import { CLI, tmp } from './helpers.js';
import { fleetWorkflow, SUM_SPINS, TestRedis, TestWorker, waitFor } from './fleet-helpers.js';
import { cpuDescriptor, executor, references, smallWorkload } from './plan-helpers.js';

/**
 * CEP plans whose devices include a fleet worker, run for real: a redis-server of our own, one
 * `kloop worker` process pinned to a core; the worker device's steps go to it as plan jobs (built
 * and run in its sandbox), the rows copied to and from it travel through Redis, and the graph
 * oracle judges every device's memory.
 */
let redis: TestRedis;
let dir: string;
let worker: TestWorker;
let fleet: PlanFleet;
let record: WorkerRecord;
const w = smallWorkload();
const kernels = references(w);
const ex = executor();

beforeAll(async () => {
  redis = await TestRedis.start();
  dir = tmp('kloop-plans-fleet-');
  fleetWorkflow(dir);
  worker = new TestWorker('pw1', dir, redis.url, 1);
  await worker.ready();
  fleet = await PlanFleet.open(redis.url, { staleMs: 2500, graceMs: 5000, pollMs: 200 });
  record = (await fleet.workers()).find((x) => x.id === 'pw1')!;
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  await worker?.stop();
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const devices = (): CepDevice[] => [
  { name: 'cpu', acp: 'cpu-0123456789ab', kind: 'cpu' },
  { name: 'w', acp: record.descriptor.fingerprint.id, kind: 'cpu', worker: 'pw1' },
];
/** Every split node's rows 0..5 here, the rest on the worker; the node that does not split (sum) on the worker. */
const split = (): Assignment =>
  w.nodes.map((n) =>
    n.rows
      ? [
          { device: 0, rows: [0, 5] },
          { device: 1, rows: [5, n.rows.extent] },
        ]
      : [{ device: 1, rows: [0, 1] }],
  );
const bound = (p: CepPlan) => bindPlan(p, w, 'plan.json');
const verify = (p: CepPlan, o: { seed: number; unchecked?: boolean; worker?: Map<string, NodeKernel>; limitMs?: number }) =>
  verifyInWaves(bound(p), {
    executor: ex,
    kernels,
    remote: fleetRemote({ fleet, bound: bound(p), kernelsFor: (d) => (d === 1 ? (o.worker ?? kernels) : kernels), limitMs: o.limitMs ?? 60_000 }),
    dir: join(dir, `v${o.seed}`),
    seed: o.seed,
    unchecked: o.unchecked,
  });
/** A plan less some steps, and every wait on them. */
const without = (p: CepPlan, ids: string[]): CepPlan => ({ ...p, steps: p.steps.filter((s) => !ids.includes(s.id)).map((s) => ({ ...s, after: s.after.filter((a) => !ids.includes(a)) })) });

describe('a CEP plan across this CPU and a fleet worker', () => {
  it('runs its worker steps as plan jobs on the worker, moves the copies through Redis, and equals the graph oracle', async () => {
    const plan = buildPlan(w, devices(), 0, split());
    const waves = cutWaves(bound(plan))!;
    expect(waves.length).toBeGreaterThan(1);
    expect(waves.some((x) => x.remote.has(1))).toBe(true);
    const v = await verify(plan, { seed: 1 });
    expect(v).toMatchObject({ ok: true });
    expect(v.execution!.jobs).toBe(waves.filter((x) => x.remote.size).length);
    // The rows copied to the worker went there, and the rows it computed came back.
    expect(v.execution!.bytesIn).toBeGreaterThan(0);
    expect(v.execution!.bytesOut).toBeGreaterThan(0);
    expect(worker.log).toMatch(/plan job plan-\S+: \d+ steps, \d+ bytes in, \d+ bytes out/);
    if (v.ok) expect(v.checked).toMatch(/fleet jobs on worker pw1/);
  }, 60_000);

  it('a target the worker does not ship, in double precision, travels with the job and is loaded there', async () => {
    const root = join(dir, 'custom');
    mkdirSync(join(root, 'dsm'), { recursive: true });
    const sm = join(CATALOG_DIR, 'softmax');
    writeFileSync(
      join(root, 'dsm', 'target.yaml'),
      readFileSync(join(sm, 'target.yaml'), 'utf8')
        .replace(/^name: softmax/m, 'name: dsm')
        .replace('void softmax(', 'void dsm(') + 'real: double\n',
    );
    writeFileSync(
      join(root, 'dsm', 'reference.c'),
      readFileSync(join(sm, 'reference.c'), 'utf8')
        .replace('void softmax(', 'void dsm(')
        .replace(/expf\(/g, 'exp('),
    );
    writeFileSync(join(root, 'workload.yaml'), 'name: dchain\nnodes:\n  a: { target: ./dsm, sizes: { R: 12, C: 8 }, rows: R }\n  b: { target: ./dsm, sizes: { R: 12, C: 8 }, rows: R }\nedges:\n  - { from: a.Y, to: b.X }\n');
    const cw = loadWorkload(root);
    expect(cw.nodes[0].target.real).toBe('double');
    const cb = bindPlan(
      buildPlan(cw, devices(), 0, [
        [{ device: 1, rows: [0, 12] }],
        [
          { device: 0, rows: [0, 5] },
          { device: 1, rows: [5, 12] },
        ],
      ]),
      cw,
      'plan.json',
    );
    const refs = references(cw);
    const v = await verifyInWaves(cb, { executor: ex, kernels: refs, remote: fleetRemote({ fleet, bound: cb, kernelsFor: () => refs, limitMs: 60_000 }), dir: join(dir, 'custom-v'), seed: 3 });
    expect(v).toMatchObject({ ok: true });
  }, 60_000);

  it('timed in waves: core groups of this CPU side by side with the worker, against the single-device plan, every execution checked', async () => {
    const cores = allowedCores().slice(0, 2);
    const three: CepDevice[] = [...cores.map((c, i) => ({ name: `cpu-g${i}`, acp: 'cpu-0123456789ab', kind: 'cpu', cores: [c] })), devices()[1]];
    const wi = three.length - 1;
    // Rows 0..7 on this CPU's groups (one or two), the rest on the worker.
    const local =
      wi === 2
        ? [
            { device: 0, rows: [0, 4] as [number, number] },
            { device: 1, rows: [4, 8] as [number, number] },
          ]
        : [{ device: 0, rows: [0, 8] as [number, number] }];
    const assignment: Assignment = w.nodes.map((n) => (n.rows ? [...local, { device: wi, rows: [8, n.rows.extent] }] : [{ device: wi, rows: [0, 1] }]));
    const b = bound(buildPlan(w, three, 0, assignment));
    const single = bound(
      buildPlan(
        w,
        [devices()[0]],
        0,
        w.nodes.map((n) => [{ device: 0, rows: [0, n.rows?.extent ?? 1] }]),
      ),
    );
    const v = await verify(b.plan, { seed: 5 });
    expect(v).toMatchObject({ ok: true });
    const plans = [];
    for (const [k, p] of [single, b].entries()) {
      const built = await buildWavePlan(ex, kernels, p, join(dir, 'v5', `t${k}`));
      if ('ok' in built) throw new Error(built.reason);
      plans.push(built);
    }
    const remote = fleetRemote({ fleet, bound: b, kernelsFor: () => kernels, limitMs: 60_000 });
    const t = await timeInWaves({ executor: ex, dir: join(dir, 'v5'), inputs: workloadInputs(w, 5), oracleOut: join(dir, 'v5', 'oracle.out'), pairs: 2, remote }, plans);
    expect(t.ms.every((ms) => ms > 0)).toBe(true);
    expect(t.speedup.pairs).toBe(2);
    expect(t.fleet.jobs).toBeGreaterThan(0);
    expect(t.fleet.bytesIn).toBeGreaterThan(0);
    expect(t.fleet.workerMs).toBeLessThanOrEqual(t.fleet.remoteMs);
  }, 60_000);

  it('a hostile plan is caught on the worker too: a copy to it skipped, a slice dropped there, a stale read of its rows', async () => {
    const plan = buildPlan(w, devices(), 0, split());
    const copyToWorker = plan.steps.find((s) => s.op === 'copy' && s.device === 'w')!;
    const sliceOnWorker = plan.steps.find((s) => s.op === 'run' && s.device === 'w' && s.rows)!;
    const copyFromWorker = plan.steps.find((s) => s.op === 'copy' && s.device === 'cpu' && s.from === 'w' && s.after.length)!;
    const stale: CepPlan = structuredClone(plan);
    const c = stale.steps.find((s) => s.id === copyFromWorker.id)!;
    c.after = [];
    stale.steps = [c, ...stale.steps.filter((s) => s !== c)];
    const cases: [string, CepPlan][] = [
      ['skipped transfer', without(plan, [copyToWorker.id])],
      ['dropped slice', without(plan, [sliceOnWorker.id])],
      ['stale read', stale],
    ];
    let seed = 10;
    for (const [what, p] of cases) {
      // The static check refuses each; the execution alone (unchecked) must catch it as well.
      const checked = await verify(p, { seed: seed++ });
      expect(checked, what).toMatchObject({ ok: false, stage: 'static' });
      const v = await verify(p, { seed: seed++, unchecked: true });
      expect(v, what).toMatchObject({ ok: false, stage: 'outputs' });
      if (!v.ok) {
        expect(v.reason, what).toMatch(/^node \w+ \(\w+\): \w+\.\w+\[\d+\](\[\d+\])* on (cpu|w) is /);
        expect(v.mismatch!.device).toMatch(/^(cpu|w)$/);
      }
    }
  }, 60_000);

  it('a job its worker refuses, one past its time limit, and one a worker never takes are verdicts in one line', async () => {
    const plan = buildPlan(w, devices(), 0, split());
    const flagged = new Map([...kernels].map(([t, k]) => [t, { ...k, flags: ['-fno-such-flag'] }]));
    const refused = await verify(plan, { seed: 20, worker: flagged });
    expect(refused).toMatchObject({ ok: false, stage: 'run' });
    if (!refused.ok) expect(refused.reason).toMatch(/^worker pw1 did not run plan job \S+: refused plan job \S+: kernels\[0\]: flag "-fno-such-flag" is not allowed for \w+/);
    const spins = new Map([...kernels, ['sum', { ...kernels.get('sum')!, source: SUM_SPINS }]]);
    const t0 = Date.now();
    // (4 s covers the spinner's build on a loaded machine; a build that took longer is the same verdict, said so)
    const late = await verify(plan, { seed: 21, worker: spins, limitMs: 4000 });
    expect(late).toMatchObject({ ok: false, stage: 'run' });
    if (!late.ok) expect(late.reason).toMatch(/plan job \S+: timed-out: (the job's program passed its time limit of 4000 ms|the build took \d+ ms of the job's 4000 ms)/);
    expect(Date.now() - t0).toBeLessThan(30_000);

    // A worker that sends heartbeats but takes no plan jobs (an older kloop): refused after the pick-up time, not waited on.
    const raw = new Redis(redis.url);
    const beat = () => publishWorker(raw, { ...record, id: 'old1', beatAt: Date.now() });
    await beat();
    const beating = setInterval(() => void beat(), 200);
    const quick = await PlanFleet.open(redis.url, { pickupMs: 1000, pollMs: 200 });
    try {
      const old = buildPlan(w, [devices()[0], { ...devices()[1], worker: 'old1' }], 0, split());
      const v = await verifyInWaves(bound(old), { executor: ex, kernels, remote: fleetRemote({ fleet: quick, bound: bound(old), kernelsFor: () => kernels, limitMs: 60_000 }), dir: join(dir, 'old'), seed: 22 });
      expect(v).toMatchObject({ ok: false, stage: 'run' });
      if (!v.ok) expect(v.reason).toMatch(/^worker old1 has not taken plan job \S+ in 1 s though it sends heartbeats/);
    } finally {
      clearInterval(beating);
      await removeWorker(raw, 'old1');
      await quick.close();
      raw.disconnect();
    }
  }, 60_000);

  it('kloop plan --run FILE --fleet URL verifies and times the plan; without the fleet it says how to give one', async () => {
    // The CLI pinned to one core is the same device as the one-core worker: memory has its profile already.
    const fp = record.descriptor.fingerprint.id;
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(buildPlan(w, [{ ...devices()[0], acp: fp }, devices()[1]], 0, split())));
    const run = (args: string[]) =>
      promisify(execFile)('taskset', ['-c', '0', process.execPath, CLI, 'plan', '--run', file, '--workload', w.dir, ...args], { cwd: dir }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const bare = await run([]);
    expect(bare.code).toBe(2);
    expect(bare.out).toMatch(/plan device w is fleet worker pw1: give the fleet with --fleet/);
    const r = await run(['--fleet', redis.url, '--pairs', '2']);
    expect(r.out).toMatch(/^verified: static check .* fleet jobs on worker pw1\)$/m);
    expect(r.out).toMatch(/^measured: \d+\.\d+ ms a whole execution in waves .* \d+ fleet jobs: [\d.]+ KiB to workers, [\d.]+ KiB back, .*speedup \d+\.\d+x \[95% CI/m);
    expect(r.code).toBe(0);
    // GP1 weighs the fleet's worker beside this CPU.
    const gp1 = await promisify(execFile)('taskset', ['-c', '0', process.execPath, CLI, 'plan', w.dir, '--fleet', redis.url], { cwd: dir });
    expect(gp1.stdout).toMatch(/^ {2}CPU \+ 1 worker +[\d.]+ ms predicted \(GP1: \d+ runs, \d+ copies\)$/m);
    expect(gp1.stdout).toMatch(/^ {2}fleet {5}a worker's node time is .* plus a plan job's round trip measured now \(w-pw1 [\d.]+ ms\) once per run step/m);
  }, 60_000);

  it('a worker that dies mid-job is a verdict within seconds, not a wait', async () => {
    const plan = buildPlan(w, devices(), 0, split());
    const spins = new Map([...kernels, ['sum', { ...kernels.get('sum')!, source: SUM_SPINS }]]);
    const pending = verify(plan, { seed: 30, worker: spins, limitMs: 8000 });
    await waitFor('the spinning plan job to start', async () => (await fleet.workers()).find((x) => x.id === 'pw1')?.running.some((r) => /plan job/.test(r.candidate)), 30_000, 100);
    const t0 = Date.now();
    await worker.stop('SIGKILL');
    const v = await pending;
    expect(v).toMatchObject({ ok: false, stage: 'run' });
    if (!v.ok) expect(v.reason).toMatch(/^worker pw1 sent no heartbeat for \d+\.\d s while plan job \S+ was active: taken for dead/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 60_000);
});

describe('what the coordinator and the worker refuse before anything runs', () => {
  it('a plan naming a worker the fleet does not have, another device, or a worker with a core list: one line each', () => {
    const ctx = { descriptor: cpuDescriptor(), kernels, executor: ex };
    const fp = record.descriptor.fingerprint.id;
    const live = () => ({ fresh: [record], stale: [] });
    const plan = (worker: Partial<CepDevice>) =>
      bound(
        buildPlan(
          w,
          [
            { name: 'cpu', acp: ctx.descriptor.fingerprint.id, kind: 'cpu' },
            { ...devices()[1], ...worker },
          ],
          0,
          split(),
        ),
      );
    expect(() => checkFleetDevices(plan({}), ctx.descriptor, live(), redis.url)).not.toThrow();
    expect(() => checkFleetDevices(plan({ worker: 'ghost' }), ctx.descriptor, live(), redis.url)).toThrow(
      /^plan device w is fleet worker ghost, which is not registered at redis:\/\/127\.0\.0\.1:\d+ \(workers: pw1\); start it with kloop worker --redis URL --name ghost$/,
    );
    expect(() => checkFleetDevices(plan({ acp: 'cpu-000000000000' }), ctx.descriptor, live(), redis.url)).toThrow(`plan device w is cpu-000000000000, but worker pw1 is ${fp}`);
    expect(() => checkFleetDevices(plan({ cores: [0] }), ctx.descriptor, live(), redis.url)).toThrow(/a worker device is the whole worker; drop its cores/);
  });

  it('a plan job with an unknown key, or a kernel argument past its buffer, is refused by name', () => {
    const job = {
      v: 1,
      kind: 'plan',
      id: 'plan-x-1-w',
      run: 'x',
      worker: 'pw1',
      device: 'cpu-0123456789ab',
      real: 'float',
      kernels: [{ target: { name: 'sum', digest: targetDigest(w.nodes[4].target) }, source: 'void sum(int N, const real *X, real *S) { S[0] = X[0]; }', flags: [] }],
      buffers: [{ elements: 80 }, { elements: 1 }],
      input: { key: 'kloop:fleet:plan:plan-x-1-w:in', bytes: 0, sha256: '0'.repeat(64) },
      records: [],
      steps: [{ op: 'run', kernel: 0, sizes: { N: 81 }, args: { X: { buffer: 0, offset: 0 }, S: { buffer: 1, offset: 0 } } }],
      outputs: [{ buffer: 1, offset: 0, elements: 1 }],
      limitMs: 1000,
    };
    expect(() => parsePlanJob({ ...job, command: 'rm -rf /' }, 'plan-x-1-w')).toThrow(/^refused plan job plan-x-1-w: command: unknown key/);
    const parsed = parsePlanJob(job, 'plan-x-1-w');
    expect(() => checkPlanJobSteps(parsed, [w.nodes[4].target])).toThrow("refused plan job plan-x-1-w: steps[0].args.X: 81 elements from element 0 lie past its buffer's 80");
  });
});

describe('GP1 over a fleet', () => {
  it("weighs this CPU with the fleet's workers as one more device set; a worker's node time is this CPU's, scaled by the two rooflines", () => {
    const d = cpuDescriptor();
    const remote = parseDescriptor({ ...cpuDescriptor('cpu-aaaaaaaaaaaa'), link: { gbs: 1, rttMs: 0.2, measuredAt: '2026-11-30T00:00:00Z' } }, 'worker');
    const device: CepDevice = { name: 'w-pw1', acp: 'cpu-aaaaaaaaaaaa', kind: 'cpu', worker: 'pw1' };
    // Sequential references measured at 10 ms a node here: the same CPU over a link costs the same, never a roofline's microseconds.
    const measured = new Map([[2, new Map(w.nodes.map((n) => [n.name, 10e6]))]]);
    const p = planWorkload({ workload: w, descriptor: d, kernels, measuredByThreads: measured, cores: [0, 1], workers: [{ device, descriptor: remote }] });
    const set = p.sets.find((s) => s.set === 'CPU + 1 worker')!;
    expect(set.devices.map((x) => x.name)).toEqual(['cpu', 'w-pw1']);
    const modelWith = (jobMs?: Map<string, number>) =>
      costModel({
        devices: set.devices,
        descriptors: new Map([
          [d.fingerprint.id, d],
          [remote.fingerprint.id, remote],
        ]),
        kernels,
        measuredByThreads: measured,
        ...(jobMs ? { jobMs } : {}),
      });
    const cost = modelWith();
    const ln = w.nodes[0];
    expect(cost.run(ln, 1, [0, ln.rows!.extent])).toEqual(cost.run(ln, 0, [0, ln.rows!.extent]));
    expect(cost.run(ln, 1, [0, ln.rows!.extent]).source).toBe('measured');
    // A plan job's round trip, measured, is counted once per run step on the worker.
    const withJobs = modelWith(new Map([['pw1', 30]]));
    expect(withJobs.run(ln, 1, [0, ln.rows!.extent]).ms).toBeCloseTo(cost.run(ln, 0, [0, ln.rows!.extent]).ms + 30, 6);
  });
});
