import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore, LowdbStore, MemoryLockError, emptyMemory, memoryDir, type Baseline, type KeptPlan, type MemoryData, type MemoryStore, type Review, type Winner } from '../memory/index.js';
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

function winner(candidateId: string, runId: string): Winner {
  return {
    candidateId,
    runId,
    target: 'sum',
    targetDir: '/t',
    fingerprint: 'fp',
    device: 'd',
    source: 's',
    flags: [],
    previousSource: 'p',
    previousFlags: [],
    previousId: 'reference',
    speedup: 2,
    ciLow: 1.5,
    ciHigh: 2.5,
    vsReference: 2,
    verdict: 'tested',
    evidence: 'e',
    description: 'x',
    diagnosis: 'y',
    lineage: ['reference', candidateId],
    at: 'now',
  };
}

const review = (candidateId: string, decision: Review['decision']): Review => ({ candidateId, target: 'sum', fingerprint: 'fp', decision, at: 'now' });

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
      const w = winner('c1', 'r');
      await m.addWinner(w);
      await m.addWinner(w);
      expect(await m.winners({ target: 'sum' })).toHaveLength(1);
      expect(await m.winners({ runId: 'other' })).toHaveLength(0);
      await m.addReview({ candidateId: 'c1', target: 'sum', fingerprint: 'fp', decision: 'approved', at: '1' });
      await m.addReview({ candidateId: 'c1', target: 'sum', fingerprint: 'fp', decision: 'rejected', reason: 'no', at: '2' });
      expect((await m.reviews()).map((r) => r.decision)).toEqual(['rejected']);
    });

    it('the same candidate in another run is another winner; a re-decided review goes last', async () => {
      const m = make();
      await m.addWinner(winner('c1', 'r1'));
      await m.addWinner(winner('c1', 'r2'));
      await m.addWinner({ ...winner('c1', 'r1'), speedup: 9 });
      expect((await m.winners()).map((w) => [w.runId, w.speedup])).toEqual([
        ['r1', 2],
        ['r2', 2],
      ]);
      await m.addReview(review('a', 'approved'));
      await m.addReview(review('b', 'approved'));
      await m.addReview(review('a', 'rejected'));
      expect((await m.reviews()).map((r) => `${r.candidateId}:${r.decision}`)).toEqual(['b:approved', 'a:rejected']);
    });

    it('reference times are per (target, fingerprint) and replaced on set; profiles are replaced per device', async () => {
      const m = make();
      await m.setReferenceNs('sum', 'fp1', 10);
      await m.setReferenceNs('sum', 'fp2', 20);
      await m.setReferenceNs('sum', 'fp1', 30);
      expect([await m.getReferenceNs('sum', 'fp1'), await m.getReferenceNs('sum', 'fp2'), await m.getReferenceNs('sum', 'fp3')]).toEqual([30, 20, undefined]);
      await m.putProfile(profile('cpu-1'));
      await m.putProfile({ ...profile('cpu-1'), measuredAt: 'later' });
      expect((await m.getProfile('cpu-1'))!.measuredAt).toBe('later');
    });

    it('what a caller passes in is copied: changing it afterwards changes nothing', async () => {
      const m = make();
      const b = baseline('sum', 'fp', 2);
      await m.setBaseline(b);
      b.vsReference = 99;
      const ins = [{ target: 'sum', fingerprint: 'fp', runId: 'r', round: 1, candidateId: 'c', kinds: [], outcome: 'keep' as const, text: 'before', at: 'now' }];
      await m.addInsights(ins);
      ins[0].text = 'after';
      expect((await m.getBaseline('sum', 'fp'))!.vsReference).toBe(2);
      expect((await m.insights({ target: 'sum' }))[0].text).toBe('before');
    });

    it('tried sets are per (target, fingerprint), and empty lists change nothing', async () => {
      const m = make();
      await m.addTried('sum', 'fp1', ['a']);
      await m.addTried('sum', 'fp2', ['b']);
      await m.addTried('sum', 'fp1', []);
      await m.addInsights([]);
      expect([...(await m.tried('sum', 'fp1'))]).toEqual(['a']);
      expect([...(await m.tried('sum', 'fp2'))]).toEqual(['b']);
      expect((await m.tried('other', 'fp1')).size).toBe(0);
      expect(await m.insights({})).toEqual([]);
    });

    it('concurrent writes are all kept', async () => {
      const m = make();
      await Promise.all(Array.from({ length: 20 }, (_, i) => m.addTried('t', 'fp', [`k${i}`])));
      expect((await m.tried('t', 'fp')).size).toBe(20);
      await Promise.all(Array.from({ length: 20 }, (_, i) => m.setBaseline(baseline(`t${i}`, 'fp', i + 1))));
      for (let i = 0; i < 20; i++) expect((await m.getBaseline(`t${i}`, 'fp'))!.vsReference).toBe(i + 1);
    });

    it('compute models are per device fingerprint, replaced on put, and copied both ways', async () => {
      const m = make();
      expect(await m.getModel('fp1')).toBeUndefined();
      const model = { kind: 'cm1', ridge: { n: 3, mean: [1, 2] } };
      await m.putModel('fp1', model);
      await m.putModel('fp2', { kind: 'cm1', ridge: { n: 9 } });
      model.ridge.n = 99;
      expect(await m.getModel('fp1')).toEqual({ kind: 'cm1', ridge: { n: 3, mean: [1, 2] } });
      const got = (await m.getModel('fp1')) as { ridge: { n: number } };
      got.ridge.n = 42;
      expect(await m.getModel('fp1')).toEqual({ kind: 'cm1', ridge: { n: 3, mean: [1, 2] } });
      await m.putModel('fp1', { kind: 'cm1', ridge: { n: 4 } });
      expect(await m.getModel('fp1')).toEqual({ kind: 'cm1', ridge: { n: 4 } });
      expect(await m.getModel('fp2')).toEqual({ kind: 'cm1', ridge: { n: 9 } });
    });

    it('kept plans are per (workload, devices), replaced on set, listed, and survive a reopen', async () => {
      const m = make();
      const kept = (workload: string, devices: string, speedup: number): KeptPlan => ({
        workload,
        workloadHash: 'h',
        devices,
        plan: { cep: 1, steps: [] },
        predictedMs: 1,
        measuredMs: 2,
        singleMs: 2 * speedup,
        speedup,
        ciLow: speedup * 0.9,
        ciHigh: speedup * 1.1,
        pairs: 7,
        verification: 'v',
        runId: 'r',
        at: 'now',
      });
      expect(await m.getPlan('mlp', 'cpu-1')).toBeUndefined();
      expect(await m.plans()).toEqual([]);
      await m.setPlan(kept('mlp', 'cpu-1', 1.5));
      await m.setPlan(kept('mlp', 'cpu-1+npu-2', 3));
      await m.setPlan(kept('mlp', 'cpu-1', 1.8));
      expect((await m.getPlan('mlp', 'cpu-1'))!.speedup).toBe(1.8);
      expect((await m.plans()).map((p) => p.speedup).sort()).toEqual([1.8, 3]);
      if (reopen) expect((await reopen(m).getPlan('mlp', 'cpu-1+npu-2'))!.speedup).toBe(3);
    });

    it('a plan review keeps the plan decided on, beside kernel reviews written without one', async () => {
      const m = make();
      const plan = { cep: 1, steps: [{ id: 's0', op: 'run' }] };
      await m.addReview(review('c1', 'approved'));
      await m.addReview({ candidateId: 'plan:mlp@cpu-1@t1', target: 'mlp', fingerprint: 'cpu-1', decision: 'rejected', reason: 'copies dominate', at: '2', plan });
      plan.steps.length = 0;
      const check = async (s: MemoryStore) => {
        const all = await s.reviews();
        expect(all.find((r) => r.candidateId === 'c1')).toEqual(review('c1', 'approved'));
        expect(all.find((r) => r.candidateId === 'plan:mlp@cpu-1@t1')).toEqual({
          candidateId: 'plan:mlp@cpu-1@t1',
          target: 'mlp',
          fingerprint: 'cpu-1',
          decision: 'rejected',
          reason: 'copies dominate',
          at: '2',
          plan: { cep: 1, steps: [{ id: 's0', op: 'run' }] },
        });
      };
      await check(m);
      if (reopen) await check(reopen(m));
    });

    if (reopen)
      it('a compute model survives a reopen (the next run starts from the last one’s model)', async () => {
        const m = make();
        await m.putModel('cpu-1', { kind: 'cm1', ridge: { n: 12 } });
        await m.setBaseline(baseline('sum', 'cpu-1', 2));
        expect(await reopen(m).getModel('cpu-1')).toEqual({ kind: 'cm1', ridge: { n: 12 } });
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

    if (reopen)
      it('everything survives a reopen', async () => {
        const m = make();
        await m.addTried('sum', 'fp', ['a', 'b']);
        await m.addInsights([{ target: 'sum', fingerprint: 'fp', runId: 'r', round: 1, candidateId: 'c', kinds: [], outcome: 'keep', text: 'lesson', at: 'now' }]);
        await m.addWinner(winner('c1', 'r'));
        await m.addReview(review('c1', 'approved'));
        await m.setReferenceNs('sum', 'fp', 5);
        const again = reopen(m);
        expect([...(await again.tried('sum', 'fp'))].sort()).toEqual(['a', 'b']);
        expect((await again.insights({ target: 'sum', fingerprint: 'fp' })).map((i) => i.text)).toEqual(['lesson']);
        expect((await again.winners()).map((w) => w.candidateId)).toEqual(['c1']);
        expect((await again.reviews()).map((r) => r.decision)).toEqual(['approved']);
        expect(await again.getReferenceNs('sum', 'fp')).toBe(5);
      });
  });
}

conformance('in memory (lowdb)', () => LowdbStore.memory());
const dirs = new Map<MemoryStore, string>();
conformance(
  'file store (folder of JSON and JSON lines)',
  () => {
    const f = join(tmp(), 'memory.json');
    const s = FileStore.open(f);
    dirs.set(s, f);
    return s;
  },
  (s) => FileStore.open(dirs.get(s)!),
);

const insight = (target: string, text: string) => ({ target, fingerprint: 'fp', runId: 'r', round: 1, candidateId: 'c', kinds: [], outcome: 'keep' as const, text, at: 'now' });

describe('file store: compute models', () => {
  it('a state.json from before compute models, or with a damaged models entry, is read without error: no model, and the next put replaces it', async () => {
    const f = join(tmp(), 'memory.json');
    const s = FileStore.open(f);
    await s.setBaseline(baseline('sum', 'fp', 2));
    const file = join(memoryDir(f), 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(state.models).toBeUndefined(); // what an earlier kloop wrote looks the same
    writeFileSync(file, JSON.stringify({ ...state, models: 'garbage' }));
    const again = FileStore.open(f);
    expect(await again.getModel('fp')).toBeUndefined();
    expect((await again.getBaseline('sum', 'fp'))!.vsReference).toBe(2);
    await again.putModel('fp', { kind: 'cm1' });
    expect(await FileStore.open(f).getModel('fp')).toEqual({ kind: 'cm1' });
  });

  it('two stores on one folder see each other’s models, and a baseline written by one keeps the other’s model', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    const b = FileStore.open(f);
    await a.putModel('fp', { kind: 'cm1', n: 1 });
    await b.setBaseline(baseline('sum', 'fp', 3));
    expect(await b.getModel('fp')).toEqual({ kind: 'cm1', n: 1 });
    expect(await a.getModel('fp')).toEqual({ kind: 'cm1', n: 1 });
  });
});

describe('file store: several processes on one memory', () => {
  it('a memory path names a folder next to it, created with its parents', async () => {
    expect(memoryDir('/a/.kloop/memory.json')).toBe('/a/.kloop/memory');
    expect(memoryDir('/a/mem')).toBe('/a/mem.d');
    const f = join(tmp(), 'deep', 'er', 'memory.json');
    const m = FileStore.open(f);
    await m.setReferenceNs('x', 'y', 1);
    expect(await FileStore.open(f).getReferenceNs('x', 'y')).toBe(1);
    expect(readdirSync(join(f, '..', 'memory')).sort()).toEqual(['state.json']);
  });

  it('two stores on one folder see each other’s writes, of every kind', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    const b = FileStore.open(f);
    // b reads first, so it has caches to keep fresh
    expect(await b.getBaseline('sum', 'fp')).toBeUndefined();
    expect((await b.tried('sum', 'fp')).size).toBe(0);
    expect(await b.winners()).toEqual([]);
    await a.setBaseline(baseline('sum', 'fp', 3));
    await a.putProfile(profile('cpu-1'));
    await a.setReferenceNs('sum', 'fp', 7);
    await a.addTried('sum', 'fp', ['h1']);
    await a.addInsights([insight('sum', 'from a')]);
    await a.addWinner(winner('c1', 'r'));
    await a.addReview(review('c1', 'approved'));
    expect((await b.getBaseline('sum', 'fp'))!.vsReference).toBe(3);
    expect(await b.getProfile('cpu-1')).toBeDefined();
    expect(await b.getReferenceNs('sum', 'fp')).toBe(7);
    expect([...(await b.tried('sum', 'fp'))]).toEqual(['h1']);
    expect((await b.insights({ target: 'sum' })).map((i) => i.text)).toEqual(['from a']);
    expect((await b.winners()).map((w) => w.candidateId)).toEqual(['c1']);
    await b.addReview(review('c1', 'rejected'));
    await b.addWinner(winner('c1', 'r')); // a duplicate, seen as one through either store
    expect((await a.reviews()).map((r) => r.decision)).toEqual(['rejected']);
    expect(await a.winners()).toHaveLength(1);
  });

  it('interleaved updates from two stores lose nothing', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    const b = FileStore.open(f);
    const n = 30;
    await Promise.all(
      Array.from({ length: n }, (_, i) => [
        a.setBaseline(baseline(`a${i}`, 'fp', i + 1)),
        b.setBaseline(baseline(`b${i}`, 'fp', i + 1)),
        a.setReferenceNs(`a${i}`, 'fp', i),
        b.putProfile(profile(`cpu-b${i}`)),
        a.addTried('t', 'fp', [`a${i}`]),
        b.addTried('t', 'fp', [`b${i}`]),
        a.addWinner(winner(`a${i}`, 'r')),
        b.addWinner(winner(`b${i}`, 'r')),
        b.addReview(review(`b${i}`, 'approved')),
        a.addInsights([insight('t', `a${i}`)]),
      ]).flat(),
    );
    for (const m of [a, b, FileStore.open(f)]) {
      for (let i = 0; i < n; i++) {
        expect((await m.getBaseline(`a${i}`, 'fp'))?.vsReference).toBe(i + 1);
        expect((await m.getBaseline(`b${i}`, 'fp'))?.vsReference).toBe(i + 1);
        expect(await m.getReferenceNs(`a${i}`, 'fp')).toBe(i);
        expect(await m.getProfile(`cpu-b${i}`)).toBeDefined();
      }
      expect((await m.tried('t', 'fp')).size).toBe(2 * n);
      expect(await m.winners()).toHaveLength(2 * n);
      expect(await m.reviews()).toHaveLength(n);
      expect(await m.insights({ target: 't' })).toHaveLength(n);
    }
    expect(readdirSync(memoryDir(f)).filter((x) => x.includes('lock') || x.endsWith('.tmp'))).toEqual([]);
  });

  it('a torn last line is skipped, and the next append starts on a line of its own', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    await a.addInsights([insight('sum', 'one')]);
    const log = join(memoryDir(f), 'insights.jsonl');
    appendFileSync(log, JSON.stringify(insight('sum', 'torn')).slice(0, 40)); // a writer that died mid-line
    const b = FileStore.open(f);
    expect((await b.insights({})).map((i) => i.text)).toEqual(['one']);
    await a.addInsights([insight('sum', 'two')]);
    expect((await b.insights({})).map((i) => i.text)).toEqual(['one', 'two']);
    expect((await FileStore.open(f).insights({})).map((i) => i.text)).toEqual(['one', 'two']);
    expect(b.skipped().insights).toBe(1);
    // a line that is JSON but not an insight is skipped too
    appendFileSync(log, '{"what":"else"}\n');
    await a.addInsights([insight('sum', 'three')]);
    expect((await b.insights({})).map((i) => i.text)).toEqual(['one', 'two', 'three']);
  });

  it('a line being written is read once it is complete', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    const log = join(memoryDir(f), 'tried.jsonl');
    const line = JSON.stringify({ target: 'sum', fingerprint: 'fp', keys: ['k1'] });
    appendFileSync(log, line.slice(0, 10));
    expect((await a.tried('sum', 'fp')).size).toBe(0);
    appendFileSync(log, `${line.slice(10)}\n`);
    expect([...(await a.tried('sum', 'fp'))]).toEqual(['k1']);
  });

  it('a log replaced or cut short is read again from its start', async () => {
    const f = join(tmp(), 'memory.json');
    const a = FileStore.open(f);
    await a.addTried('sum', 'fp', ['a', 'b', 'c']);
    expect((await a.tried('sum', 'fp')).size).toBe(3);
    writeFileSync(join(memoryDir(f), 'tried.jsonl'), `${JSON.stringify({ target: 'sum', fingerprint: 'fp', keys: ['z'] })}\n`);
    expect([...(await a.tried('sum', 'fp'))]).toEqual(['z']);
  });
});

describe('file store: the lock', () => {
  const lockFile = (f: string) => join(memoryDir(f), 'lock');

  it('takes over a lock whose holder on this host is dead', async () => {
    const f = join(tmp(), 'memory.json');
    const m = FileStore.open(f, { lockTimeoutMs: 5_000 });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lockFile(f), JSON.stringify({ pid: dead, host: hostname(), at: 'then' }));
    await m.setBaseline(baseline('sum', 'fp', 4));
    expect((await m.getBaseline('sum', 'fp'))!.vsReference).toBe(4);
    expect(existsSync(lockFile(f))).toBe(false);
  });

  it('waits for a live holder, then says who holds it (a typed error) if it never lets go', async () => {
    const f = join(tmp(), 'memory.json');
    const m = FileStore.open(f, { lockTimeoutMs: 300 });
    writeFileSync(lockFile(f), JSON.stringify({ pid: process.pid, host: hostname(), at: 'now' }));
    const err = await m.setReferenceNs('sum', 'fp', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryLockError);
    expect(String((err as Error).message)).toContain(`pid ${process.pid}`);
    // appends do not need the lock
    await m.addTried('sum', 'fp', ['k']);
    expect((await m.tried('sum', 'fp')).size).toBe(1);
  });

  it('a lock from another host is stale only after staleLockMs', async () => {
    const f = join(tmp(), 'memory.json');
    writeFileSync(join(FileStore.open(f).dir, 'lock'), JSON.stringify({ pid: 1, host: 'elsewhere', at: 'now' }));
    const err = await FileStore.open(f, { lockTimeoutMs: 200, staleLockMs: 60_000 })
      .setReferenceNs('s', 'fp', 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryLockError);
    await FileStore.open(f, { lockTimeoutMs: 5_000, staleLockMs: 50 }).setReferenceNs('s', 'fp', 2);
    expect(await FileStore.open(f).getReferenceNs('s', 'fp')).toBe(2);
  });

  it('a lock released while a store waits is taken at once', async () => {
    const f = join(tmp(), 'memory.json');
    const m = FileStore.open(f, { lockTimeoutMs: 5_000 });
    writeFileSync(lockFile(f), JSON.stringify({ pid: process.pid, host: hostname(), at: 'now' }));
    const pending = m.setReferenceNs('sum', 'fp', 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(await FileStore.open(f).getReferenceNs('sum', 'fp')).toBeUndefined();
    const { unlinkSync } = await import('node:fs');
    unlinkSync(lockFile(f));
    await pending;
    expect(await FileStore.open(f).getReferenceNs('sum', 'fp')).toBe(3);
  });
});

describe('file store: a memory.json from an earlier kloop', () => {
  const legacy = (): MemoryData => ({
    ...emptyMemory(),
    baselines: [baseline('sum', 'fp', 3), baseline('sgemm', 'fp', 8)],
    profiles: [profile('cpu-1')],
    tried: { 'sum|fp': ['a', 'b'], 'sgemm|fp': ['c'] },
    referenceNs: { 'sum|fp': 100 },
    insights: [insight('sum', 'i1'), insight('sgemm', 'i2')],
    winners: [winner('c1', 'r1'), winner('c2', 'r1')],
    reviews: [review('c1', 'approved')],
  });

  it('is imported on first open, nothing lost, and kept aside as memory.json.migrated', async () => {
    const f = join(tmp(), 'memory.json');
    writeFileSync(f, JSON.stringify(legacy()));
    const m = FileStore.open(f);
    expect((await m.getBaseline('sgemm', 'fp'))!.vsReference).toBe(8);
    expect((await m.getBaseline('sum', 'fp'))!.vsReference).toBe(3);
    expect(await m.getProfile('cpu-1')).toBeDefined();
    expect([...(await m.tried('sum', 'fp'))].sort()).toEqual(['a', 'b']);
    expect([...(await m.tried('sgemm', 'fp'))]).toEqual(['c']);
    expect(await m.getReferenceNs('sum', 'fp')).toBe(100);
    expect((await m.insights({})).map((i) => i.text)).toEqual(['i1', 'i2']);
    expect((await m.winners()).map((w) => w.candidateId)).toEqual(['c1', 'c2']);
    expect((await m.reviews()).map((r) => r.candidateId)).toEqual(['c1']);
    expect(existsSync(f)).toBe(false);
    expect(JSON.parse(readFileSync(`${f}.migrated`, 'utf8'))).toEqual(legacy());
    const again = FileStore.open(f);
    expect(await again.insights({})).toHaveLength(2);
    expect(await again.winners()).toHaveLength(2);
  });

  it('two processes opening it at once import it once', async () => {
    const f = join(tmp(), 'memory.json');
    writeFileSync(f, JSON.stringify(legacy()));
    const [a, b] = [FileStore.open(f), FileStore.open(f)];
    await Promise.all([a.insights({}), b.winners(), a.tried('sum', 'fp'), b.getBaseline('sum', 'fp')]);
    expect(await FileStore.open(f).insights({})).toHaveLength(2);
    expect(
      readFileSync(join(memoryDir(f), 'winners.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
  });

  it('imported again (a crash before it was moved aside, or an old kloop still writing it) adds only what is new, and the store’s own records win', async () => {
    const f = join(tmp(), 'memory.json');
    writeFileSync(f, JSON.stringify(legacy()));
    const m = FileStore.open(f);
    await m.setBaseline(baseline('sum', 'fp', 5));
    await m.addReview(review('c1', 'rejected'));
    const old = legacy();
    old.insights.push(insight('sum', 'i3'));
    old.tried['sum|fp'].push('d');
    old.baselines.push(baseline('conv2d', 'fp', 2));
    writeFileSync(f, JSON.stringify(old));
    const again = FileStore.open(f);
    expect((await again.getBaseline('sum', 'fp'))!.vsReference).toBe(5);
    expect((await again.getBaseline('conv2d', 'fp'))!.vsReference).toBe(2);
    expect((await again.insights({})).map((i) => i.text)).toEqual(['i1', 'i2', 'i3']);
    expect([...(await again.tried('sum', 'fp'))].sort()).toEqual(['a', 'b', 'd']);
    expect(await again.winners()).toHaveLength(2);
    expect((await again.reviews()).map((r) => r.decision)).toEqual(['rejected']);
    expect(readdirSync(join(f, '..')).filter((x) => x.startsWith('memory.json.migrated'))).toHaveLength(2);
  });

  it('one that is not JSON is a typed error naming the file, and stays where it is', async () => {
    const f = join(tmp(), 'memory.json');
    writeFileSync(f, '{"baselines": [');
    const err = await FileStore.open(f)
      .getBaseline('sum', 'fp')
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('MemoryFormatError');
    expect((err as Error).message).toContain(f);
    expect(statSync(f).size).toBeGreaterThan(0);
  });
});
