import type { Device } from '../devices/index.js';
import type { EvaluatorFactory, Measurer } from '../loop/index.js';
import { requiredLayers } from '../sandboxes/index.js';
import type { Workflow } from '../workflow/index.js';
import { ClassDevice, resolveClass, type ClassIdentity } from './class-device.js';
import type { FleetClient } from './client.js';
import { fleetEvaluator } from './fleet-evaluator.js';
import { fleetMeasurer } from './fleet-measurer.js';
import type { FleetSettings } from './job-maker.js';
import { redactUrl } from './redis.js';

/** What a run on a fleet is given in place of this machine's: its device, evaluator, measurer and the cores its writers plan for. */
export interface FleetRun {
  identity: ClassIdentity;
  device: Device;
  evaluator: EvaluatorFactory;
  measurer: Measurer;
  /** The class's cores (a CPU class; a GPU's fingerprint does not count its host's). */
  cores?: number;
}

/**
 * A run on `client`'s fleet, for `workflow`: it tunes for the device of its class (fleet.class, else
 * its device), as the class's workers published it (waited for up to fleet.wait_s); candidates,
 * baselines and the final pairs all go to those workers, and the run's device here is the class's,
 * which builds and runs nothing. Refused in one line as resolveClass says.
 */
export async function fleetRun(client: FleetClient, workflow: Workflow, say: (line: string) => void): Promise<FleetRun> {
  const c = workflow.config;
  const deviceClass = c.fleet.class ?? c.device;
  // The layers the workflow requires of candidates' sandbox hold on the workers, where candidates run (uid only when named: whether a worker runs as root is its own).
  const requires = requiredLayers(c.sandbox, false);
  const identity = await resolveClass({ deviceClass, kind: c.device, workflowFile: workflow.file, requires, waitMs: Math.round(c.fleet.wait_s * 1000), where: redactUrl(client.url), workers: () => client.workers(), say });
  const fp = identity.fingerprint;
  const v = c.verify;
  const settings: FleetSettings = {
    deviceClass,
    device: fp.id,
    limitMs: Math.round(c.fleet.job_timeout_s * 1000),
    verify: { hiddenSizes: v.hidden_sizes, caseTimeoutMs: Math.round(v.case_timeout_s * 1000), sanitizers: v.sanitizers, proof: v.proof, proofBudget: v.proof_budget },
  };
  return {
    identity,
    device: new ClassDevice(deviceClass, fp),
    evaluator: fleetEvaluator(client, settings),
    measurer: fleetMeasurer(client, settings, identity),
    cores: fp.kind === 'cpu' ? fp.cores : undefined,
  };
}
