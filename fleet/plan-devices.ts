import { UserError } from '../common/index.js';
import type { AcpDescriptor } from '../devices/index.js';
import { allowedCores, type BoundPlan, type PlanWorker } from '../plans/index.js';
import type { Freshness } from './fresh-workers.js';
import { PlanFleet, PlanJobFailed } from './plan-client.js';
import { redactUrl } from './redis.js';

/** What a fleet offers GP1: its usable workers as plan devices, and one line per worker left out (or for the fleet, when none is usable). */
export interface FleetOffer {
  workers: PlanWorker[];
  notes: string[];
}

/**
 * The fleet's workers GP1 may place nodes on: each registered CPU worker whose heartbeat is seen to
 * change (on this machine's clock: fleet/fresh-workers.ts), as a plan device named `w-ID` with its
 * published descriptor and a plan job's round trip to it, measured now (PlanFleet.probe). A worker
 * that is stale, not a CPU or takes no plan jobs is left out with a note; none usable is a note too.
 * Never prints: the caller says the notes.
 */
export async function offerPlanWorkers(fleet: PlanFleet, o: { pollMs?: number; maxMs?: number } = {}): Promise<FleetOffer> {
  const { fresh, stale } = await fleet.freshWorkers(o);
  const notes = stale.map((s) => `fleet worker ${s.worker.id} left out of the plan: ${s.why}`);
  const cpus = fresh.filter((w) => {
    if (w.descriptor.kind === 'cpu') return true;
    notes.push(`fleet worker ${w.id} left out of the plan: it is a ${w.descriptor.kind} device; plan jobs run C kernels on CPU workers only`);
    return false;
  });
  const workers: PlanWorker[] = [];
  for (const w of cpus) {
    // A worker that takes no plan jobs (an older kloop, or busy with another coordinator's) is left out, in one line.
    const jobMs = await fleet.probe(w.id, w.descriptor.fingerprint.id).catch((e: Error) => {
      if (!(e instanceof PlanJobFailed)) throw e;
      notes.push(`fleet worker ${w.id} left out of the plan: ${e.message}`);
      return undefined;
    });
    if (jobMs !== undefined) workers.push({ device: { name: `w-${w.id}`.replace(/[^A-Za-z0-9_-]/g, '_'), acp: w.descriptor.fingerprint.id, kind: 'cpu', worker: w.id }, descriptor: w.descriptor, jobMs });
  }
  if (!workers.length)
    notes.push(
      cpus.length
        ? `fleet: none of the ${cpus.length} live CPU workers at ${redactUrl(fleet.url)} took a plan job (each said why)`
        : `fleet: no CPU worker with a live heartbeat at ${redactUrl(fleet.url)} (${fresh.length + stale.length} registered); start one with kloop worker --redis URL`,
    );
  return { workers, notes };
}

/**
 * The devices of a plan that includes fleet workers, checked against the fleet: each worker device
 * names a registered worker whose heartbeat is seen to change, is that worker's device (its
 * fingerprint), a CPU, whole (no core list: a worker runs its steps on all of its cores) and not
 * named by another device; the other devices are this machine's CPU (`descriptor`), whole or as
 * groups of the cores this process may use. One line per problem (`registered`: every worker's id,
 * named when the plan's is not among them; default: those in `fleet`).
 */
export function checkFleetDevices(b: BoundPlan, descriptor: AcpDescriptor, fleet: Freshness, url: string, registered?: string[]): void {
  const cores = new Set(allowedCores());
  const seen = new Map<string, string>();
  const ids = registered ?? [...fleet.fresh, ...fleet.stale.map((s) => s.worker)].map((w) => w.id);
  for (const dev of b.devices) {
    if (!dev.worker) {
      if (dev.acp !== descriptor.fingerprint.id) throw new UserError(`plan device ${dev.name} is ${dev.acp}, not this machine's CPU (${descriptor.fingerprint.id}); name a fleet worker with "worker", or make the plan here`);
      for (const c of dev.cores ?? []) if (!cores.has(c)) throw new UserError(`plan device ${dev.name} names core ${c}, which this process may not use (allowed: ${[...cores].join(', ')})`);
      continue;
    }
    const other = seen.get(dev.worker);
    if (other) throw new UserError(`plan devices ${other} and ${dev.name} are both worker ${dev.worker}: a worker is one device of a plan`);
    seen.set(dev.worker, dev.name);
    const stale = fleet.stale.find((s) => s.worker.id === dev.worker);
    if (stale) throw new UserError(`plan device ${dev.name}: worker ${dev.worker}: ${stale.why}`);
    const w = fleet.fresh.find((x) => x.id === dev.worker);
    if (!w) throw new UserError(`plan device ${dev.name} is fleet worker ${dev.worker}, which is not registered at ${redactUrl(url)} (workers: ${ids.join(', ') || 'none'}); start it with kloop worker --redis URL --name ${dev.worker}`);
    if (w.descriptor.fingerprint.id !== dev.acp)
      throw new UserError(`plan device ${dev.name} is ${dev.acp}, but worker ${dev.worker} is ${w.descriptor.fingerprint.id} (${w.descriptor.model}); make the plan again with the fleet's descriptors (kloop devices --fleet)`);
    if (w.descriptor.kind !== 'cpu' || dev.kind !== 'cpu') throw new UserError(`plan device ${dev.name}: worker ${dev.worker} is a ${w.descriptor.kind} device; plan jobs run C kernels on CPU workers only`);
    if (dev.cores) throw new UserError(`plan device ${dev.name}: a worker device is the whole worker; drop its cores (worker ${dev.worker} runs its steps on all of its ${w.descriptor.units.count} cores)`);
  }
}
