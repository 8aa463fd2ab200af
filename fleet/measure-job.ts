import { join } from 'node:path';
import type { RwLock } from '../common/index.js';
import type { Device } from '../devices/index.js';
import { baselineKey, finalPairs, medianNs, timeAlone, type TargetSession } from '../loop/index.js';
import { describeExit } from '../sandboxes/index.js';
import type { Target } from '../targets/index.js';
import { slim, type Job, type JobResult } from './job.js';

export interface MeasureJob {
  device: Device;
  lock: RwLock;
  job: Job;
  key: string;
  worker: string;
  target: Target;
  /** The target's session on this worker: the bench input every timed run here reads. */
  session: TargetSession;
  root: string;
  startedAt: number;
}

/**
 * The run's own figures, measured on this worker as a local run measures them on its machine
 * (loop/measurer.ts): `measure` builds one program and times it alone at the bench size (its
 * per-call times and median); `final` builds the reference (`baseline`) and the best kernel
 * (`candidate`) and times them against each other, interleaved, in the job's fixed number of pairs
 * (timing.minPairs). A program that does not build or run is the result, never a failed job.
 */
export async function measureJob(m: MeasureJob): Promise<JobResult> {
  const { job, key, worker, target, session, root } = m;
  const ctx = { device: m.device, lock: m.lock };
  const base = { key, stage: job.stage, outcome: 'done' as const, worker, startedAt: m.startedAt };
  /** Built once per program on this worker (the session keeps the binaries between jobs). */
  const build = async (p: { source: string; flags: string[] }) => {
    const k = baselineKey(p); // (the key evaluate jobs build their baselines under: one binary for both)
    const known = session.baselineBinaries.get(k);
    if (known) return { ok: true, log: '', ms: 0, binary: known };
    const r = await ctx.lock.shared(() => ctx.device.build({ target, source: p.source, flags: p.flags, workDir: join(root, 'programs', k) }));
    if (r.ok) session.baselineBinaries.set(k, r.binary!);
    return r;
  };
  const timeoutMs = Math.max(1000, job.limitMs - (Date.now() - m.startedAt));
  const program = await build(job.candidate);
  if (!program.ok) return { ...base, build: slim(program), finishedAt: Date.now() };
  if (job.stage === 'measure') {
    const r = await timeAlone({ target, device: ctx.device, lock: ctx.lock, input: session.benchInput, timing: job.timing }, program.binary!, timeoutMs);
    const measured = r.ok ? { ok: true as const, medianNs: medianNs(r.timesNs), timesNs: r.timesNs, wallMs: r.wallMs } : { ok: false as const, error: r.reason ?? describeExit(r.run), stderr: r.run.stderr.slice(0, 4000) };
    return { ...base, build: slim(program), measured, finishedAt: Date.now() };
  }
  const reference = await build(job.baseline!);
  if (!reference.ok) return { ...base, build: slim(program), measured: { ok: false, error: 'the reference does not build', stderr: reference.log.slice(-4000) }, finishedAt: Date.now() };
  try {
    const timing = await finalPairs({ runDir: root, target, device: ctx.device, lock: ctx.lock, benchInput: session.benchInput, timing: job.timing }, reference.binary!, { id: job.id, binary: program.binary! });
    return { ...base, build: slim(program), timing, finishedAt: Date.now() };
  } catch (e) {
    // The reference failing its timed run is the result (abTiming throws it); anything else is ours.
    if (!/failed its timed run/.test((e as Error).message)) throw e;
    return { ...base, build: slim(program), measured: { ok: false, error: (e as Error).message, stderr: '' }, finishedAt: Date.now() };
  }
}
