import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../memory/index.js';
import { parsePlan, rejectedPlans } from '../plans/index.js';
import { CLI } from './helpers.js';
import { git, keptPlan, workloadInRepo } from './review-plan-helpers.js';
import { hasTmux, openPane } from './tmux-pane.js';

/** `kloop review` in a real terminal with two kept plans: approve one (its file is committed), reject the other (its reason in memory). */
describe.skipIf(!hasTmux)('kloop review of kept plans in a real terminal (tmux)', () => {
  it('opens a plan with its assignment, approves it, rejects the other with a reason', async () => {
    const { repo, w } = workloadInRepo();
    const mem = join(repo, 'memory.json');
    const m = FileStore.open(mem);
    const approved = await keptPlan(w, '2026-11-30T07:30:00Z');
    await m.setPlan(approved);
    await m.setPlan(await keptPlan(w, '2026-11-30T06:00:00Z', { devices: 'cpu-other', speedup: 1.3 }));
    // Up to 30 s a wait: on a loaded 2-core CI machine the first frame alone can take seconds.
    const pane = openPane({ session: `kloop-review-plans-${process.pid}`, cwd: repo, command: `node ${CLI} review --memory ${mem}`, width: 120, height: 50, waitMs: 30_000 });
    try {
      await pane.waitFor('0 winner(s) and 2 plan(s) to review');
      pane.keys('Enter');
      await pane.waitFor('assignment: 2 device(s), home cpu-g0');
      await pane.waitFor('1. run ln rows 0-');
      pane.keys('a');
      await pane.waitFor('approved the plan for small on cpu-rev: written to');
      pane.keys('r');
      await pane.waitFor('reject reason');
      pane.type('the groups share one memory bus');
      pane.keys('Enter');
      await pane.waitFor('Nothing to review.');
      pane.keys('q');
    } finally {
      pane.close();
    }
    expect(git(repo, 'log', '-1', '--format=%s')).toMatch(/^kloop: plan small on cpu-g0, cpu-g1, 1\.50x over the single-device plan/);
    const file = join(w.dir, 'plans', 'cpu-rev.json');
    expect(parsePlan(readFileSync(file, 'utf8'), file)).toEqual(parsePlan(approved.plan, 'memory'));
    expect(await rejectedPlans(FileStore.open(mem), 'small')).toMatchObject([{ devices: 'cpu-other', reason: 'the groups share one memory bus' }]);
  }, 60_000);
});
