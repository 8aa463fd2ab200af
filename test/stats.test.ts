import { describe, expect, it } from 'vitest';
import { Rng } from '../common/index.js';
import { median, speedupCI, tQuantile975 } from '../loop/index.js';

describe('A/B statistics', () => {
  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('t quantiles match the table and approach 1.96', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(4)).toBeCloseTo(2.776, 3);
    expect(tQuantile975(1000)).toBeCloseTo(1.96, 2);
  });

  it('a 2x faster candidate under 5% noise gets an interval around 2 that excludes 1.02', () => {
    const rng = new Rng(7);
    const noise = () => 1 + (rng.next() - 0.5) * 0.1;
    const base = Array.from({ length: 6 }, () => 100 * noise());
    const cand = Array.from({ length: 6 }, () => 50 * noise());
    const e = speedupCI(base, cand);
    expect(e.ciLow).toBeGreaterThan(1.02);
    expect(e.ciLow).toBeLessThan(2);
    expect(e.ciHigh).toBeGreaterThan(2);
  });

  it('the same kernel twice gets an interval that contains 1', () => {
    const rng = new Rng(9);
    const base = Array.from({ length: 7 }, () => 100 * (1 + rng.next() * 0.2));
    const cand = Array.from({ length: 7 }, () => 100 * (1 + rng.next() * 0.2));
    const e = speedupCI(base, cand);
    expect(e.ciLow).toBeLessThan(1);
    expect(e.ciHigh).toBeGreaterThan(1);
  });

  it('pairs cancel drift that hits both sides of a pair', () => {
    const drift = [1, 1.5, 0.7, 2, 1.2];
    const e = speedupCI(
      drift.map((d) => 100 * d),
      drift.map((d) => 80 * d),
    );
    expect(e.speedup).toBeCloseTo(1.25, 6);
    expect(e.ciHigh - e.ciLow).toBeLessThan(1e-9);
  });

  it('one pair gives no interval', () => {
    expect(speedupCI([10], [5]).ciHigh).toBe(Infinity);
  });
});
