import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore, type Baseline, type MemoryStore } from '../memory/index.js';
import type { DeviceProfile } from '../devices/index.js';
import { tmp } from './helpers.js';

const baseline = (target: string, fp: string, vs: number): Baseline => ({
  target,
  fingerprint: fp,
  source: `void ${target}(){}`,
  flags: ['-fopenmp'],
  vsReference: vs,
  verdict: 'tested',
  description: 'x',
  lineage: [{ candidateId: `${target}-r1-c1`, runId: 'r', speedup: vs, description: 'x', at: '2026-01-01T00:00:00Z' }],
  updatedAt: '2026-01-01T00:00:00Z',
});

const profile = (id: string): DeviceProfile => ({
  fingerprint: { id, kind: 'cpu', model: 'm', cores: 2, flagsHash: 'f', compiler: 'cc' },
  measuredAt: 'now',
  gflops: { fp32: { one: 1, all: 2 }, fp64: { one: 0.5, all: 1 } },
  bandwidthGBs: { one: 1, all: 2 },
});

/** The one conformance suite every MemoryStore backend runs. */
function conformance(name: string, make: () => MemoryStore, reopen?: (s: MemoryStore) => MemoryStore) {
  describe(`MemoryStore conformance: ${name}`, () => {
    it('baselines are per (target, fingerprint) and replaced on set', async () => {
      const m = make();
      expect(await m.getBaseline('sgemm', 'fp1')).toBeUndefined();
      await m.setBaseline(baseline('sgemm', 'fp1', 2));
      await m.setBaseline(baseline('sgemm', 'fp2', 3));
      await m.setBaseline(baseline('sgemm', 'fp1', 5));
      expect((await m.getBaseline('sgemm', 'fp1'))!.vsReference).toBe(5);
      expect((await m.getBaseline('sgemm', 'fp2'))!.vsReference).toBe(3);
    });

    it('returns copies, not live objects', async () => {
      const m = make();
      await m.setBaseline(baseline('sum', 'fp', 2));
      const b = (await m.getBaseline('sum', 'fp'))!;
      b.vsReference = 99;
      expect((await m.getBaseline('sum', 'fp'))!.vsReference).toBe(2);
    });

    it('insights filter by target and fingerprint, newest last, with a limit', async () => {
      const m = make();
      const ins = (target: string, i: number) => ({ target, fingerprint: 'fp', runId: 'r', round: i, candidateId: `c${i}`, kinds: ['tile:64'], outcome: 'keep' as const, text: `t${i}`, at: 'now' });
      await m.addInsights([ins('a', 1), ins('b', 2), ins('a', 3)]);
      expect((await m.insights({ target: 'a' })).map((i) => i.round)).toEqual([1, 3]);
      expect((await m.insights({ target: 'a', limit: 1 })).map((i) => i.round)).toEqual([3]);
      expect(await m.insights({ fingerprint: 'other' })).toEqual([]);
    });

    it('device profiles, tried programs and reference times round-trip', async () => {
      const m = make();
      await m.putProfile(profile('cpu-1'));
      expect((await m.getProfile('cpu-1'))!.gflops.fp32.all).toBe(2);
      expect(await m.getProfile('cpu-2')).toBeUndefined();
      await m.addTried('sum', 'fp', ['a', 'b']);
      await m.addTried('sum', 'fp', ['b', 'c']);
      expect([...(await m.tried('sum', 'fp'))].sort()).toEqual(['a', 'b', 'c']);
      await m.setReferenceNs('sum', 'fp', 1234);
      expect(await m.getReferenceNs('sum', 'fp')).toBe(1234);
    });

    it('winners are kept once; a review decision replaces an earlier one for the same candidate', async () => {
      const m = make();
      const w = { candidateId: 'c1', runId: 'r', target: 'sum', targetDir: '/t', fingerprint: 'fp', device: 'd', source: 's', flags: [], previousSource: 'p', previousFlags: [], previousId: 'reference', speedup: 2, ciLow: 1.5, ciHigh: 2.5, vsReference: 2, verdict: 'tested', evidence: 'e', description: 'x', diagnosis: 'y', lineage: ['reference', 'c1'], at: 'now' };
      await m.addWinner(w);
      await m.addWinner(w);
      expect(await m.winners({ target: 'sum' })).toHaveLength(1);
      expect(await m.winners({ runId: 'other' })).toHaveLength(0);
      await m.addReview({ candidateId: 'c1', target: 'sum', fingerprint: 'fp', decision: 'approved', at: '1' });
      await m.addReview({ candidateId: 'c1', target: 'sum', fingerprint: 'fp', decision: 'rejected', reason: 'no', at: '2' });
      expect((await m.reviews()).map((r) => r.decision)).toEqual(['rejected']);
    });

    it('concurrent writes are all kept', async () => {
      const m = make();
      await Promise.all(Array.from({ length: 20 }, (_, i) => m.addTried('t', 'fp', [`k${i}`])));
      expect((await m.tried('t', 'fp')).size).toBe(20);
    });

    if (reopen)
      it('survives a reopen (the next run starts from remembered baselines)', async () => {
        const m = make();
        await m.setBaseline(baseline('conv2d', 'fp', 7));
        await m.putProfile(profile('cpu-9'));
        const again = reopen(m);
        expect((await again.getBaseline('conv2d', 'fp'))!.vsReference).toBe(7);
        expect(await again.getProfile('cpu-9')).toBeDefined();
      });
  });
}

conformance('lowdb in memory', () => LowdbStore.memory());
const files = new Map<MemoryStore, string>();
conformance(
  'lowdb JSON file',
  () => {
    const f = join(tmp(), 'memory.json');
    const s = LowdbStore.file(f);
    files.set(s, f);
    return s;
  },
  (s) => LowdbStore.file(files.get(s)!),
);

it('a memory file from an unknown place is created with its folder', async () => {
  const f = join(tmp(), 'deep', 'er', 'memory.json');
  const m = LowdbStore.file(f);
  await m.setReferenceNs('x', 'y', 1);
  expect(await LowdbStore.file(f).getReferenceNs('x', 'y')).toBe(1);
});
