import type { WorkerRecord } from './registry.js';

/** A worker that does not say how often it beats (an older kloop) is watched this long: kloop worker's default interval. */
const DEFAULT_BEAT_MS = 5000;

export interface Freshness {
  /** Registered workers whose heartbeat was seen to change (their latest records). */
  fresh: WorkerRecord[];
  /** Registered workers whose heartbeat did not change while watched, or that left meanwhile, each with why in a few words. */
  stale: { worker: WorkerRecord; why: string }[];
}

/**
 * Which registered workers are alive, judged on this machine's clock: the registry is read, then
 * read again until each worker's heartbeat has changed, or until twice its interval and a second
 * more have passed on this clock (at most `maxMs`). A worker's own timestamps are never compared
 * with this clock (the worker's may be another machine's, and set wrong): only whether its
 * heartbeat moves. A worker that beats is seen within one interval; a dead one's record (kept an
 * hour in Redis) costs the wait.
 */
export async function freshWorkers(read: () => Promise<WorkerRecord[]>, o: { now?: () => number; sleep?: (ms: number) => Promise<void>; pollMs?: number; maxMs?: number } = {}): Promise<Freshness> {
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const first = await read();
  const t0 = now();
  const windowOf = (w: WorkerRecord) => Math.min(o.maxMs ?? 60_000, 2 * (w.heartbeatMs ?? DEFAULT_BEAT_MS) + 1000);
  const fresh = new Map<string, WorkerRecord>();
  const gone = new Map<string, WorkerRecord>();
  let pending = first;
  while (pending.length && pending.some((w) => now() - t0 < windowOf(w))) {
    await sleep(o.pollMs ?? 100);
    const latest = new Map((await read()).map((w) => [w.id, w]));
    for (const w of pending) {
      const l = latest.get(w.id);
      if (!l) gone.set(w.id, w);
      else if (l.beatAt !== w.beatAt) fresh.set(w.id, l);
    }
    pending = pending.filter((w) => !fresh.has(w.id) && !gone.has(w.id));
  }
  const waited = ((now() - t0) / 1000).toFixed(1);
  return {
    fresh: first.flatMap((w) => (fresh.has(w.id) ? [fresh.get(w.id)!] : [])),
    stale: first.flatMap((w) =>
      fresh.has(w.id) ? [] : [{ worker: w, why: gone.has(w.id) ? 'it left the registry' : `its heartbeat did not change in ${waited} s (it beats every ${((w.heartbeatMs ?? DEFAULT_BEAT_MS) / 1000).toFixed(1)} s): is it running?` }],
    ),
  };
}
