import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { UserError } from '../common/index.js';
import type { Job, JobResult } from './job.js';
import { KEYS, QUEUE_PREFIX, queueName } from './names.js';
import { connectRedis, whenReady } from './redis.js';
import { listWorkers } from './registry.js';
import { resultKey } from './result-key.js';

/** A job the fleet could not do: refused by a worker (one line), or failing on every attempt. */
export class FleetJobFailed extends UserError {
  override readonly name = 'FleetJobFailed';
}

/** One job's trip, for the coordination overhead: when it was enqueued, when its result arrived, its own work (ms). */
export interface JobTrip {
  key: string;
  id: string;
  enqueuedAt: number;
  resultAt: number;
  workMs: number;
  /** The worker's clock: when it started and finished the job's own work (epoch ms). */
  startedAt: number;
  finishedAt: number;
  worker: string;
}

interface Pending {
  job: Job;
  promise: Promise<JobResult>;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
  enqueuedAt: number;
}

/** How a job goes on the queue: retried 3 times with exponential backoff on infrastructure faults, kept a while after. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/**
 * The coordinator's side of the fleet: `evaluate` puts a job on its device class's queue (its
 * BullMQ id is its result key, so the same job enqueued twice is one job) and resolves with its
 * result, once, whichever worker and however many deliveries produced it. A result already stored
 * (a job finished before a coordinator restart) is taken without new work. Results arrive through
 * the queue's completion events, with a poll of the stored results as a safety net.
 */
export class FleetClient {
  private readonly queues = new Map<string, Promise<{ queue: Queue; events: QueueEvents }>>();
  private readonly pending = new Map<string, Pending>();
  private readonly listeners: Redis[] = [];
  private readonly poll: NodeJS.Timeout;
  /** Every job this client saw to its result, in order. */
  readonly trips: JobTrip[] = [];

  private constructor(
    readonly url: string,
    private readonly redis: Redis,
    pollMs: number,
  ) {
    this.poll = setInterval(() => void this.sweep(), pollMs);
  }

  static async open(url: string, o: { pollMs?: number } = {}): Promise<FleetClient> {
    const redis = connectRedis(url, { name: 'kloop-coordinator' });
    redis.on('error', () => undefined);
    await whenReady(redis, url);
    return new FleetClient(url, redis, o.pollMs ?? 1000);
  }

  /** The job's result: at most one per result key, however often it was asked for or delivered. */
  evaluate(job: Job): Promise<JobResult> {
    const key = resultKey(job);
    const known = this.pending.get(key);
    if (known) return known.promise;
    let resolve!: (r: JobResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<JobResult>((res, rej) => ((resolve = res), (reject = rej)));
    const p: Pending = { job, promise, resolve, reject, enqueuedAt: Date.now() };
    this.pending.set(key, p);
    this.enqueue(key, job).catch((e: Error) => this.settle(key, e));
    return promise;
  }

  private async enqueue(key: string, job: Job): Promise<void> {
    const { queue } = await this.queueOf(job.class);
    // A stored result settles it; the job goes on the queue all the same (one round trip, not two in
    // a row): a worker that finds the result stored returns it without running anything.
    await Promise.all([this.collect(key), queue.add(job.stage, job, { ...JOB_OPTIONS, jobId: key })]);
  }

  /** Take a stored result for `key`, if there is one: true when it settled the job. */
  private async collect(key: string): Promise<boolean> {
    if (!this.pending.has(key)) return false;
    const text = await this.redis.get(KEYS.result(key));
    if (!text) return false;
    this.settle(key, JSON.parse(text) as JobResult);
    return true;
  }

  private settle(key: string, r: JobResult | Error): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (r instanceof Error) return p.reject(r);
    this.trips.push({ key, id: p.job.id, enqueuedAt: p.enqueuedAt, resultAt: Date.now(), workMs: r.finishedAt - r.startedAt, startedAt: r.startedAt, finishedAt: r.finishedAt, worker: r.worker });
    p.resolve(reviveTiming(r));
  }

  /** Results the events did not bring (a reconnection, a result stored before this coordinator started). */
  private async sweep(): Promise<void> {
    const keys = [...this.pending.keys()];
    if (!keys.length) return;
    try {
      const texts = await this.redis.mget(keys.map(KEYS.result));
      texts.forEach((t, i) => t && this.settle(keys[i], JSON.parse(t) as JobResult));
    } catch {
      // Redis is away: the next sweep tries again
    }
  }

  private queueOf(deviceClass: string): Promise<{ queue: Queue; events: QueueEvents }> {
    let q = this.queues.get(deviceClass);
    if (!q) {
      q = (async () => {
        const queue = new Queue(queueName(deviceClass), { connection: this.redis, prefix: QUEUE_PREFIX });
        // Its own connection: it blocks reading the queue's event stream, and commands behind it would wait.
        const listener = this.redis.duplicate();
        listener.on('error', () => undefined);
        this.listeners.push(listener);
        const events = new QueueEvents(queueName(deviceClass), { connection: listener, prefix: QUEUE_PREFIX });
        queue.on('error', () => undefined);
        events.on('error', () => undefined);
        // The worker's return value is the job's stored result (the first one, whichever delivery made it).
        events.on('completed', ({ jobId, returnvalue }) => {
          const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as (JobResult & { again?: boolean }) | undefined;
          if (r?.outcome && r.key === jobId) {
            delete r.again;
            this.settle(jobId, r);
          } else void this.collect(jobId).catch(() => undefined);
        });
        // The same key was on the queue already: if it failed before (refused, out of attempts), it is tried once more.
        events.on('duplicated', ({ jobId }) => {
          if (!this.pending.has(jobId)) return;
          void queue.getJob(jobId).then(
            async (j) => j && (await j.isFailed()) && (await j.retry('failed')),
            () => undefined,
          );
        });
        events.on('failed', ({ jobId, failedReason }) => {
          if (!this.pending.has(jobId)) return;
          void queue.getJobState(jobId).then((state) => state === 'failed' && this.settle(jobId, new FleetJobFailed(`the fleet could not evaluate ${this.pending.get(jobId)?.job.id ?? jobId}: ${failedReason}`)));
        });
        await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
        await this.redis.sadd(KEYS.classes, deviceClass);
        return { queue, events };
      })();
      this.queues.set(deviceClass, q);
    }
    return q;
  }

  /** The workers that published a heartbeat lately (fleet/registry.ts), and the records refused. */
  workers(): ReturnType<typeof listWorkers> {
    return listWorkers(this.redis);
  }

  /** Jobs waiting, running, delayed (retrying) and failed in a class's queue. */
  async depths(deviceClass: string): Promise<Record<string, number>> {
    const { queue } = await this.queueOf(deviceClass);
    return queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    for (const p of this.pending.values()) p.reject(new Error('the fleet client closed'));
    this.pending.clear();
    for (const q of this.queues.values()) {
      const { queue, events } = await q.catch(() => ({ queue: undefined, events: undefined }));
      await events?.close();
      await queue?.close();
    }
    for (const r of [...this.listeners, this.redis]) await r.quit().catch(() => r.disconnect());
  }
}

/** JSON has no NaN or Infinity: a timing's figures that became null are NaN again. */
function reviveTiming(r: JobResult): JobResult {
  const t = r.timing as unknown as Record<string, unknown> | undefined;
  if (t) for (const k of ['speedup', 'ciLow', 'ciHigh', 'medianNs', 'baselineMedianNs']) if (t[k] === null) t[k] = NaN;
  return r;
}
