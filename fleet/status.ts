import { Queue } from 'bullmq';
import { KEYS, QUEUE_PREFIX, queueName } from './names.js';
import { connectRedis, whenReady } from './redis.js';
import { listWorkers, type WorkerRecord } from './registry.js';

export interface FleetStatus {
  workers: WorkerRecord[];
  /** Worker records whose descriptor did not validate (one line each). */
  refused: string[];
  /** Each device class a worker or coordinator used: its queue's depths. */
  classes: { name: string; depths: Record<string, number>; workers: number }[];
  now: number;
}

/** What `kloop doctor --fleet` and `kloop devices --fleet` show: workers, their classes and heartbeats, queue depths. */
export async function fleetStatus(url: string): Promise<FleetStatus> {
  const redis = connectRedis(url, { name: 'kloop-status', failFast: true });
  redis.on('error', () => undefined);
  try {
    await whenReady(redis, url, 5000);
    const now = Date.now();
    const { workers, refused } = await listWorkers(redis);
    const names = new Set([...(await redis.smembers(KEYS.classes)), ...workers.map((w) => w.class)]);
    const classes = [];
    for (const name of [...names].sort()) {
      const queue = new Queue(queueName(name), { connection: redis, prefix: QUEUE_PREFIX });
      const depths = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      await queue.close();
      classes.push({ name, depths, workers: workers.filter((w) => w.class === name).length });
    }
    return { workers, refused, classes, now };
  } finally {
    redis.disconnect();
  }
}
