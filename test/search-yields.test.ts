import { describe, expect, it } from 'vitest';
import { search } from '../agents/builtin/index.js';
import type { MoveContext, Program } from '../agents/builtin/transforms/index.js';
import { Rng, RwLock } from '../common/index.js';
import { parseC } from '../csyntax/index.js';
import { resolveTarget } from '../targets/index.js';

const ctx: MoveContext = { allowedFlags: ['-fopenmp', '-funroll-loops'] };
const sgemm = resolveTarget('sgemm');
const program = (): Program => ({ unit: parseC(sgemm.referenceSource), fn: sgemm.fn, flags: [], moves: [], kinds: [] });
const opts = { depth: 2, beam: 4, count: 4, moveCtx: ctx, costCtx: { sizes: sgemm.benchSize, cores: 2, vectorLanes: 8 }, tried: new Set<string>(), prior: () => 1 };

describe('the writer search works in slices and steps aside for a timed run', () => {
  it('a shared holder that yields lets a waiting exclusive holder run first, then carries on', async () => {
    const lock = new RwLock();
    const order: string[] = [];
    let timed: Promise<void> | undefined;
    await lock.shared(async () => {
      order.push('search starts');
      timed = lock.exclusive(async () => {
        order.push('timed run');
      });
      // a reader arriving now waits behind the writer (writer preference)
      await lock.yieldShared();
      order.push('search resumes');
    });
    await timed;
    expect(order).toEqual(['search starts', 'timed run', 'search resumes']);
    // with no writer waiting, yielding returns without giving the lock up
    await lock.shared(async () => {
      await lock.yieldShared();
      order.push('alone');
    });
    expect(order.at(-1)).toBe('alone');
  });

  it('the search awaits its pause hook as it goes, and the time paused does not eat its budget', async () => {
    let clock = 0;
    let pauses = 0;
    // a fake clock: every reading costs 5 ms of "work"; each pause costs 10 s, far more than the budget
    const now = () => (clock += 5);
    const pause = async () => {
      pauses++;
      clock += 10_000;
    };
    const paused = await search(program(), { ...opts, rng: new Rng(1), budgetMs: 60_000, now, pause });
    const plain = await search(program(), { ...opts, rng: new Rng(1), budgetMs: 60_000, now: () => (clock += 5) });
    // more pauses than the budget could hold had they counted against it
    expect(pauses).toBeGreaterThan(6);
    // the same proposals as without pauses: no part of the search was cut short by them
    expect(paused.map((p) => p.source)).toEqual(plain.map((p) => p.source));
  });
});
