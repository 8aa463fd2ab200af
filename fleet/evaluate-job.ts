import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { RwLock, shortHash, UserError } from '../common/index.js';
import { cudaFlagsAllowed, type Device, type DeviceProfile } from '../devices/index.js';
import { buildProgram, localEvaluator, TargetSession, type EvaluatorDeps } from '../loop/index.js';
import { catalogNames, CATALOG_DIR, loadTarget, type Target } from '../targets/index.js';
import { prepareGateBench, Verifier, type CheckPlan } from '../verifiers/index.js';
import { JobRefused, slim, type Job, type JobResult } from './job.js';
import { harnessVersion, targetDigest } from './result-key.js';
import { measureJob } from './measure-job.js';
import { materializeTarget } from './target-files.js';

/** What a job runner keeps between jobs: its device, per-target sessions (bench input, baselines), plans by seed. */
export interface JobContext {
  device: Device;
  profile: DeviceProfile;
  /** Where jobs build and run (one folder per job, removed after it). */
  workDir: string;
  lock: RwLock;
  sessions: Map<string, Promise<TargetSession>>;
  plans: Map<string, Promise<CheckPlan>>;
  verifiers: Map<string, Verifier>;
  /** Targets jobs carried (not shipped here), by their files' hash. */
  carried: Map<string, Target>;
  remeasure?: Promise<DeviceProfile>;
}

export function jobContext(device: Device, profile: DeviceProfile, workDir: string): JobContext {
  return { device, profile, workDir, lock: new RwLock(), sessions: new Map(), plans: new Map(), verifiers: new Map(), carried: new Map() };
}

/**
 * The target a job names, as this worker ships it or as the job's files define it, at the job's
 * bench size: refused (one line) when it is neither shipped here nor carried, does not load, its contract or harness differs from the coordinator's, a flag is
 * not on its allow-list, or the bench size names other sizes.
 */
export function jobTarget(job: Job, language: 'c' | 'cuda', carried?: { root: string; loaded: Map<string, Target> }): Target {
  let shipped: Target;
  if (job.target.files) {
    if (!carried) throw new JobRefused(`refused job ${job.id}: this worker takes shipped targets only`);
    try {
      shipped = materializeTarget(carried.root, job.target.files, carried.loaded);
    } catch (e) {
      if (e instanceof UserError) throw new JobRefused(`refused job ${job.id}: its target does not load: ${e.message.split('\n')[0]}`);
      throw e;
    }
    if (shipped.name !== job.target.name) throw new JobRefused(`refused job ${job.id}: target.name ${job.target.name} differs from the name in its target.yaml (${shipped.name})`);
    if (targetDigest(shipped) !== job.target.digest) throw new JobRefused(`refused job ${job.id}: target ${shipped.name}'s files do not match its digest ${job.target.digest}`);
  } else {
    if (!catalogNames().includes(job.target.name))
      throw new JobRefused(`refused job ${job.id}: target ${job.target.name} is not shipped with this worker's kloop (shipped: ${catalogNames().join(', ')}), and the job carries no files for it`);
    shipped = loadTarget(join(CATALOG_DIR, job.target.name));
    if (targetDigest(shipped) !== job.target.digest) throw new JobRefused(`refused job ${job.id}: target ${shipped.name} differs between the coordinator and this worker (another kloop version?)`);
  }
  const keys = Object.keys(shipped.benchSize).sort();
  if (JSON.stringify(Object.keys(job.target.benchSize).sort()) !== JSON.stringify(keys)) throw new JobRefused(`refused job ${job.id}: target.benchSize: expected the sizes ${keys.join(', ')} of ${shipped.name}`);
  const harness = harnessVersion(shipped, language);
  if (harness !== job.harness) throw new JobRefused(`refused job ${job.id}: harness ${job.harness} differs from this worker's ${harness}; run the same kloop version on coordinator and workers`);
  const allowed = language === 'cuda' ? cudaFlagsAllowed(shipped) : shipped.allow.flags;
  for (const f of [...job.candidate.flags, ...(job.baseline?.flags ?? [])]) if (!allowed.includes(f)) throw new JobRefused(`refused job ${job.id}: flag "${f}" is not allowed for ${shipped.name} (allowed: ${allowed.join(' ') || 'none'})`);
  return { ...shipped, benchSize: job.target.benchSize };
}

/**
 * One job on this worker's device, through the same evaluator a local run uses (loop/evaluator.ts):
 * `evaluate` builds and verifies the candidate and, if the gate accepts it, A/B times it against
 * the baseline (every pair on this device) and judges the timed run; `confirm` builds it and times
 * it again in fresh pairs; `measure` and `final` time programs for the run's own figures
 * (fleet/measure-job.ts). Whatever the candidate does is the result; a thrown error is ours (an
 * infrastructure fault, retried by the queue).
 */
export async function evaluateJob(ctx: JobContext, job: Job, key: string, worker: string): Promise<JobResult> {
  const startedAt = Date.now();
  const target = jobTarget(job, ctx.device.language, { root: join(ctx.workDir, 'carried'), loaded: ctx.carried });
  const { session, root, sizeKey } = await sessionOf(ctx, job, target);
  if (job.stage === 'measure' || job.stage === 'final') return measureJob({ device: ctx.device, lock: ctx.lock, job, key, worker, target, session, root, startedAt });
  const verifier = verifierFor(ctx, job);
  // A plan per round (its seed), as a local run makes one; an old one's folder goes when it leaves the cache.
  const plan = await cached(
    ctx.plans,
    `${sizeKey}/${job.seed}/${JSON.stringify(job.verify)}`,
    () => ctx.lock.shared(() => verifier.prepare(target, job.seed, join(root, `plan-${job.seed}-${shortHash(JSON.stringify(job.verify))}`))),
    (old) => rmSync(old.dir, { recursive: true, force: true }),
  );
  const baseline = await buildProgram({ runDir: root, target, device: ctx.device, lock: ctx.lock, baselineBinaries: session.baselineBinaries }, job.baseline!);
  const d: EvaluatorDeps = {
    runDir: root,
    target,
    device: ctx.device,
    deviceProfile: ctx.profile,
    verifier,
    lock: ctx.lock,
    emit: () => undefined,
    timing: job.timing,
    session,
    remeasureProfile: () => (ctx.remeasure ??= ctx.lock.exclusive(() => ctx.device.measureProfile(join(ctx.workDir, 'profile'))).then((p) => (ctx.profile = p))),
  };
  const ev = localEvaluator(d, { round: 0, seed: job.seed, plan: async () => plan, queue: new PQueue({ concurrency: 1 }), baseline: { ...job.baseline!, binary: baseline } });
  const dir = join(ctx.workDir, 'jobs', key);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const c = { id: job.id, dir, ...job.candidate };
  const base = { key, stage: job.stage, outcome: 'done' as const, worker, startedAt };
  try {
    if (job.stage === 'confirm') {
      const build = await ctx.lock.shared(() => ctx.device.build({ target, source: c.source, flags: c.flags, workDir: dir }));
      if (!build.ok) return { ...base, build: slim(build), finishedAt: Date.now() };
      return { ...base, build: slim(build), timing: await ev.confirm({ ...c, build }), finishedAt: Date.now() };
    }
    const checked = await ev.check(c);
    if (!checked.build.ok || !checked.verdict || checked.verdict.status === 'rejected') return { ...base, build: slim(checked.build), verdict: checked.verdict, finishedAt: Date.now() };
    const { timings, judged } = await ev.time([{ ...c, ...checked }]);
    return { ...base, build: slim(checked.build), verdict: checked.verdict, timing: timings.get(c.id), judged: judged.get(c.id), finishedAt: Date.now() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The job's target's session on this worker, at the job's bench size: its bench input (drawn here)
 * and the check of timed outputs, the baselines built and their times; kept between jobs.
 */
export async function sessionOf(ctx: JobContext, job: Job, target: Target): Promise<{ session: TargetSession; root: string; sizeKey: string }> {
  // (the digest: two carried targets of one name but different contracts never share a session)
  const sizeKey = shortHash(target.name, job.target.digest, JSON.stringify(target.benchSize));
  const root = join(ctx.workDir, 'targets', `${target.name}-${sizeKey}`);
  const session = await cached(ctx.sessions, sizeKey, () =>
    TargetSession.open(target, async (t) => {
      mkdirSync(root, { recursive: true });
      const bench = await ctx.lock.shared(() => prepareGateBench(verifierFor(ctx, job), t, root));
      return { input: bench.inputFile, bench };
    }),
  );
  return { session, root, sizeKey };
}

/** The verifier with the coordinator's settings (one per distinct settings). */
function verifierFor(ctx: JobContext, job: Job): Verifier {
  const k = JSON.stringify(job.verify);
  let v = ctx.verifiers.get(k);
  if (!v) ctx.verifiers.set(k, (v = new Verifier({ device: ctx.device, ...job.verify })));
  return v;
}

/** A value made once per key, the 16 most recent kept (`evict` gets what goes); a failure is forgotten (made again next time). */
function cached<T>(m: Map<string, Promise<T>>, key: string, make: () => Promise<T>, evict?: (v: T) => void): Promise<T> {
  let p = m.get(key);
  if (!p) {
    m.set(key, (p = make()));
    p.catch(() => m.delete(key));
    if (m.size > 16) {
      const [oldest, value] = m.entries().next().value!;
      m.delete(oldest);
      if (evict) value.then(evict, () => undefined);
    }
  }
  return p;
}
