import type { Redis } from 'ioredis';
import { parseDescriptor, parseProfile, type AcpDescriptor, type DeviceProfile } from '../devices/index.js';
import { KEYS } from './names.js';

/** What a worker publishes about itself with every heartbeat. */
export interface WorkerRecord {
  id: string;
  class: string;
  host: string;
  pid: number;
  concurrency: number;
  startedAt: number;
  /** Epoch ms of this heartbeat, on the worker's clock (a coordinator judges freshness by whether it changes: fleet/fresh-workers.ts). */
  beatAt: number;
  /** How often it beats (ms). Absent from older workers. */
  heartbeatMs?: number;
  /** Jobs finished since the worker started (results, refusals and time-outs). */
  done: number;
  /** The jobs it runs now: candidate id, result key, since when. */
  running: { candidate: string; key: string; since: number }[];
  descriptor: AcpDescriptor;
  /** Its HP1 profile, whole (the descriptor summarises it): a coordinator tuning for its class uses it. Absent from older workers. */
  profile?: DeviceProfile;
}

/** A worker's record outlives its heartbeats by this long (then it is forgotten). */
const RECORD_TTL_S = 3600;

/** Publish a heartbeat: the record (expiring), its time in the workers' index, its class. */
export async function publishWorker(redis: Redis, r: WorkerRecord): Promise<void> {
  await redis.multi().set(KEYS.worker(r.id), JSON.stringify(r), 'EX', RECORD_TTL_S).zadd(KEYS.workers, r.beatAt, r.id).sadd(KEYS.classes, r.class).exec();
}

/** A worker that stops cleanly leaves the registry. */
export async function removeWorker(redis: Redis, id: string): Promise<void> {
  await redis.multi().del(KEYS.worker(id)).zrem(KEYS.workers, id).exec();
}

/**
 * The workers that published a heartbeat within the record's lifetime, newest first. A record whose
 * descriptor or profile does not validate is listed with the reason (one line), not used.
 */
export async function listWorkers(redis: Redis): Promise<{ workers: WorkerRecord[]; refused: string[] }> {
  const ids = await redis.zrevrange(KEYS.workers, 0, -1);
  if (!ids.length) return { workers: [], refused: [] };
  const raw = await redis.mget(ids.map(KEYS.worker));
  // A worker whose record expired (an hour after its last heartbeat, on Redis's own clock) leaves the
  // index; never by comparing its heartbeat's timestamp, written on its clock, with this machine's.
  const expired = ids.filter((_, i) => !raw[i]);
  if (expired.length) await redis.zrem(KEYS.workers, ...expired);
  const workers: WorkerRecord[] = [];
  const refused: string[] = [];
  raw.forEach((text, i) => {
    if (!text) return;
    try {
      const r = JSON.parse(text) as WorkerRecord;
      workers.push({ ...r, descriptor: parseDescriptor(r.descriptor, `worker ${ids[i]}`), ...(r.profile !== undefined ? { profile: parseProfile(r.profile, `worker ${ids[i]}`) } : {}) });
    } catch (e) {
      refused.push((e as Error).message);
    }
  });
  return { workers, refused };
}
