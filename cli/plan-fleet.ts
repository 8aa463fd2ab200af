import { UserError } from '../common/index.js';
import { checkFleetDevices, fleetRemoteFor, offerPlanWorkers, PlanFleet } from '../fleet/index.js';
import type { MemoryStore } from '../memory/index.js';
import { fleetTraffic, measureInWaves, type BoundPlan, type PlanWorker } from '../plans/index.js';
import type { LocalContext } from './plan-command.js';

/**
 * `kloop plan WORKLOAD --fleet URL`: the fleet's live CPU workers as plan devices, each with a plan
 * job's round trip measured now (fleet/plan-devices.ts); each worker left out is said in one line,
 * and none usable is an error (a run's plan rounds go on without them instead).
 */
export async function fleetPlanDevices(url: string): Promise<PlanWorker[]> {
  const fleet = await PlanFleet.open(url);
  try {
    const { workers, notes } = await offerPlanWorkers(fleet);
    if (!workers.length) throw new UserError(notes.join('; '));
    for (const n of notes) console.error(`kloop: ${n}`);
    return workers;
  } finally {
    await fleet.close();
  }
}

/**
 * `kloop plan --run FILE --fleet URL` for a plan whose devices include fleet workers: the devices
 * checked against the fleet (its workers' heartbeats seen to change), the plan verified in waves
 * (its workers' steps as plan jobs on them), then timed against the single-device plan run the same
 * way (one wave of one process), in interleaved pairs (plans/fleet-plan.ts); each execution's wall
 * clock is a sample. Returns the exit code.
 */
export async function runFleetPlan(o: { bound: BoundPlan; ctx: LocalContext; memory: MemoryStore; url: string; dir: string; pairs: number; single: BoundPlan; say: (line: string) => void; limitMs?: number }): Promise<number> {
  const b = o.bound;
  const fleet = await PlanFleet.open(o.url);
  try {
    // Only the plan's workers are watched (a dead worker elsewhere in the registry costs no wait); the others are listed by name.
    const workers = b.devices.flatMap((d) => (d.worker ? [d.worker] : []));
    const live = await fleet.freshWorkers({ only: workers });
    checkFleetDevices(
      b,
      o.ctx.descriptor,
      live,
      o.url,
      (await fleet.workers()).map((w) => w.id),
    );
    const seed = (Date.now() ^ process.pid) >>> 0;
    const m = await measureInWaves({ bound: b, single: o.single, executor: o.ctx.executor, kernels: o.ctx.kernels, memory: o.memory, remoteFor: fleetRemoteFor(fleet, o.limitMs), dir: o.dir, pairs: o.pairs, seed });
    if (!m.verdict.ok) {
      o.say(`REJECTED (${m.verdict.stage}): ${m.verdict.reason}`);
      return 1;
    }
    o.say(`verified: ${m.verdict.checked}`);
    if (!m.timing) {
      o.say(`REJECTED (${m.failed!.stage}): ${m.failed!.reason}`);
      return 1;
    }
    const t = m.timing;
    const s = t.speedup;
    o.say(
      `measured: ${t.ms[1].toFixed(2)} ms a whole execution in waves (every wave's local process, ${fleetTraffic(t.fleet)}); the single-device plan (whole CPU, one process) ${t.ms[0].toFixed(2)} ms the same way; speedup ${s.speedup.toFixed(2)}x [95% CI ${s.ciLow.toFixed(2)}-${s.ciHigh.toFixed(2)}, ${s.pairs} interleaved pairs]${b.plan.predicted ? `; predicted ${b.plan.predicted.ms.toFixed(3)} ms by ${b.plan.predicted.by}` : ''}`,
    );
    return 0;
  } finally {
    await fleet.close();
  }
}
