import { describe, expect, it } from 'vitest';
import { inOrder } from '../common/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inOrder (check processes in lanes, judged as a serial loop would)', () => {
  it('never runs more than `lanes` at once, gives each running call its own lane, and judges in item order', async () => {
    let running = 0;
    let most = 0;
    const busy = new Set<number>();
    const judged: number[] = [];
    // Later items finish first: the judge still sees them in order.
    const delays = [40, 5, 30, 1, 20, 2];
    const r = await inOrder(
      delays,
      2,
      async (ms, i, lane) => {
        expect(busy.has(lane)).toBe(false);
        busy.add(lane);
        most = Math.max(most, ++running);
        await sleep(ms);
        running--;
        busy.delete(lane);
        return i;
      },
      (x) => void judged.push(x),
    );
    expect(r).toBeUndefined();
    expect(judged).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('the first failing item in order decides, even when a later one failed first; nothing starts after, and nothing is left running', async () => {
    const started: number[] = [];
    let finished = 0;
    const r = await inOrder(
      [30, 1, 1, 1, 1, 1],
      2,
      async (ms, i) => {
        started.push(i);
        await sleep(ms);
        finished++;
        return i === 0 || i === 1 ? `bad ${i}` : 'ok';
      },
      (x) => (x === 'ok' ? undefined : x),
    );
    expect(r).toBe('bad 0');
    expect(finished).toBe(started.length);
  });

  it('nothing starts after the deciding item is judged', async () => {
    const started: number[] = [];
    const r = await inOrder(
      [1, 1, 30, 30, 30, 30, 30, 30],
      2,
      async (ms, i) => {
        started.push(i);
        await sleep(ms);
        return i === 1 ? 'bad' : 'ok';
      },
      (x) => (x === 'ok' ? undefined : x),
    );
    expect(r).toBe('bad');
    expect(started.length).toBeLessThanOrEqual(4);
  });

  it('one lane is a serial loop', async () => {
    const order: string[] = [];
    await inOrder(
      [1, 2, 3],
      1,
      async (x) => {
        order.push(`start ${x}`);
        await sleep(2);
        order.push(`end ${x}`);
        return x;
      },
      () => undefined,
    );
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
