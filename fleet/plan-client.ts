import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { UserError } from '../common/index.js';
import { QUEUE_PREFIX } from './names.js';
import { freshWorkers, type Freshness } from './fresh-workers.js';
import { PLAN_DATA_TTL_S, planCancelKey, planDataKey, sha256, workerQueueName, type PlanJob, type PlanJobResult } from './plan-job.js';
import { connectRedis, redactUrl, whenReady } from './redis.js';
import { listWorkers, type WorkerRecord } from './registry.js';

/** A plan job the fleet did not do: refused by its worker, failed, or not answered in time (its worker died, left or hangs). One line. */
export class PlanJobFailed extends UserError {
  override readonly name = 'PlanJobFailed';
}

export interface PlanFleetOptions {
  /** A worker whose last heartbeat is older than this while it holds a job is taken for dead (default 30 s). */
  staleMs?: number;
  /** Past the job's own limit, how long to wait for its result (queue pick-up, transfers; default 30 s). */
  graceMs?: number;
  /** How often the job's state and its worker's heartbeat are looked at, besides the queue's events (default 500 ms). */
  pollMs?: number;
  /** A job its worker has not taken after this long, heartbeats and all, is refused (an older kloop without plan jobs, or a worker busy with another's; default 30 s). */
  pickupMs?: number;
  /** How long `open` waits for Redis (default 10 s). */
  connectMs?: number;
}

/**
 * The coordinator's side of plan jobs: each goes to its worker's own queue (a plan names the
 * worker), its input blob under a Redis key (raw bytes, kept an hour at most), and its result comes
 * back through the queue's events (the job's state looked at as well). A job that its worker
 * refuses or fails, that is not answered within its limit plus a grace, or whose worker stops its
 * heartbeats or leaves the registry meanwhile is a PlanJobFailed, never a wait for ever.
 */
export class PlanFleet {
  private readonly queues = new Map<string, Promise<{ queue: Queue; events: QueueEvents }>>();
  private readonly listeners: Redis[] = [];

  private constructor(
    readonly url: string,
    private readonly redis: Redis,
    private readonly o: Required<PlanFleetOptions>,
  ) {}

  static async open(url: string, o: PlanFleetOptions = {}): Promise<PlanFleet> {
    const redis = connectRedis(url, { name: 'kloop-plan-coordinator' });
    redis.on('error', () => undefined);
    try {
      await whenReady(redis, url, o.connectMs);
    } catch (e) {
      redis.disconnect(); // no reconnecting for ever to a fleet we gave up on
      throw e;
    }
    return new PlanFleet(url, redis, { staleMs: o.staleMs ?? 30_000, graceMs: o.graceMs ?? 30_000, pollMs: o.pollMs ?? 500, pickupMs: o.pickupMs ?? 30_000, connectMs: o.connectMs ?? 10_000 });
  }

  /** The registered workers (fleet/registry.ts). */
  async workers(): Promise<WorkerRecord[]> {
    return (await listWorkers(this.redis)).workers;
  }

  /** The registered workers (or those of `only`) whose heartbeat is seen to change, judged on this machine's clock (fleet/fresh-workers.ts), and the others with why. */
  freshWorkers(o: { pollMs?: number; maxMs?: number; only?: string[] } = {}): Promise<Freshness> {
    const only = o.only && new Set(o.only);
    return freshWorkers(async () => (await this.workers()).filter((w) => !only || only.has(w.id)), o);
  }

  private queueOf(worker: string): Promise<{ queue: Queue; events: QueueEvents }> {
    let q = this.queues.get(worker);
    if (!q) {
      q = (async () => {
        const queue = new Queue(workerQueueName(worker), { connection: this.redis, prefix: QUEUE_PREFIX });
        const listener = this.redis.duplicate();
        listener.on('error', () => undefined);
        this.listeners.push(listener);
        const events = new QueueEvents(workerQueueName(worker), { connection: listener, prefix: QUEUE_PREFIX });
        queue.on('error', () => undefined);
        events.on('error', () => undefined);
        await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
        return { queue, events };
      })();
      this.queues.set(worker, q);
    }
    return q;
  }

  /** Run a plan job on its worker: its result (outcome `done` or not) and the output blob, and the round trip (ms). */
  async run(job: Omit<PlanJob, 'input'>, input: Buffer): Promise<{ result: PlanJobResult; output: Buffer; ms: number }> {
    const t0 = performance.now();
    const who = `worker ${job.worker}`;
    // Redis away (ioredis waits for it to come back): a verdict after the grace, never a wait for ever.
    const redisLost = `Redis at ${redactUrl(this.url)} did not answer within ${(this.o.graceMs / 1000).toFixed(0)} s while plan job ${job.id} for ${who}`;
    const { queue, events } = await within(this.queueOf(job.worker), this.o.graceMs, `${redisLost} was queued`);
    const inKey = planDataKey(job.id, 'in');
    const full: PlanJob = { ...job, input: { key: inKey, bytes: input.length, sha256: sha256(input) } };
    let result: PlanJobResult;
    try {
      await within(this.redis.set(inKey, input, 'EX', PLAN_DATA_TTL_S), this.o.graceMs, `${redisLost} had its input stored`);
      result = await new Promise<PlanJobResult>((resolve, reject) => {
        let settled = false;
        const finish = (r: PlanJobResult | Error) => {
          if (settled) return;
          settled = true;
          clearInterval(poll);
          clearTimeout(deadline);
          events.off('completed', onCompleted);
          events.off('failed', onFailed);
          if (r instanceof Error) {
            // Given up: the job leaves the queue if it waits there; if its worker runs it, the marker
            // tells the worker not to store its output, and an output stored already is deleted.
            void queue.remove(job.id).catch(() => undefined);
            void this.cancel(job).catch(() => undefined);
            reject(r);
          } else resolve(r);
        };
        const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as PlanJobResult;
        const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => jobId === job.id && finish(parse(returnvalue));
        const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => jobId === job.id && finish(new PlanJobFailed(`${who} did not run plan job ${job.id}: ${failedReason}`));
        events.on('completed', onCompleted);
        events.on('failed', onFailed);
        const limit = job.limitMs + this.o.graceMs;
        const deadline = setTimeout(
          () =>
            finish(
              new PlanJobFailed(`${who} did not answer plan job ${job.id} within ${(limit / 1000).toFixed(0)} s (its limit ${(job.limitMs / 1000).toFixed(0)} s and ${(this.o.graceMs / 1000).toFixed(0)} s more): it is gone, stuck or busy`),
            ),
          limit,
        );
        // Heartbeats are judged by when they change on this machine's clock (the worker's may be another).
        const since = Date.now();
        let beat = { at: -1, seen: since };
        let redisUp = since;
        const poll = setInterval(() => {
          const now = Date.now();
          if (this.redis.status === 'ready') redisUp = now;
          else if (now - redisUp > this.o.staleMs) return finish(new PlanJobFailed(`lost Redis at ${redactUrl(this.url)} for ${((now - redisUp) / 1000).toFixed(1)} s while plan job ${job.id} for ${who} ran`));
          void (async () => {
            const j = await queue.getJob(job.id);
            const state = j ? await j.getState() : 'unknown';
            if (state === 'completed') {
              // (read again: a job fetched while active and completed before its state was asked carries no return value)
              const value = (await queue.getJob(job.id))?.returnvalue;
              return value === null || value === undefined ? undefined : finish(parse(value));
            }
            if (state === 'failed') return finish(new PlanJobFailed(`${who} did not run plan job ${job.id}: ${j!.failedReason}`));
            const record = (await this.workers()).find((w) => w.id === job.worker);
            if (!record) return finish(new PlanJobFailed(`${who} left the fleet while plan job ${job.id} was ${state} (its registry record is gone)`));
            const now = Date.now();
            if (record.beatAt !== beat.at) beat = { at: record.beatAt, seen: now };
            if (now - beat.seen > this.o.staleMs) return finish(new PlanJobFailed(`${who} sent no heartbeat for ${((now - beat.seen) / 1000).toFixed(1)} s while plan job ${job.id} was ${state}: taken for dead`));
            if ((state === 'waiting' || state === 'prioritized') && now - since > this.o.pickupMs)
              finish(new PlanJobFailed(`${who} has not taken plan job ${job.id} in ${(this.o.pickupMs / 1000).toFixed(0)} s though it sends heartbeats: a kloop without plan jobs, or busy with another coordinator's`));
          })().catch(() => undefined);
        }, this.o.pollMs);
        queue
          .add('plan', full, { jobId: job.id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } })
          .catch((e: Error) => finish(new PlanJobFailed(`plan job ${job.id} could not be queued for ${who} at ${redactUrl(this.url)}: ${e.message}`)));
      });
    } finally {
      void this.redis.del(inKey).catch(() => undefined);
    }
    if (result.outcome !== 'done' || !result.output) return { result, output: Buffer.alloc(0), ms: performance.now() - t0 };
    const out = await within(this.redis.getBuffer(result.output.key), this.o.graceMs, `${redisLost} had its output fetched`);
    void this.redis.del(result.output.key).catch(() => undefined);
    if (!out) throw new PlanJobFailed(`${who}'s output of plan job ${job.id} is not in Redis (${result.output.key})`);
    if (out.length !== result.output.bytes || sha256(out) !== result.output.sha256) throw new PlanJobFailed(`${who}'s output of plan job ${job.id} is ${out.length} bytes whose hash differs from its result's (${result.output.bytes} bytes)`);
    return { result, output: out, ms: performance.now() - t0 };
  }

  /**
   * Marks a job given up on (its worker stores no output once it sees the marker: plan-worker.ts),
   * then deletes an output stored before the marker: in either order nothing is left behind. The
   * marker lives as long as the job could still run on its worker.
   */
  private async cancel(job: Omit<PlanJob, 'input'>): Promise<void> {
    await this.redis.set(planCancelKey(job.id), '1', 'EX', Math.ceil(job.limitMs / 1000) + Math.ceil(this.o.graceMs / 1000) + 60);
    await this.redis.del(planDataKey(job.id, 'out'));
  }

  /**
   * A plan job's round trip to a worker with nothing to compute (one row in, one out, no kernel):
   * queueing, Redis, the worker's checks and its sandboxed process. One warm-up (its build), then
   * the median of `n` (ms). GP1 counts it per run step on that worker.
   */
  async probe(worker: string, device: string, n = 3): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i <= n; i++) {
      const job: Omit<PlanJob, 'input'> = {
        v: 1,
        kind: 'plan',
        id: `probe-${randomBytes(6).toString('hex')}`,
        run: 'probe',
        worker,
        device,
        real: 'float',
        kernels: [],
        buffers: [{ elements: 1 }],
        records: [{ buffer: 0, offset: 0, elements: 1 }],
        steps: [{ op: 'load', record: 0 }],
        outputs: [{ buffer: 0, offset: 0, elements: 1 }],
        limitMs: 60_000,
      };
      const r = await this.run(job, Buffer.alloc(4));
      if (r.result.outcome !== 'done') throw new PlanJobFailed(`worker ${worker}: a plan job with nothing to compute ${r.result.outcome}: ${r.result.error ?? ''}`);
      if (i > 0) times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  }

  /** Closes the queues and connections; with Redis away, gives up on a clean close after the grace (5 s at most) and drops them. */
  async close(): Promise<void> {
    const clean = (async () => {
      for (const q of this.queues.values()) {
        const { queue, events } = await q.catch(() => ({ queue: undefined, events: undefined }));
        await events?.close();
        await queue?.close();
      }
      for (const r of [...this.listeners, this.redis]) await r.quit().catch(() => r.disconnect());
    })();
    await within(clean, Math.min(5000, this.o.graceMs), 'close').catch(() => {
      for (const r of [...this.listeners, this.redis]) r.disconnect();
    });
  }
}

/** `p`, or a PlanJobFailed saying `what` once `ms` have passed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PlanJobFailed(what)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
