import { describe, expect, it } from 'vitest';
import { MeteredSandbox } from '../loop/metered-sandbox.js';
import { attributeGaps, gapTable } from '../bench/idle-gaps.js';
import type { RunResult, RunSpec, Sandbox } from '../sandboxes/index.js';

/** A sandbox whose processes take the time the test says, on a clock the test moves. */
function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('kloop overhead: idle intervals with no compile or kernel process', () => {
  it('the metered sandbox counts busy time per kind and records idle intervals of at least the threshold', async () => {
    const clock = fakeClock();
    const inner: Sandbox = {
      name: 'fake',
      run: async (spec: RunSpec): Promise<RunResult> => {
        clock.advance(Number(spec.args?.[0] ?? 0));
        return { code: 0, signal: null, stdout: '', stderr: '', timedOut: false, wallMs: 0 } as unknown as RunResult;
      },
    };
    const m = new MeteredSandbox(inner, (cmd) => cmd === 'cc', clock.now, 5);
    clock.advance(3); // 3 ms before the first process: under the threshold
    await m.run({ cmd: 'cc', args: ['10'] } as RunSpec);
    clock.advance(40);
    await m.run({ cmd: 'kernel', args: ['7'] } as RunSpec);
    clock.advance(2);
    await m.run({ cmd: 'kernel', args: ['1'] } as RunSpec);
    expect(m.busyMs).toEqual({ compile: 10, run: 8, any: 18 });
    expect(m.idleGaps).toEqual([[13, 53]]);
  });

  it('sums process time by what ran: compiles, check runs, timed runs, other (two at once count twice)', async () => {
    const clock = fakeClock();
    const inner: Sandbox = {
      name: 'fake',
      run: async (spec: RunSpec): Promise<RunResult> => {
        await new Promise((r) => setTimeout(r, 1));
        clock.advance(Number(spec.args[1]));
        return { code: 0, signal: null, stdout: '', stderr: '', timedOut: false, wallMs: 0 } as unknown as RunResult;
      },
    };
    const m = new MeteredSandbox(inner, (cmd) => cmd === 'cc', clock.now, 5);
    await m.run({ cmd: 'cc', args: ['-c', '4'] } as RunSpec);
    // two check runs at once: 6 ms of wall, 6 + 11 of process time
    await Promise.all([m.run({ cmd: 'kernel.bin', args: ['check', '6'] } as RunSpec), m.run({ cmd: 'kernel.bin', args: ['check', '5'] } as RunSpec)]);
    await m.run({ cmd: 'kernel.bin', args: ['time', '3'] } as RunSpec);
    await m.run({ cmd: 'nm', args: ['-f', '2'] } as RunSpec);
    // a process of several check cases (the harness's cases mode) is a check run too
    await m.run({ cmd: 'kernel.bin', args: ['cases', '7'] } as RunSpec);
    expect(m.processMs).toEqual({ compile: 4, check: 24, timed: 3, other: 2 });
    expect(m.busyMs.run).toBe(23);
  });

  it('attributes each interval to the events around it and sums per pair', () => {
    const marks = [
      { at: 0, what: 'round.start' },
      { at: 10, what: 'candidate.result' },
      { at: 30, what: 'candidate.state:building' },
      { at: 100, what: 'round.end' },
      { at: 150, what: 'round.start' },
    ];
    const rows = attributeGaps(
      [
        [12, 28],
        [101, 160],
      ],
      marks,
    );
    expect(rows[0]).toMatchObject({ between: 'round.end -> (end) [round.start]', count: 1, totalMs: 59 });
    expect(rows.find((r) => r.between === 'candidate.result -> candidate.state:building')).toMatchObject({ count: 1, totalMs: 16 });
    expect(gapTable([[12, 28]], marks)).toMatch(/idle intervals of 5 ms or more: 1, 0\.0 s/);
  });
});
