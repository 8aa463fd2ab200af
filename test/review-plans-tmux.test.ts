import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../memory/index.js';
import { parsePlan, rejectedPlans } from '../plans/index.js';
import { CLI } from './helpers.js';
import { git, keptPlan, workloadInRepo } from './review-plan-helpers.js';

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `kloop review` in a real terminal with two kept plans: approve one (its file is committed), reject the other (its reason in memory). */
describe.skipIf(!hasTmux)('kloop review of kept plans in a real terminal (tmux)', () => {
  it('opens a plan with its assignment, approves it, rejects the other with a reason', async () => {
    const { repo, w } = workloadInRepo();
    const mem = join(repo, 'memory.json');
    const m = FileStore.open(mem);
    const approved = await keptPlan(w, '2026-11-30T07:30:00Z');
    await m.setPlan(approved);
    await m.setPlan(await keptPlan(w, '2026-11-30T06:00:00Z', { devices: 'cpu-other', speedup: 1.3 }));
    const session = `kloop-review-plans-${process.pid}`;
    const tm = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
    const screen = () => tm('capture-pane', '-p', '-t', session);
    const waitFor = async (text: string) => {
      // Up to 30 s: on a loaded 2-core CI machine the first frame alone can take seconds.
      for (let i = 0; i < 300; i++) {
        if (screen().includes(text)) return;
        await sleep(100);
      }
      throw new Error(`never saw "${text}" on screen:\n${screen()}`);
    };
    // The pane is a person's terminal: CI's own CI=true would make ink draw only the last frame, at exit.
    tm('new-session', '-d', '-s', session, '-x', '120', '-y', '50', '-c', repo, `env -u CI -u CONTINUOUS_INTEGRATION node ${CLI} review --memory ${mem}`);
    try {
      await waitFor('0 winner(s) and 2 plan(s) to review');
      tm('send-keys', '-t', session, 'Enter');
      await waitFor('assignment: 2 device(s), home cpu-g0');
      await waitFor('1. run ln rows 0-');
      tm('send-keys', '-t', session, 'a');
      await waitFor('approved the plan for small on cpu-rev: written to');
      tm('send-keys', '-t', session, 'r');
      await waitFor('reject reason');
      tm('send-keys', '-t', session, '-l', 'the groups share one memory bus');
      tm('send-keys', '-t', session, 'Enter');
      await waitFor('Nothing to review.');
      tm('send-keys', '-t', session, 'q');
    } finally {
      try {
        tm('kill-session', '-t', session);
      } catch {
        /* already gone */
      }
    }
    expect(git(repo, 'log', '-1', '--format=%s')).toMatch(/^kloop: plan small on cpu-g0, cpu-g1, 1\.50x over the single-device plan/);
    const file = join(w.dir, 'plans', 'cpu-rev.json');
    expect(parsePlan(readFileSync(file, 'utf8'), file)).toEqual(parsePlan(approved.plan, 'memory'));
    expect(await rejectedPlans(FileStore.open(mem), 'small')).toMatchObject([{ devices: 'cpu-other', reason: 'the groups share one memory bus' }]);
  }, 60_000);
});
