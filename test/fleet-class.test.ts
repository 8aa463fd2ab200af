import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RwLock } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { ClassDevice, FleetClient, FleetJobFailed, fleetMeasurer, redactUrl, resolveClass, type ClassIdentity, type FleetSettings } from '../fleet/index.js';
import { referenceKey, TargetSession, type Journaled } from '../loop/index.js';
import { referenceBaseline } from '../loop/round.js';
import { FileStore, type Baseline } from '../memory/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { loadTarget } from '../targets/index.js';
import { CLI, smallTarget, tmp } from './helpers.js';
import { fleetWorkflow, SUM_BROKEN, SUM_UNROLLED, sumJob, TestRedis, TestWorker } from './fleet-helpers.js';

/**
 * A fleet run tunes for its class's device: the fingerprint and profile its workers published, its
 * baselines and final pairs timed on them, its memory keyed by their fingerprint, whatever the
 * coordinator's own machine is. The workers are pinned to one core each (taskset), so their
 * fingerprint (1 core) is not the coordinator's (every core of this machine).
 */
let redis: TestRedis;
let dir: string;
let workers: TestWorker[];
let client: FleetClient;
let cls: ClassIdentity;
const others: string[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
  dir = tmp('kloop-fleet-class-');
  fleetWorkflow(dir);
  workers = [new TestWorker('w1', dir, redis.url, 0), new TestWorker('w2', dir, redis.url, 1)];
  await Promise.all(workers.map((w) => w.ready()));
  client = await FleetClient.open(redis.url, { pollMs: 200 });
  cls = await resolveClass({ deviceClass: 'cpu', kind: 'cpu', workflowFile: 'WORKFLOW.md', waitMs: 5000, where: redactUrl(redis.url), workers: () => client.workers(), say: () => undefined });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await Promise.all((workers ?? []).map((w) => w.stop()));
  await redis?.kill();
  for (const d of [dir, ...others]) rmSync(d, { recursive: true, force: true });
}, 60_000);

/** `kloop run --fleet` in `cwd`, one JSON event per line; resolves when it exits. */
function coordinator(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [CLI, 'run', '--fleet', redis.url, ...args, '--json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => p.once('exit', (code) => r({ code, out, err })));
}

const ofType = <T extends Journaled['type']>(out: string, type: T) =>
  out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Journaled)
    .filter((e): e is Extract<Journaled, { type: T }> => e.type === type);

/** Every device fingerprint written anywhere in a memory folder. */
function fingerprintsIn(memoryDir: string): Set<string> {
  const text = readdirSync(memoryDir)
    .map((f) => readFileSync(join(memoryDir, f), 'utf8'))
    .join('\n');
  return new Set(text.match(/\b(?:cpu|cuda)-[0-9a-f]{12}\b/g) ?? []);
}

describe('a fleet run tunes for its class', () => {
  it("the class's identity is its workers' fingerprint and published profile; a measure job times one program alone on a worker, once per run; a final job times the reference against the best in fixed pairs on one worker", async () => {
    expect(cls.workers).toEqual(['w1', 'w2']);
    expect(cls.fingerprint.cores).toBe(1);
    expect(cls.profile.fingerprint.id).toBe(cls.fingerprint.id);
    expect(cls.profile.levels.length).toBeGreaterThan(0);
    expect(['w1', 'w2']).toContain(cls.by);

    const root = tmp('kloop-fleet-measure-');
    others.push(root);
    const runDir = join(root, 'run-a');
    const target = loadTarget(smallTarget('sum', '{N: 1000000}', runDir));
    const settings: FleetSettings = { deviceClass: 'cpu', device: cls.fingerprint.id, limitMs: 60_000, verify: sumJob('x', '').verify };
    const measurer = fleetMeasurer(client, settings, cls);
    const deps = (run: string) => ({
      runDir: join(runDir, '..', run),
      target,
      device: new ClassDevice('cpu', cls.fingerprint),
      lock: new RwLock(),
      session: TargetSession.remote(target),
      timing: { minPairs: 3, maxPairs: 3, minMs: 5, maxReps: 50, minSpeedup: 1.02 },
    });
    const reference = referenceBaseline(target, cls.fingerprint.id, new Date());
    const a = deps('run-a');
    const first = await measurer.baseline(a, reference);
    expect(first.medianNs).toBeGreaterThan(0);
    expect(first.binary).toBeUndefined(); // nothing built here
    expect(['w1', 'w2']).toContain(first.measuredBy);
    const record = JSON.parse(
      readFileSync(
        join(
          a.runDir,
          'baselines',
          readdirSync(join(a.runDir, 'baselines')).find((f) => f.endsWith('.fleet.json'))!,
        ),
        'utf8',
      ),
    ) as { worker: string; stage: string };
    expect(record).toMatchObject({ worker: first.measuredBy, stage: 'measure' });
    // The same run again (a resumed one: a new session) gets its stored figure; another run measures afresh.
    const trips = client.trips.length;
    const again = await measurer.baseline({ ...a, session: TargetSession.remote(target) }, reference);
    expect(again.medianNs).toBe(first.medianNs);
    const b = await measurer.baseline(deps('run-b'), reference);
    expect(client.trips.length).toBe(trips + 2);
    expect(client.trips.at(-1)!.key).not.toBe(client.trips.at(-2)!.key);
    expect(b.medianNs).toBeGreaterThan(0);
    const measured = workers.map((w) => w.log.match(/job sum-baseline-[0-9a-f]+ \(measure\): median/g)?.length ?? 0);
    expect(measured.reduce((x, y) => x + y)).toBe(2); // run-a's and run-b's, not run-a's twice

    const best: Baseline = { ...reference, source: SUM_UNROLLED, verdict: 'tested', lineage: [{ candidateId: 'sum-r1-c1', runId: 'run-a', speedup: 1.5, description: 'unrolled', at: new Date().toISOString() }] };
    const final = await measurer.final(a, reference, best);
    expect(final).toMatchObject({ target: 'sum', id: 'sum-r1-c1', verdict: 'tested', pairs: 3 });
    expect(['w1', 'w2']).toContain(final.measuredBy);
    expect(final.referenceNs! / final.bestNs!).toBeGreaterThan(0);
    // A reference that does not build is the target's one line, as on a local run.
    await expect(measurer.baseline(deps('run-c'), { ...reference, source: SUM_BROKEN })).rejects.toThrow(/reference\.c: does not compile/);
  }, 120_000);

  it('a job for another device is refused by the worker in one line', async () => {
    const err = await client.evaluate({ ...sumJob('elsewhere', SUM_UNROLLED), device: 'cpu-000000000000' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(FleetJobFailed);
    expect((err as Error).message).toMatch(/refused job elsewhere: its run tunes for device cpu-000000000000, this worker is cpu-[0-9a-f]{12} \(.*1 cores\)/);
  }, 60_000);

  it("kloop run --fleet on a coordinator that is another device (and has no C compiler): the run's fingerprint, profile, baselines and memory are the workers'", async () => {
    const cwd = tmp('kloop-fleet-coord-');
    others.push(cwd);
    fleetWorkflow(cwd, 'loop: {candidates: 2}\n');
    const target = smallTarget('sum', '{N: 1000000}', cwd);
    // No C compiler here either: the coordinator builds nothing.
    const run = await coordinator(cwd, ['--target', target, '--rounds', '1'], { ...process.env, CC: '/nonexistent/cc', CXX: '/nonexistent/c++' });
    expect(run.code, run.err + run.out).toBe(0);
    const fp = cls.fingerprint.id;
    expect(run.err).toContain(`fleet: the run tunes for device class cpu at ${redactUrl(redis.url)}: ${fp}`);
    const [start] = ofType(run.out, 'run.start');
    expect(start.fingerprint).toBe(fp);
    const [profile] = ofType(run.out, 'device.profile');
    expect(profile.profile.fingerprint.id).toBe(fp);
    expect(['w1', 'w2']).toContain(profile.by);
    const [baseline] = ofType(run.out, 'baseline.profile');
    expect(['w1', 'w2']).toContain(baseline.measuredBy);
    // Nothing was measured, drawn or sandboxed here: no bench input, no local profile, no sandbox of this machine reported as the candidates'.
    expect(ofType(run.out, 'sandbox')).toEqual([]);
    const runDir = join(cwd, 'runs', start.runId);
    expect(readdirSync(runDir)).not.toContain('device-profile');
    expect(existsSync(join(runDir, 'rounds', 'sum-bench.in'))).toBe(false);
    expect(readdirSync(join(runDir, 'baselines')).filter((f) => f.endsWith('.fleet.json')).length).toBeGreaterThan(0);
    // Memory: every figure under the workers' fingerprint, none under this machine's.
    const memory = join(cwd, '.kloop', 'memory');
    expect([...fingerprintsIn(memory)]).toEqual([fp]);
    const store = FileStore.open(join(cwd, '.kloop', 'memory.json'));
    expect(await store.getReferenceNs(referenceKey(loadTarget(target)), fp)).toBeGreaterThan(0);
    expect((await store.getProfile(fp))?.measuredAt).toBe(cls.profile.measuredAt);
    expect((await store.insights({ target: 'sum', fingerprint: fp, limit: 50 })).length).toBeGreaterThan(0);
    const local = await new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(cwd, 'cache'), threads: availableParallelism() }).fingerprint();
    if (availableParallelism() > 1) expect(local.id).not.toBe(fp); // (a one-core machine would be the workers' device)
    for (const f of ofType(run.out, 'target.final')) if (f.pairs) expect(['w1', 'w2']).toContain(f.measuredBy);
  }, 180_000);

  it('refuses to start in one line: no worker of the class in time, a class of another kind than the run, a worker without the sandbox the run requires, workers of two devices in one class', async () => {
    const cwd = tmp('kloop-fleet-refuse-');
    others.push(cwd);
    const target = smallTarget('sum', '{N: 1000000}', cwd);
    const refusal = async (more: string) => {
      fleetWorkflow(cwd, more);
      const r = await coordinator(cwd, ['--target', target, '--rounds', '1']);
      expect(r.code, r.err + r.out).toBe(2);
      const lines = r.err.trim().split('\n');
      return lines.at(-1)!;
    };
    // No worker of the class in time.
    const waiting: string[] = [];
    await expect(resolveClass({ deviceClass: 'nobody', kind: 'cpu', workflowFile: 'WORKFLOW.md', waitMs: 300, where: redactUrl(redis.url), workers: () => client.workers(), say: (l) => waiting.push(l) })).rejects.toThrow(
      /^fleet: no worker of device class nobody registered at redis:\/\/127\.0\.0\.1:\d+\/? within 0\.3 s \(fleet\.wait_s\): start one on a nobody host with kloop worker --redis URL --class nobody$/,
    );
    expect(waiting).toEqual(['fleet: waiting up to 0.3 s for a worker of device class nobody to register (the run tunes for its device)']);
    // A coordinator with no GPU, asked for CUDA kernels, gets as far as the class (no "no GPU" line).
    expect(await refusal('device: cuda\nfleet: {class: cpu, wait_s: 1}\n')).toMatch(/^kloop: fleet: the workers of device class cpu are cpu devices \(.*\), but .*WORKFLOW\.md has device: cuda: set device: cpu there/);
    // m1's own workflow gives candidates the process layer only: a run that requires seccomp is refused on it.
    const weak = tmp('kloop-fleet-weak-');
    others.push(weak);
    fleetWorkflow(weak, 'sandbox: {level: process}\n');
    const mixed = [new TestWorker('m1', weak, redis.url, 0, ['--class', 'mixed']), new TestWorker('m2', dir, redis.url, availableParallelism() > 1 ? '0,1' : '0', ['--class', 'mixed'])];
    try {
      await Promise.all(mixed.map((w) => w.ready()));
      const onlyM1 = async () => ({ ...(await client.workers()), workers: (await client.workers()).workers.filter((w) => w.id === 'm1') });
      const m1 = { deviceClass: 'mixed', kind: 'cpu' as const, workflowFile: 'WORKFLOW.md', waitMs: 1000, where: 'here', workers: onlyM1, say: () => undefined };
      expect((await resolveClass({ ...m1, requires: ['process'] })).workers).toEqual(['m1']);
      await expect(resolveClass({ ...m1, requires: ['namespaces', 'seccomp'] })).rejects.toThrow(
        /^fleet: WORKFLOW\.md requires the sandbox layers namespaces, seccomp for candidates, which worker m1 of device class mixed does not apply \(it applies process\): run the workers where they work/,
      );
      expect(await refusal('fleet: {class: mixed, wait_s: 5}\n')).toMatch(
        /^kloop: fleet: the workers of device class mixed are not one device: m1 is cpu-[0-9a-f]{12} \(.*, 1 cores, .*\); m2 is cpu-[0-9a-f]{12} \(.*, 2 cores, .*\)\. A class is tuned as one device/,
      );
    } finally {
      await Promise.all(mixed.map((w) => w.stop('SIGKILL'))); // (their records go stale; nothing else uses class mixed)
    }
  }, 120_000);
});
