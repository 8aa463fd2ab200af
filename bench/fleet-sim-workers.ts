/**
 * The simulated workers of `npm run bench:fleet`: N BullMQ workers in this one process, each
 * taking one job at a time from a device class's queue and doing what a real worker does around
 * the work (validate the payload, key the result, store it once), the work itself replaced by a
 * sleep of a measured job duration. Usage: node fleet-sim-workers.js URL CLASS N DURATIONS_MS_JSON
 */
import { Worker } from 'bullmq';
import { connectRedis, KEYS, parseJob, QUEUE_PREFIX, queueName, resultKey, type JobResult } from '../fleet/index.js';

const [url, deviceClass, count, durationsJson] = process.argv.slice(2);
const durations = JSON.parse(durationsJson) as number[];
const redis = connectRedis(url, { name: 'kloop-sim-workers' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workers = Array.from({ length: Number(count) }, (_, i) => {
  const name = `sim-${i}`;
  return new Worker(
    queueName(deviceClass),
    async (bull) => {
      const job = parseJob(bull.data, String(bull.id));
      const key = resultKey(job);
      const startedAt = Date.now();
      await sleep(durations[Math.floor(Math.random() * durations.length)]);
      const result: JobResult = { key, stage: job.stage, outcome: 'done', worker: name, startedAt, finishedAt: Date.now() };
      await redis.set(KEYS.result(key), JSON.stringify(result), 'EX', 3600, 'NX');
      return { key };
    },
    { connection: redis, prefix: QUEUE_PREFIX, name, concurrency: 1 },
  );
});
await Promise.all(workers.map((w) => w.waitUntilReady()));
process.send?.('ready');
process.on('SIGTERM', () => void Promise.all(workers.map((w) => w.close(true))).then(() => process.exit(0)));
