import { UserError } from '../common/index.js';
import type { Device, DeviceProfile, Fingerprint } from '../devices/index.js';
import type { WorkerRecord } from './registry.js';

/** A worker whose last heartbeat is older than this is not counted as serving its class. */
export const STALE_MS = 60_000;

/** The device a fleet class is: its workers' fingerprint and the HP1 profile one of them published. */
export interface ClassIdentity {
  deviceClass: string;
  fingerprint: Fingerprint;
  profile: DeviceProfile;
  /** The worker whose profile it is (the most recently measured). */
  by: string;
  /** The class's workers seen when the run started. */
  workers: string[];
}

export interface ResolveClassOptions {
  deviceClass: string;
  /** The kind of kernels the run writes (its workflow's device). */
  kind: 'cpu' | 'cuda';
  /** Where that kind is set, for the message when the class is another kind. */
  workflowFile: string;
  /** Sandbox layers the run's workflow requires candidates to get (sandbox.require, min_level): each worker must apply them. */
  requires?: readonly string[];
  /** How long to wait for a worker of the class to register. */
  waitMs: number;
  /** The fleet's URL as it may be printed (password hidden). */
  where: string;
  /** The workers' records now (FleetClient.workers). */
  workers: () => Promise<{ workers: WorkerRecord[]; refused: string[] }>;
  /** Said once while waiting. */
  say: (line: string) => void;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The device a fleet run tunes for: the fingerprint and profile its class's workers published. They
 * must agree on the fingerprint (memory keys every figure by it, and an A/B ratio is of one device);
 * workers of two devices in one class, a class of another kind than the run's kernels, or a worker
 * without a profile are refused in one line; no worker of the class within `waitMs` too.
 */
export async function resolveClass(o: ResolveClassOptions): Promise<ClassIdentity> {
  const cls = o.deviceClass;
  const until = Date.now() + o.waitMs;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let said = false;
  for (;;) {
    const { workers, refused } = await o.workers();
    const now = Date.now();
    const serving = workers.filter((w) => w.class === cls && now - w.beatAt < STALE_MS).sort((a, b) => (a.id < b.id ? -1 : 1));
    if (serving.length) return identityOf(o, serving);
    if (now >= until) {
      const bad = refused.length ? ` (records refused: ${refused.join('; ')})` : '';
      throw new UserError(
        `fleet: no worker of device class ${cls} registered at ${o.where} within ${secs(o.waitMs)} s (fleet.wait_s)${bad}: start one on a ${cls} host with kloop worker --redis URL${cls === o.kind ? '' : ` --class ${cls}`}`,
      );
    }
    if (!said) o.say(`fleet: waiting up to ${secs(o.waitMs)} s for a worker of device class ${cls} to register (the run tunes for its device)`);
    said = true;
    await sleep(Math.min(o.pollMs ?? 500, Math.max(0, until - now)));
  }
}

/** Seconds as a person writes them: 60, 1.5. */
const secs = (ms: number) => Number((ms / 1000).toFixed(1));

function identityOf(o: ResolveClassOptions, serving: WorkerRecord[]): ClassIdentity {
  const cls = o.deviceClass;
  const byFp = new Map<string, WorkerRecord[]>();
  for (const w of serving) byFp.set(w.descriptor.fingerprint.id, [...(byFp.get(w.descriptor.fingerprint.id) ?? []), w]);
  if (byFp.size > 1) {
    const groups = [...byFp.values()].map((ws) => {
      const f = ws[0].descriptor.fingerprint;
      return `${ws.map((w) => w.id).join(', ')} ${ws.length > 1 ? 'are' : 'is'} ${f.id} (${f.model}, ${f.cores} ${f.kind === 'cpu' ? 'cores' : 'units'}, ${f.compiler})`;
    });
    throw new UserError(
      `fleet: the workers of device class ${cls} are not one device: ${groups.join('; ')}. A class is tuned as one device (memory keys its figures by the fingerprint): give each device its own --class, or stop the others`,
    );
  }
  const fp = serving[0].descriptor.fingerprint;
  if (fp.kind !== o.kind)
    throw new UserError(
      `fleet: the workers of device class ${cls} are ${fp.kind} devices (${fp.model}), but ${o.workflowFile} has device: ${o.kind}: set device: ${fp.kind} there (the run writes kernels in its device's language), or send to a ${o.kind} class with fleet.class`,
    );
  for (const w of serving) {
    const lacks = (o.requires ?? []).filter((l) => !w.descriptor.sandbox.applied.includes(l));
    if (lacks.length)
      throw new UserError(
        `fleet: ${o.workflowFile} requires the sandbox layer${lacks.length > 1 ? 's' : ''} ${lacks.join(', ')} for candidates, which worker ${w.id} of device class ${cls} does not apply (it applies ${w.descriptor.sandbox.applied.join(', ') || 'none'}): run the workers where ${lacks.length > 1 ? 'they work' : 'it works'} (kloop doctor there says why), or relax sandbox.require`,
      );
  }
  const missing = serving.find((w) => !w.profile);
  if (missing) throw new UserError(`fleet: worker ${missing.id} of device class ${cls} published no device profile (an older kloop): run the same kloop version on the coordinator and the workers`);
  const odd = serving.find((w) => w.profile!.fingerprint.id !== fp.id);
  if (odd) throw new UserError(`fleet: worker ${odd.id} of device class ${cls} published the profile of device ${odd.profile!.fingerprint.id}, not of its own ${fp.id}: restart it (it measures its profile again)`);
  // The most recently measured profile: the same device, the latest figures of it.
  const newest = serving.reduce((a, b) => (Date.parse(b.profile!.measuredAt) > Date.parse(a.profile!.measuredAt) ? b : a));
  const fingerprint: Fingerprint = { id: fp.id, kind: fp.kind, model: fp.model, cores: fp.cores, flagsHash: fp.flagsHash, compiler: fp.compiler };
  return { deviceClass: cls, fingerprint, profile: newest.profile!, by: newest.id, workers: serving.map((w) => w.id) };
}

/**
 * The run's device on a fleet's coordinator: the class's identity (fingerprint, kind, language),
 * nothing to run. Every figure is measured on the class's workers; building or running anything
 * here is our own fault and fails loudly rather than measure another machine.
 */
export class ClassDevice implements Device {
  readonly kind: 'cpu' | 'cuda';
  readonly language: 'c' | 'cuda';
  readonly sanitizerName: string;

  constructor(
    readonly deviceClass: string,
    private readonly fp: Fingerprint,
  ) {
    this.kind = fp.kind;
    this.language = fp.kind === 'cuda' ? 'cuda' : 'c';
    this.sanitizerName = `the sanitizers of the ${deviceClass} workers`;
  }

  fingerprint(): Promise<Fingerprint> {
    return Promise.resolve(this.fp);
  }

  private refuse(what: string): never {
    throw new Error(`${what} on the coordinator of a fleet run (device class ${this.deviceClass}): every build and measurement belongs on the class's workers`);
  }

  measureProfile = (): Promise<DeviceProfile> => this.refuse('measuring a device profile');
  build = (): never => this.refuse('a build');
  buildOracle = (): never => this.refuse('building the oracle');
  preprocess = (): never => this.refuse('preprocessing a kernel');
  objectSymbols = (): never => this.refuse("reading a kernel's symbols");
  buildSanitized = (): never => this.refuse('a sanitized build');
  buildProof = (): never => this.refuse('a proof build');
  runTool = (): never => this.refuse('running a tool');
  check = (): never => this.refuse('a check run');
  time = (): never => this.refuse('a timed run');
}
