import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { UserError } from '../common/index.js';
import type { Compiler } from '../devices/index.js';
import { PlanExecutor } from '../plans/index.js';
import type { Sandbox } from '../sandboxes/index.js';
import { catalogNames, CATALOG_DIR, loadTarget, type Target } from '../targets/index.js';
import { JobRefused } from './job.js';
import { parsePlanJob, PLAN_DATA_TTL_S, PLAN_OUT_TTL_S, planCancelKey, planDataKey, sha256, type PlanJob, type PlanJobResult } from './plan-job.js';
import { checkPlanJobSteps, planProgram } from './plan-program.js';
import { targetDigest } from './result-key.js';
import { materializeTarget } from './target-files.js';

export interface PlanWorkerDeps {
  id: string;
  /** This worker's device fingerprint: a plan job for another device is refused. */
  fingerprint: string;
  redis: Redis;
  sandbox: Sandbox;
  compiler: Compiler;
  /** Kernel objects and programs (cached by content), and one folder per job. */
  workDir: string;
  /** OpenMP threads of the job's kernels: the whole device. */
  threads: number;
  log: (line: string) => void;
}

/**
 * A worker's side of plan jobs (fleet/plan-job.ts), taken from its own queue: the job validated
 * (schema, this worker and device, each kernel's target shipped here or carried and matching its
 * digest, flags on the target's allow-list, sizes and bounds), its input blob fetched from Redis and
 * checked against its hash, the kernels and the job's program built in this worker's sandbox with
 * its own compiler (cached by content), run there within the job's time limit, and the regions it
 * returns stored under the job's output key. A refusal fails the job in one line (never retried);
 * a kernel that does not build, a program that fails or passes the limit is the job's result.
 */
export function planJobProcessor(d: PlanWorkerDeps): (bull: BullJob) => Promise<PlanJobResult> {
  const carried = new Map<string, Target>();
  return async (bull) => {
    const startedAt = Date.now();
    let job: PlanJob;
    let targets: Target[];
    let input: Buffer;
    try {
      job = parsePlanJob(bull.data, String(bull.id));
      if (job.worker !== d.id) throw new JobRefused(`refused plan job ${job.id}: it is for worker ${job.worker}, this is ${d.id}`);
      if (job.device !== d.fingerprint) throw new JobRefused(`refused plan job ${job.id}: its plan names device ${job.device} for this worker, which is ${d.fingerprint}; make the plan again with the fleet's descriptors`);
      targets = job.kernels.map((k, i) => kernelTarget(job, i, join(d.workDir, 'carried'), carried));
      checkPlanJobSteps(job, targets);
      const got = await d.redis.getBuffer(job.input.key);
      if (!got) throw new JobRefused(`refused plan job ${job.id}: its input ${job.input.key} is not in Redis (kept ${PLAN_DATA_TTL_S / 60} min)`);
      if (got.length !== job.input.bytes || sha256(got) !== job.input.sha256) throw new JobRefused(`refused plan job ${job.id}: its input is ${got.length} bytes whose hash differs from the job's (${job.input.bytes} bytes)`);
      input = got;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      d.log(e.message);
      throw new UnrecoverableError(e.message);
    }
    const base = { id: job.id, worker: d.id, startedAt, stepNs: [] as number[], runMs: 0 };
    const fail = (outcome: PlanJobResult['outcome'], error: string, buildMs: number): PlanJobResult => {
      d.log(`plan job ${job.id}: ${outcome}: ${error.split('\n')[0]}`);
      return { ...base, outcome, error: error.slice(-4000), buildMs, finishedAt: Date.now() };
    };
    // A job its coordinator gave up on while it waited in the queue: nothing to do.
    if (await d.redis.exists(planCancelKey(job.id))) return fail('timed-out', GIVEN_UP, 0);
    const executor = new PlanExecutor({ sandbox: d.sandbox, compiler: d.compiler, cacheDir: join(d.workDir, 'plans'), threads: d.threads, timeoutMs: job.limitMs });
    const objects: string[] = [];
    for (const [k, t] of targets.entries()) {
      const o = await executor.kernelObject(t, job.kernels[k], k);
      if (!o.ok) return fail('build-failed', `kernel ${k} (${t.name}) does not build: ${o.log}`, Date.now() - startedAt);
      objects.push(o.binary);
    }
    const prog = await executor.linkProgram(planProgram(job, targets), objects);
    const buildMs = Date.now() - startedAt;
    if (!prog.ok) return fail('build-failed', `the job's program does not build: ${prog.log}`, buildMs);
    if (buildMs >= job.limitMs) return fail('timed-out', `the build took ${buildMs} ms of the job's ${job.limitMs} ms`, buildMs);
    const dir = join(d.workDir, 'plan-jobs', job.id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'in.bin'), input);
      const left = new PlanExecutor({ sandbox: d.sandbox, compiler: d.compiler, cacheDir: join(d.workDir, 'plans'), threads: d.threads, timeoutMs: job.limitMs - buildMs });
      const t0 = Date.now();
      const r = await left.run(prog.binary, [join(dir, 'in.bin'), join(dir, 'out.bin')], dir);
      const runMs = Date.now() - t0;
      if (r.timedOut) return fail('timed-out', `the job's program passed its time limit of ${job.limitMs} ms (build ${buildMs} ms, run ${runMs} ms)`, buildMs);
      if (r.exitCode !== 0) return { ...fail('run-failed', `the job's program ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`, buildMs), runMs };
      const out = readFileSync(join(dir, 'out.bin'));
      const key = planDataKey(job.id, 'out');
      // Stored only if the coordinator still waits for it (no cancel marker), in one step: a
      // coordinator that gives up sets the marker first, then deletes the output, so none outlives the job.
      if (!(await storeUnlessCancelled(d.redis, job.id, out))) return fail('timed-out', GIVEN_UP, buildMs);
      const stepNs = (/KLOOP_STEP_NS((?: \d+)*)/.exec(r.stdout)?.[1] ?? '').trim().split(' ').filter(Boolean).map(Number);
      d.log(`plan job ${job.id}: ${job.steps.length} steps, ${input.length} bytes in, ${out.length} bytes out (build ${buildMs} ms, run ${runMs} ms)`);
      return { ...base, outcome: 'done', stepNs, buildMs, runMs, output: { key, bytes: out.length, sha256: sha256(out) }, finishedAt: Date.now() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const GIVEN_UP = 'its coordinator gave up on it (its deadline passed, or it took this worker for dead): its output is not stored';

/** SET the output unless the job's cancel marker exists (atomically, in Redis); false when cancelled. */
async function storeUnlessCancelled(redis: Redis, jobId: string, out: Buffer): Promise<boolean> {
  const stored = await redis.eval("if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1", 2, planDataKey(jobId, 'out'), planCancelKey(jobId), out, String(PLAN_OUT_TTL_S));
  return stored === 1;
}

/** A job kernel's target: shipped here (its digest must match) or carried by the job (loaded by the strict loader); its flags on the target's allow-list. */
function kernelTarget(job: PlanJob, i: number, root: string, carried: Map<string, Target>): Target {
  const k = job.kernels[i];
  const at = `refused plan job ${job.id}: kernels[${i}]`;
  let t: Target;
  if (k.target.files) {
    try {
      t = materializeTarget(root, k.target.files, carried);
    } catch (e) {
      if (e instanceof UserError) throw new JobRefused(`${at}: its target does not load: ${e.message.split('\n')[0]}`);
      throw e;
    }
    if (t.name !== k.target.name) throw new JobRefused(`${at}: target.name ${k.target.name} differs from the name in its target.yaml (${t.name})`);
  } else {
    if (!catalogNames().includes(k.target.name)) throw new JobRefused(`${at}: target ${k.target.name} is not shipped with this worker's kloop, and the job carries no files for it`);
    t = loadTarget(join(CATALOG_DIR, k.target.name));
  }
  if (targetDigest(t) !== k.target.digest) throw new JobRefused(`${at}: target ${t.name} differs between the coordinator and this worker (digest ${k.target.digest}, here ${targetDigest(t)}; another kloop version?)`);
  for (const f of k.flags) if (!t.allow.flags.includes(f)) throw new JobRefused(`${at}: flag "${f}" is not allowed for ${t.name} (allowed: ${t.allow.flags.join(' ') || 'none'})`);
  return t;
}
