import { fork, type ChildProcess } from 'node:child_process';
import type { Job, JobResult } from './job.js';
import type { FromRunner, RunnerInit } from './job-runner.js';

/** How a job ended in its runner: a result, a refusal (one line), or killed at its time limit. */
export type RunOutcome = { kind: 'result'; result: JobResult } | { kind: 'refused'; message: string } | { kind: 'timed-out'; ms: number };

/** The runner's entry, next to this file (dist/fleet/job-runner.js once built). */
const RUNNER = new URL('./job-runner.js', import.meta.url);

/**
 * Job runners, one per concurrent job: each a child process that keeps its device, bench inputs and
 * baselines between jobs. A job past its limit is killed with its runner (the sandbox's helper
 * then kills what the job started) and a fresh runner takes the next job. A runner that dies on
 * its own is an infrastructure fault: the job's promise rejects, and the queue retries it.
 */
export class RunnerPool {
  private readonly idle: Runner[] = [];
  private readonly all = new Set<Runner>();

  private constructor(
    private readonly init: RunnerInit,
    private readonly size: number,
  ) {}

  /** A pool whose runners are started and ready (device composed, sandbox probed) before the first job. */
  static async start(init: RunnerInit, size: number): Promise<RunnerPool> {
    const pool = new RunnerPool(init, size);
    const runners = Array.from({ length: size }, () => pool.spawn());
    await Promise.all(runners.map((r) => r.ready));
    pool.idle.push(...runners);
    return pool;
  }

  async run(job: Job, key: string, worker: string): Promise<RunOutcome> {
    const r = this.idle.pop() ?? this.spawn();
    try {
      const out = await r.run(job, key, worker);
      if (out.kind === 'timed-out') {
        this.retire(r);
        this.idle.push(this.spawn()); // the next job gets a runner that is starting already
      } else this.idle.push(r);
      return out;
    } catch (e) {
      this.retire(r);
      throw e;
    }
  }

  close(): void {
    for (const r of this.all) r.kill();
    this.all.clear();
    this.idle.length = 0;
  }

  private spawn(): Runner {
    const r = new Runner(this.init);
    this.all.add(r);
    if (this.all.size > this.size + 1) throw new Error(`runner pool: more than ${this.size} jobs at once`);
    return r;
  }

  private retire(r: Runner): void {
    r.kill();
    this.all.delete(r);
  }
}

class Runner {
  private readonly child: ChildProcess;
  private exited = false;
  /** Resolves once the runner has composed its device (rejects if it dies first). */
  readonly ready: Promise<void>;

  constructor(init: RunnerInit) {
    this.child = fork(RUNNER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('exit', () => (this.exited = true));
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.on('message', (m: FromRunner) => m.type === 'ready' && resolve());
      this.child.once('exit', (code, signal) => reject(new Error(`a job runner exited before it was ready (${signal ?? `code ${code}`})`)));
    });
    this.ready.catch(() => undefined);
    this.child.send(init);
  }

  run(job: Job, key: string, worker: string): Promise<RunOutcome> {
    if (this.exited) return Promise.reject(new Error('the job runner had exited'));
    const t0 = Date.now();
    return new Promise<RunOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.kill();
        resolve({ kind: 'timed-out', ms: Date.now() - t0 });
      }, job.limitMs);
      const onMessage = (m: FromRunner) => {
        if (m.type === 'ready' || m.key !== key) return;
        cleanup();
        if (m.type === 'result') resolve({ kind: 'result', result: m.result });
        else if (m.refused) resolve({ kind: 'refused', message: m.message });
        else reject(new Error(`job ${job.id}: ${m.message}`));
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`job ${job.id}: its runner exited (${signal ?? `code ${code}`})`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send({ type: 'job', job, key, worker });
    });
  }

  /** SIGKILL the runner; the sandbox's helper sees its channel close and kills every process the job started. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
