import { UserError } from '../common/index.js';
import type { PlanFleetHook, RemoteFor } from '../plans/index.js';
import { fleetRemote } from './plan-batch.js';
import { PlanFleet, type PlanFleetOptions } from './plan-client.js';
import { offerPlanWorkers } from './plan-devices.js';
import { redactUrl } from './redis.js';

/** A plan job's time limit on its worker (the job's own; the coordinator waits its grace more). */
export const PLAN_JOB_LIMIT_MS = 300_000;

/** How the plans of an open fleet reach its workers: each worker device's batches as plan jobs (plan-batch.ts). */
export const fleetRemoteFor =
  (fleet: PlanFleet, limitMs = PLAN_JOB_LIMIT_MS): RemoteFor =>
  (bound, kernelsFor) =>
    fleetRemote({ fleet, bound, kernelsFor, limitMs });

export interface PlanRoundFleet {
  /** The workers live now, each with a plan job's round trip measured now, for one plan round; undefined (said why) when none is usable. Lines go to `say` (default: the opener's). */
  offer(say?: (line: string) => void): Promise<PlanFleetHook | undefined>;
  close(): Promise<void>;
}

/**
 * A fleet for `kloop run --workload`'s plan rounds, opened once for the run: before each round
 * `offer` gives GP1 the workers live then (plan-devices.ts). A fleet that cannot be reached is one
 * line and no fleet (undefined); a round whose fleet has no usable worker, or does not answer
 * within `offerMs`, is one line and plans on this machine's devices alone. Lines go to `say`.
 */
export async function openPlanRoundFleet(url: string, say: (line: string) => void, o: PlanFleetOptions & { offerMs?: number; pollMs?: number; maxMs?: number } = {}): Promise<PlanRoundFleet | undefined> {
  let fleet: PlanFleet;
  try {
    fleet = await PlanFleet.open(url, o);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    say(`${e.message}; the plan rounds use this machine's devices only`);
    return undefined;
  }
  const offerMs = o.offerMs ?? 120_000;
  return {
    offer: async (tell = say) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), offerMs)));
      try {
        const got = await Promise.race([offerPlanWorkers(fleet, { pollMs: o.pollMs, maxMs: o.maxMs }), late]);
        if (got === 'late') {
          tell(`fleet: no answer from ${redactUrl(url)} within ${(offerMs / 1000).toFixed(0)} s; this round plans on this machine's devices only`);
          return undefined;
        }
        for (const n of got.notes) tell(n);
        if (!got.workers.length) {
          tell("this round plans on this machine's devices only");
          return undefined;
        }
        tell(
          `fleet workers offered to GP1: ${got.workers.map((w) => `${w.device.name} (${w.descriptor.model}, ${w.descriptor.units.count} ${w.descriptor.units.name}; a plan job's round trip ${(w.jobMs ?? 0).toFixed(1)} ms, measured now)`).join(', ')}`,
        );
        return { workers: got.workers, remoteFor: fleetRemoteFor(fleet) };
      } catch (e) {
        // Redis failing under us is the fleet's state, not this round's: it plans without the fleet.
        tell(`fleet: ${(e as Error).message.split('\n')[0]}; this round plans on this machine's devices only`);
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => fleet.close(),
  };
}
