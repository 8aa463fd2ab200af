import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { kloopVersion, UserError } from '../common/index.js';
import { describeDevice, detectCudaToolkit, isCurrentProfile, type AcpDescriptor } from '../devices/index.js';
import { composeDevice, composeSandbox, openMemory, refuseMissingLayers, runsDirOf } from '../loop/index.js';
import type { Workflow } from '../workflow/index.js';
import { parseJob, type Job, type JobResult } from './job.js';
import { workerQueueName } from './plan-job.js';
import { planJobProcessor } from './plan-worker.js';
import { measureLink } from './link.js';
import { CLASS_PATTERN, KEYS, QUEUE_PREFIX, queueName, RESULT_TTL_S } from './names.js';
import { connectRedis, redactUrl, whenReady } from './redis.js';
import { publishWorker, removeWorker, type WorkerRecord } from './registry.js';
import { resultKey } from './result-key.js';
import { RunnerPool } from './runner-pool.js';

export interface WorkerOptions {
  url: string;
  workflow: Workflow;
  cwd: string;
  /** The device class whose queue it takes jobs from (default: the workflow's device, cpu or cuda). */
  deviceClass?: string;
  concurrency: number;
  /** Its id in the registry (default host-pid). */
  name?: string;
  memoryPath?: string;
  /** BullMQ's job lock: a worker that stops renewing it (killed, cut off) loses its job to another after about this long. */
  lockMs: number;
  /** How often workers look for jobs whose lock expired (stalled) and put them back in the queue. */
  stalledMs: number;
  heartbeatMs: number;
  log: (line: string) => void;
}

export interface FleetWorker {
  id: string;
  deviceClass: string;
  descriptor: AcpDescriptor;
  /** Stop taking jobs, finish the running ones, leave the registry. */
  close(): Promise<void>;
}

/**
 * `kloop worker`: a device host's side of the fleet. It loads its device profile from memory (or
 * measures it), publishes its ACP descriptor with a heartbeat, and takes jobs from its class's
 * queue: every payload is validated (anything else is refused in one line and never retried), a
 * job whose result is already stored is not run again, and each job runs in a runner process with
 * the workflow's sandbox, killed at the job's time limit. A candidate's outcome, wrong or right, is
 * the job's result; only our own faults fail a job (the queue retries those with backoff).
 */
export async function startWorker(o: WorkerOptions): Promise<FleetWorker> {
  const { workflow, log } = o;
  const kind = workflow.config.device;
  const deviceClass = o.deviceClass ?? kind;
  if (!CLASS_PATTERN.test(deviceClass)) throw new UserError(`--class ${deviceClass}: expected a device class, a lowercase identifier such as cpu, cuda or h100`);
  const id = o.name ?? `${hostname()}-${process.pid}`;
  const { runsDir, cacheDir } = runsDirOf(workflow, o.cwd);
  const workDir = join(runsDir, '.fleet', id);
  const plan = composeSandbox(workflow, cacheDir);
  refuseMissingLayers(plan);
  const { device, compiler } = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir, kind });
  // Redis first: a URL that does not answer is said at once, before any measurement.
  const redis = connectRedis(o.url, { name: `kloop-worker-${id}` });
  redis.on('error', () => undefined); // reconnects on its own; the heartbeat reports the outage
  await whenReady(redis, o.url);
  const fp = await device.fingerprint();
  const memory = openMemory(workflow, o.cwd, o.memoryPath);
  let profile = await memory.getProfile(fp.id);
  if (!isCurrentProfile(profile)) {
    log(`measuring the device profile of ${fp.model} (${fp.cores} ${kind === 'cuda' ? 'GPU' : 'cores'})`);
    profile = await device.measureProfile(join(workDir, 'profile'));
    await memory.putProfile(profile);
  }
  const compilers = [{ name: compiler.cc, version: compiler.version }];
  if (kind === 'cuda') compilers.unshift({ name: 'nvcc', version: detectCudaToolkit().version });
  const descriptor = describeDevice({
    profile,
    fingerprint: fp,
    compilers,
    sandbox: { applied: plan.layers.filter((l) => l.ok).map((l) => l.layer), missing: plan.layers.filter((l) => !l.ok).map((l) => l.layer) },
    kloopVersion: kloopVersion(),
    link: await measureLink(redis, id),
    extensions: kind === 'cpu' ? { cpu: { march: compiler.nativeArch } } : undefined,
  });

  // Runners start now (a process, the sandbox's probe), not with the first job.
  const pool = await RunnerPool.start({ type: 'init', workflowFile: workflow.file, kind, profile, workDir }, o.concurrency);
  const running: WorkerRecord['running'] = [];
  const startedAt = Date.now();
  let done = 0;
  const record = (): WorkerRecord => ({ id, class: deviceClass, host: hostname(), pid: process.pid, concurrency: o.concurrency, startedAt, beatAt: Date.now(), heartbeatMs: o.heartbeatMs, done, running, descriptor, profile });

  // Heartbeats on a connection that fails fast: while Redis is away they fail (said once), and resume with it.
  const hb = connectRedis(o.url, { name: `kloop-worker-${id}-heartbeat`, failFast: true });
  hb.on('error', () => undefined);
  let lost = false;
  const beat = () =>
    publishWorker(hb, record()).then(
      () => {
        if (lost) log(`Redis at ${redactUrl(o.url)} is back: heartbeats resume`);
        lost = false;
      },
      (e: Error) => {
        if (!lost) log(`heartbeat failed (${e.message}): reconnecting to Redis at ${redactUrl(o.url)}`);
        lost = true;
      },
    );
  await whenReady(hb, o.url);
  await beat();
  const heartbeat = setInterval(() => void beat(), o.heartbeatMs);

  /** Returns the job's stored result: the first one, whoever made it (the coordinator takes it from the completion event). */
  const process_ = async (bull: BullJob): Promise<JobResult & { again?: boolean }> => {
    let job: Job;
    try {
      job = parseJob(bull.data, String(bull.id));
      if (job.class !== deviceClass) throw new UserError(`refused job ${job.id}: it is for device class ${job.class}, this worker serves ${deviceClass}`);
      if (job.device && job.device !== fp.id)
        throw new UserError(`refused job ${job.id}: its run tunes for device ${job.device}, this worker is ${fp.id} (${fp.model}, ${fp.cores} ${kind === 'cuda' ? 'GPU' : 'cores'}); a class is one device: serve another --class`);
    } catch (e) {
      done++;
      log((e as Error).message);
      throw new UnrecoverableError((e as Error).message);
    }
    const key = resultKey(job);
    const stored = await redis.get(KEYS.result(key));
    if (stored) {
      done++;
      log(`job ${job.id} (${job.stage}): already has a result (${key.slice(0, 12)}), not run again`);
      return { ...(JSON.parse(stored) as JobResult), again: true };
    }
    const slot = { candidate: job.id, key, since: Date.now() };
    running.push(slot);
    void beat();
    try {
      const out = await pool.run(job, key, id);
      if (out.kind === 'refused') {
        log(out.message);
        throw new UnrecoverableError(out.message);
      }
      const result: JobResult =
        out.kind === 'result'
          ? out.result
          : { key, stage: job.stage, outcome: 'timed-out', worker: id, startedAt: slot.since, finishedAt: Date.now(), error: `killed on worker ${id} after its time limit of ${fmtS(job.limitMs)} (ran ${fmtS(out.ms)})` };
      const first = await redis.set(KEYS.result(key), JSON.stringify(result), 'EX', RESULT_TTL_S, 'NX');
      log(`job ${job.id} (${job.stage}): ${describeResult(result)}${first ? '' : '; a result was already stored, this one is dropped'}`);
      return first ? result : (JSON.parse((await redis.get(KEYS.result(key))) ?? JSON.stringify(result)) as JobResult);
    } finally {
      done++;
      running.splice(running.indexOf(slot), 1);
      void beat();
    }
  };

  const worker = new Worker(queueName(deviceClass), process_, {
    connection: redis,
    prefix: QUEUE_PREFIX,
    name: id,
    concurrency: o.concurrency,
    lockDuration: o.lockMs,
    stalledInterval: o.stalledMs,
    maxStalledCount: 2,
  });
  worker.on('error', () => undefined); // connection errors: ioredis reconnects, the heartbeat says so
  // Plan jobs (a CEP plan's steps on this worker's device) come on its own queue, one at a time, run here in its sandbox.
  const plans = planJobProcessor({ id, fingerprint: fp.id, redis, sandbox: plan.sandbox, compiler, workDir: join(workDir, 'plans'), threads: descriptor.units.count, log });
  const planWorker = new Worker(
    workerQueueName(id),
    async (bull: BullJob) => {
      const slot = { candidate: `plan job ${String(bull.id)}`, key: String(bull.id), since: Date.now() };
      running.push(slot);
      void beat();
      try {
        return await plans(bull);
      } finally {
        done++;
        running.splice(running.indexOf(slot), 1);
        void beat();
      }
    },
    { connection: redis, prefix: QUEUE_PREFIX, name: id, concurrency: 1, lockDuration: o.lockMs, stalledInterval: o.stalledMs, maxStalledCount: 0 },
  );
  planWorker.on('error', () => undefined);
  await Promise.all([worker.waitUntilReady(), planWorker.waitUntilReady()]);
  log(`worker ${id}: class ${deviceClass}, ${descriptor.model}, ${o.concurrency} job(s) at a time, Redis ${redactUrl(o.url)} (round trip ${descriptor.link!.rttMs.toFixed(2)} ms)`);

  return {
    id,
    deviceClass,
    descriptor,
    close: async () => {
      clearInterval(heartbeat);
      await Promise.all([worker.close(), planWorker.close()]);
      pool.close();
      await removeWorker(hb, id).catch(() => undefined);
      await Promise.all([quit(hb), quit(redis)]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

async function quit(r: Redis): Promise<void> {
  await r.quit().catch(() => r.disconnect());
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A job's result in a few words, for the worker's log. */
export function describeResult(r: JobResult): string {
  if (r.outcome === 'timed-out') return `timed out: ${r.error}`;
  const took = fmtS(r.finishedAt - r.startedAt);
  if (r.build && !r.build.ok) return `does not build (${took})`;
  if (r.measured) return r.measured.ok ? `median ${(r.measured.medianNs / 1e6).toFixed(3)} ms over ${r.measured.timesNs.length} calls (${took})` : `not measured: ${r.measured.error.split('\n')[0]} (${took})`;
  if (r.stage === 'final' && r.timing) return r.timing.ok ? `${r.timing.speedup.toFixed(3)}x over the reference in ${r.timing.pairs} pairs (${took})` : `pairs failed: ${r.timing.error} (${took})`;
  if (r.verdict?.status === 'rejected') return `rejected by ${r.verdict.layer} (${took})`;
  if (r.timing && !r.timing.ok) return `${r.verdict?.status ?? 'built'}, timing failed: ${r.timing.error} (${took})`;
  if (r.timing) return `${r.verdict?.status ?? 'timed'}, ${r.timing.speedup.toFixed(3)}x over the baseline in ${r.timing.pairs} pairs${r.judged && !r.judged.ok ? `, then rejected by ${r.judged.layer}` : ''} (${took})`;
  return `${r.verdict?.status ?? 'done'} (${took})`;
}
