import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { fleetRemote, PlanFleet, PlanJobFailed, redactUrl, type WorkerRecord } from '../fleet/index.js';
import type { AcpDescriptor } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { allowedCores, buildWavePlan, chooseKernels, timeInWaves, verifyInWaves, WaveFailed, workloadInputs, type BoundPlan, type CepDevice, type NodeKernel, type WavePlan } from '../plans/index.js';
import type { LocalContext } from './plan-command.js';

/** A heartbeat older than this and a worker is not offered a plan's steps. */
const FRESH_MS = 60_000;

/**
 * The devices of a plan that includes fleet workers, checked against the fleet: each worker device
 * names a registered worker whose heartbeat is fresh, is that worker's device (its fingerprint),
 * a CPU, whole (no core list: a worker runs its steps on all of its cores) and not named by another
 * device; the other devices are this machine's CPU, whole or as groups of the cores this process
 * may use. One line per problem.
 */
export function checkFleetDevices(b: BoundPlan, ctx: LocalContext, workers: WorkerRecord[], url: string): void {
  const cores = new Set(allowedCores());
  const seen = new Map<string, string>();
  const ids = workers.map((w) => w.id);
  for (const dev of b.devices) {
    if (!dev.worker) {
      if (dev.acp !== ctx.descriptor.fingerprint.id) throw new UserError(`plan device ${dev.name} is ${dev.acp}, not this machine's CPU (${ctx.descriptor.fingerprint.id}); name a fleet worker with "worker", or make the plan here`);
      for (const c of dev.cores ?? []) if (!cores.has(c)) throw new UserError(`plan device ${dev.name} names core ${c}, which this process may not use (allowed: ${[...cores].join(', ')})`);
      continue;
    }
    const other = seen.get(dev.worker);
    if (other) throw new UserError(`plan devices ${other} and ${dev.name} are both worker ${dev.worker}: a worker is one device of a plan`);
    seen.set(dev.worker, dev.name);
    const w = workers.find((x) => x.id === dev.worker);
    if (!w) throw new UserError(`plan device ${dev.name} is fleet worker ${dev.worker}, which is not registered at ${redactUrl(url)} (workers: ${ids.join(', ') || 'none'}); start it with kloop worker --redis URL --name ${dev.worker}`);
    if (Date.now() - w.beatAt > FRESH_MS) throw new UserError(`plan device ${dev.name}: worker ${dev.worker}'s last heartbeat was ${((Date.now() - w.beatAt) / 1000).toFixed(0)} s ago; is it running?`);
    if (w.descriptor.fingerprint.id !== dev.acp)
      throw new UserError(`plan device ${dev.name} is ${dev.acp}, but worker ${dev.worker} is ${w.descriptor.fingerprint.id} (${w.descriptor.model}); make the plan again with the fleet's descriptors (kloop devices --fleet)`);
    if (w.descriptor.kind !== 'cpu' || dev.kind !== 'cpu') throw new UserError(`plan device ${dev.name}: worker ${dev.worker} is a ${w.descriptor.kind} device; plan jobs run C kernels on CPU workers only`);
    if (dev.cores) throw new UserError(`plan device ${dev.name}: a worker device is the whole worker; drop its cores (worker ${dev.worker} runs its steps on all of its ${w.descriptor.units.count} cores)`);
  }
}

/**
 * `kloop plan WORKLOAD --fleet URL`: the fleet's workers GP1 may place nodes on: each registered CPU
 * worker whose heartbeat is fresh, as a plan device named `w-ID` with its published descriptor and
 * a plan job's round trip to it, measured now (PlanFleet.probe). None is one line.
 */
export async function fleetPlanDevices(url: string): Promise<{ device: CepDevice; descriptor: AcpDescriptor; jobMs: number }[]> {
  const fleet = await PlanFleet.open(url);
  try {
    const all = await fleet.workers();
    const usable = all.filter((w) => Date.now() - w.beatAt <= FRESH_MS && w.descriptor.kind === 'cpu');
    if (!usable.length) throw new UserError(`fleet: no CPU worker with a fresh heartbeat at ${redactUrl(url)} (${all.length} registered); start one with kloop worker --redis URL`);
    const out = [];
    for (const w of usable) {
      // A worker that takes no plan jobs (an older kloop, or busy with another coordinator) is left out, in one line.
      const jobMs = await fleet.probe(w.id, w.descriptor.fingerprint.id).catch((e: Error) => {
        if (!(e instanceof PlanJobFailed)) throw e;
        console.error(`kloop: fleet worker ${w.id} left out of the plan: ${e.message}`);
        return undefined;
      });
      if (jobMs !== undefined) out.push({ device: { name: `w-${w.id}`.replace(/[^A-Za-z0-9_-]/g, '_'), acp: w.descriptor.fingerprint.id, kind: 'cpu', worker: w.id }, descriptor: w.descriptor, jobMs });
    }
    if (!out.length) throw new UserError(`fleet: none of the ${usable.length} fresh CPU workers at ${redactUrl(url)} took a plan job (each said why above)`);
    return out;
  } finally {
    await fleet.close();
  }
}

/**
 * `kloop plan --run FILE --fleet URL` for a plan whose devices include fleet workers: the devices
 * checked against the fleet, the plan verified in waves (its workers' steps as plan jobs on them),
 * then timed against the single-device plan run the same way (one wave of one process), in
 * interleaved pairs; each execution's wall clock is a sample. Returns the exit code.
 */
export async function runFleetPlan(o: { bound: BoundPlan; ctx: LocalContext; memory: MemoryStore; url: string; dir: string; pairs: number; single: BoundPlan; say: (line: string) => void; limitMs?: number }): Promise<number> {
  const b = o.bound;
  const fleet = await PlanFleet.open(o.url);
  try {
    checkFleetDevices(b, o.ctx, await fleet.workers(), o.url);
    const forDevice = new Map<number, Map<string, NodeKernel>>();
    for (const [i, d] of b.devices.entries()) forDevice.set(i, d.worker ? await chooseKernels(o.memory, b.workload, d.acp) : o.ctx.kernels);
    const remote = fleetRemote({ fleet, bound: b, kernelsFor: (d) => forDevice.get(d)!, limitMs: o.limitMs ?? 300_000 });
    const seed = (Date.now() ^ process.pid) >>> 0;
    const v = await verifyInWaves(b, { executor: o.ctx.executor, kernels: o.ctx.kernels, remote, dir: join(o.dir, 'verify'), seed });
    if (!v.ok) {
      o.say(`REJECTED (${v.stage}): ${v.reason}`);
      return 1;
    }
    o.say(`verified: ${v.checked}`);
    const plans: WavePlan[] = [];
    for (const [k, p] of [o.single, b].entries()) {
      const w = await buildWavePlan(o.ctx.executor, o.ctx.kernels, p, join(o.dir, `build-${k}`));
      if ('ok' in w) {
        o.say(`REJECTED (build): ${k ? 'the plan' : 'the single-device plan'} does not build: ${w.reason}`);
        return 1;
      }
      plans.push(w);
    }
    let t: Awaited<ReturnType<typeof timeInWaves>>;
    try {
      t = await timeInWaves({ executor: o.ctx.executor, dir: o.dir, inputs: workloadInputs(b.workload, seed), oracleOut: join(o.dir, 'verify', 'oracle.out'), pairs: o.pairs, remote }, plans);
    } catch (e) {
      // A wave that fails while timed (a worker gone, a timed execution computing something else) is a verdict, not a crash.
      if (e instanceof WaveFailed || e instanceof PlanJobFailed || e instanceof UserError) {
        o.say(`REJECTED (timing): ${(e as Error).message}`);
        return 1;
      }
      throw e;
    }
    const s = t.speedup;
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    o.say(
      `measured: ${t.ms[1].toFixed(2)} ms a whole execution in waves (every wave's local process, ${t.fleet.jobs} fleet jobs: ${kib(t.fleet.bytesIn)} to workers, ${kib(t.fleet.bytesOut)} back, ${t.fleet.remoteMs.toFixed(1)} ms of round trips, ${t.fleet.workerMs.toFixed(1)} ms of it the jobs' own work on the workers); the single-device plan (whole CPU, one process) ${t.ms[0].toFixed(2)} ms the same way; speedup ${s.speedup.toFixed(2)}x [95% CI ${s.ciLow.toFixed(2)}-${s.ciHigh.toFixed(2)}, ${s.pairs} interleaved pairs]${b.plan.predicted ? `; predicted ${b.plan.predicted.ms.toFixed(3)} ms by ${b.plan.predicted.by}` : ''}`,
    );
    return 0;
  } finally {
    await fleet.close();
  }
}
