import { describe, expect, it } from 'vitest';
import { freshWorkers, type WorkerRecord } from '../fleet/index.js';
import { cpuDescriptor } from './plan-helpers.js';

const record = (id: string, beatAt: number, heartbeatMs?: number): WorkerRecord => ({
  id,
  class: 'cpu',
  host: 'h',
  pid: 1,
  concurrency: 1,
  startedAt: 0,
  beatAt,
  heartbeatMs,
  done: 0,
  running: [],
  descriptor: cpuDescriptor(),
});

/** Freshness is judged on the coordinator's clock: whether a heartbeat moves, never how the worker's timestamps compare with this clock. */
describe("a worker's freshness", () => {
  it('a worker whose clock is an hour behind but beats is fresh; one an hour ahead whose heartbeat never moves is not; one that leaves is not', async () => {
    let clock = 1_000_000;
    let reads = 0;
    const anHourAhead = Date.now() + 3_600_000;
    const read = async () => {
      reads++;
      const list = [
        record('behind', 5 + reads, 500), // its clock says 1970, but it beats
        record('ahead', anHourAhead, 500), // "fresh" by its own clock, and stuck
      ];
      if (reads < 3) list.push(record('leaving', 7, 500));
      return list;
    };
    const f = await freshWorkers(read, { now: () => clock, sleep: async (ms) => void (clock += ms), pollMs: 100 });
    expect(f.fresh.map((w) => w.id)).toEqual(['behind']);
    expect(f.fresh[0].beatAt).toBeGreaterThan(6); // its latest record
    expect(Object.fromEntries(f.stale.map((s) => [s.worker.id, s.why]))).toEqual({
      ahead: 'its heartbeat did not change in 2.0 s (it beats every 0.5 s): is it running?',
      leaving: 'it left the registry',
    });
    // Watched for twice its interval and a second, on this clock: no longer.
    expect(clock - 1_000_000).toBe(2000);
  });

  it('stops reading as soon as every worker has beaten; an older worker (no interval published) is watched for 11 s at most', async () => {
    let clock = 0;
    let n = 0;
    const quick = await freshWorkers(async () => [record('a', n++, 5000)], { now: () => clock, sleep: async (ms) => void (clock += ms), pollMs: 100 });
    expect(quick.fresh.map((w) => w.id)).toEqual(['a']);
    expect(clock).toBe(100);
    clock = 0;
    const old = await freshWorkers(async () => [record('old', 42)], { now: () => clock, sleep: async (ms) => void (clock += ms), pollMs: 1000 });
    expect(old.fresh).toEqual([]);
    expect(clock).toBe(11_000);
  });
});
