import type { DeviceProfile } from '../devices/index.js';

export interface LineageEntry {
  candidateId: string;
  runId: string;
  speedup: number;
  description: string;
  at: string;
}

/** The current best kernel for one target on one device. */
export interface Baseline {
  target: string;
  fingerprint: string;
  source: string;
  flags: string[];
  /**
   * Speedup over the target's reference (1 for the reference itself): measured against the
   * reference in the same run when `measured` is set, else chained (the product of the steps'
   * speedups, an estimate).
   */
  vsReference: number;
  /** The interleaved reference-vs-this measurement behind vsReference, if there was one. */
  measured?: { ciLow: number; ciHigh: number; pairs: number; runId: string; at: string };
  /** Median time at the bench size when it was accepted (ns). */
  medianNs?: number;
  /** The verifier's verdict this kernel earned (the reference's is 'reference'). */
  verdict: 'reference' | 'tested' | 'proved';
  description: string;
  /** From the reference to this kernel, oldest first. */
  lineage: LineageEntry[];
  updatedAt: string;
  /**
   * The sizes it was tuned and timed at, when a workload's node asked for sizes other than the
   * target's bench size (`kloop run --workload`); absent: the target's bench size (every plain run,
   * and every baseline kept before kloop tuned at node sizes). Memory keeps one best per (target,
   * fingerprint, size).
   */
  size?: Record<string, number>;
}

export type Outcome = 'keep' | 'discard' | 'crash' | 'invalid';

/** A lesson: what a change did on a target and device. */
export interface Insight {
  target: string;
  fingerprint: string;
  runId: string;
  round: number;
  candidateId: string;
  kinds: string[];
  outcome: Outcome;
  speedup?: number;
  text: string;
  at: string;
}

/** A kept candidate, with what a reviewer needs: before and after, evidence, the idea. */
export interface Winner {
  candidateId: string;
  runId: string;
  target: string;
  /** The target's folder (where an approved kernel is promoted). */
  targetDir: string;
  fingerprint: string;
  device: string;
  source: string;
  flags: string[];
  previousSource: string;
  previousFlags: string[];
  previousId: string;
  speedup: number;
  ciLow: number;
  ciHigh: number;
  /** Chained estimate over the reference (baseline's figure × this step), not a measurement. */
  vsReference: number;
  gflopsBefore?: number;
  gflopsAfter?: number;
  pctRoofBefore?: number;
  pctRoofAfter?: number;
  /** The memory levels whose roofs those percentages are of (L2, DRAM …). */
  roofLevelBefore?: string;
  roofLevelAfter?: string;
  /** proved | tested: the verifier's verdict it earned. */
  verdict: string;
  evidence: string;
  description: string;
  diagnosis: string;
  lineage: string[];
  at: string;
  /** The sizes it was tuned at, when not the target's bench size (a workload node's; see Baseline.size). */
  size?: Record<string, number>;
}

export interface Review {
  candidateId: string;
  target: string;
  fingerprint: string;
  decision: 'approved' | 'rejected';
  reason?: string;
  commit?: string;
  at: string;
  /** A review of a kept CEP plan (candidateId `plan:<workload>@<devices>@<at>`; target: the workload, fingerprint: its devices): the plan reviewed, so that a rejected one is not kept again. */
  plan?: unknown;
}

/**
 * A CEP plan kept for a workload on a set of devices: verified against the graph oracle and faster
 * than the best single-device plan, both measured in the same run, interleaved. One per (workload,
 * devices); a later keep replaces it.
 */
export interface KeptPlan {
  workload: string;
  /** The workload's content hash the plan was made and measured for. */
  workloadHash: string;
  /** The workload's folder (where an approved plan is written; absent in plans kept before review of plans). */
  workloadDir?: string;
  /** The ACP fingerprint ids of its devices, joined with "+" (what it transfers between). */
  devices: string;
  /** The CEP plan (JSON; plans/ validates it when it is read back). */
  plan: unknown;
  predictedMs: number;
  measuredMs: number;
  singleMs: number;
  speedup: number;
  ciLow: number;
  ciHigh: number;
  pairs: number;
  verification: string;
  runId: string;
  at: string;
}

export interface MemoryData {
  version: 1;
  baselines: Baseline[];
  insights: Insight[];
  profiles: DeviceProfile[];
  /** Hashes of every program tried, per "target|fingerprint": never proposed twice. */
  tried: Record<string, string[]>;
  /** Reference median time per "target|fingerprint" (ns). */
  referenceNs: Record<string, number>;
  winners: Winner[];
  reviews: Review[];
  /** A compute model's state per device fingerprint (opaque here: model/ reads and checks it). */
  models?: Record<string, unknown>;
  /** Kept CEP plans (absent before kloop had them). */
  plans?: KeptPlan[];
}

/** Shared memory across rounds and runs. Small on purpose; every backend passes one conformance suite. */
export interface MemoryStore {
  /** The best kernel kept for a target on a device at `size` (absent: at the target's bench size, as a plain run keeps it). */
  getBaseline(target: string, fingerprint: string, size?: Record<string, number>): Promise<Baseline | undefined>;
  /** Keeps a best kernel, replacing the one for the same target, device and size (`b.size`). */
  setBaseline(b: Baseline): Promise<void>;
  /** Every best kernel kept (at every size), optionally for one target. */
  baselines(filter?: { target?: string }): Promise<Baseline[]>;
  addInsights(list: Insight[]): Promise<void>;
  insights(filter: { target?: string; fingerprint?: string; limit?: number }): Promise<Insight[]>;
  getProfile(fingerprint: string): Promise<DeviceProfile | undefined>;
  putProfile(p: DeviceProfile): Promise<void>;
  tried(target: string, fingerprint: string): Promise<Set<string>>;
  addTried(target: string, fingerprint: string, keys: string[]): Promise<void>;
  getReferenceNs(target: string, fingerprint: string): Promise<number | undefined>;
  setReferenceNs(target: string, fingerprint: string, ns: number): Promise<void>;
  addWinner(w: Winner): Promise<void>;
  winners(filter?: { target?: string; runId?: string }): Promise<Winner[]>;
  /** Written at once: a decision is never lost, whatever happens to the terminal afterwards. */
  addReview(r: Review): Promise<void>;
  reviews(): Promise<Review[]>;
  /** The compute model learned on a device (CM1's JSON; undefined if none yet). Opaque here: its reader checks it. */
  getModel(fingerprint: string): Promise<unknown>;
  /** Replaces the device's compute model. */
  putModel(fingerprint: string, model: unknown): Promise<void>;
  /** The plan kept for a workload on a set of devices, if any. */
  getPlan(workload: string, devices: string): Promise<KeptPlan | undefined>;
  /** Keeps a plan, replacing the one for the same workload and devices. */
  setPlan(p: KeptPlan): Promise<void>;
  /** Every kept plan. */
  plans(): Promise<KeptPlan[]>;
}

export const emptyMemory = (): MemoryData => ({ version: 1, baselines: [], insights: [], profiles: [], tried: {}, referenceNs: {}, winners: [], reviews: [], models: {} });
