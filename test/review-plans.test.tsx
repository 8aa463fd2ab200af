import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { FileStore, LowdbStore, type MemoryStore } from '../memory/index.js';
import { parsePlan, planReviewId, planRound, rejectedPlans } from '../plans/index.js';
import { approvePlan, planPath, planQueue, rejectPlan } from '../review/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { loadWorkload } from '../workloads/index.js';
import { ReviewApp, type ReviewActions } from '../tui/review-app.js';
import { kloop, tmp } from './helpers.js';
import { executor, references, SMALL } from './plan-helpers.js';
import { d, git, keptPlan, measureOf, workloadInRepo } from './review-plan-helpers.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const tick = (ms = 250) => new Promise((r) => setTimeout(r, ms));
/** Wait until the screen shows `text` (the action behind a key is asynchronous; a fixed wait was flaky on a loaded machine). */
async function shows(ui: { lastFrame: () => string | undefined }, text: string, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const frame = strip(ui.lastFrame());
    if (frame.includes(text) || Date.now() > end) return frame;
    await tick(50);
  }
}
describe('kept plans in review', () => {
  it('approve records the decision, writes the plan next to its workload and commits it with what was measured', async () => {
    const { repo, w } = workloadInRepo();
    const m = LowdbStore.memory();
    const p = await keptPlan(w, '2026-11-30T07:30:00Z');
    await m.setPlan(p);
    expect((await planQueue(m)).map(planReviewId)).toEqual(['plan:small@cpu-rev@2026-11-30T07:30:00Z']);
    const r = await approvePlan(m, p, () => new Date('2026-11-30T08:00:00Z'));
    expect(r.path).toBe(join(w.dir, 'plans', 'cpu-rev.json'));
    expect(r.path).toBe(planPath(w.dir, p.devices));
    expect(parsePlan(readFileSync(r.path, 'utf8'), r.path)).toEqual(parsePlan(p.plan, 'memory'));
    expect(git(repo, 'log', '-1', '--format=%B')).toMatch(
      /^kloop: plan small on cpu-g0, cpu-g1, 1\.50x over the single-device plan \(95% CI 1\.20-1\.80, 7 pairs\)\n\nmeasured 2\.000 ms against 3\.000 ms on one device, interleaved; [\d.]+ ms predicted by GP1\nverification: static check and 120 elements/,
    );
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe('small/plans/cpu-rev.json');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const review = (await m.reviews()).find((x) => x.candidateId === planReviewId(p))!;
    expect(review).toMatchObject({ decision: 'approved', target: 'small', fingerprint: 'cpu-rev', commit: r.commit, at: '2026-11-30T08:00:00.000Z' });
    // Reviewed plans leave the queue.
    expect(await planQueue(m)).toEqual([]);
  });

  it('off a terminal kloop review lists the plans still to review; an approved plan file is one kloop plan --check reads', async () => {
    const { repo, w } = workloadInRepo();
    const memory = join(repo, 'memory.json');
    const m = FileStore.open(memory);
    const approved = await keptPlan(w, '2026-11-30T07:30:00Z');
    await m.setPlan(approved);
    await m.setPlan(await keptPlan(w, '2026-11-30T06:00:00Z', { devices: 'cpu-other', runId: 'run-8' }));
    const r = await approvePlan(m, approved);
    const listed = kloop(repo, ['review', '--memory', memory]);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toMatch(/\n1 kept plan\(s\):\nsmall on cpu-g0, cpu-g1 \(cpu-other\), kept by run run-8 at 2026-11-30T06:00:00Z\n/);
    expect(listed.out).not.toContain('(cpu-rev)');
    const checked = kloop(repo, ['plan', '--check', r.path, '--workload', w.dir]);
    expect(checked.code, checked.out).toBe(0);
    expect(checked.out).toMatch(/cpu-rev\.json: valid CEP plan for small: \d+ steps/);
  });

  it('approve outside a git work tree writes the plan and says it was not committed', async () => {
    const dir = join(tmp(), 'small');
    mkdirSync(dir);
    writeFileSync(join(dir, 'workload.yaml'), SMALL);
    const w = loadWorkload(dir);
    const m = LowdbStore.memory();
    const r = await approvePlan(m, await keptPlan(w, '2026-11-30T07:30:00Z'));
    expect(r.commit).toBeUndefined();
    expect(r.note).toMatch(/is not in a git work tree: written, not committed/);
    expect(readFileSync(r.path, 'utf8')).toMatch(/^\{\n {2}"cep": 1,/);
  });

  it('approve in a work tree that ignores the plans folder writes the plan and says it was not committed', async () => {
    const { repo, w } = workloadInRepo();
    writeFileSync(join(repo, '.gitignore'), 'plans/\n');
    const head = git(repo, 'rev-parse', 'HEAD');
    const r = await approvePlan(LowdbStore.memory(), await keptPlan(w, '2026-11-30T07:30:00Z'));
    expect(r.commit).toBeUndefined();
    expect(r.note).toBe(`small/plans/cpu-rev.json is ignored by git in ${repo}: written, not committed`);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(readFileSync(r.path, 'utf8')).toMatch(/^\{\n {2}"cep": 1,/);
  });

  it('approve refuses, in one line and before recording anything, a plan whose workload changed since it was measured', async () => {
    const { w } = workloadInRepo();
    const m = LowdbStore.memory();
    const p = await keptPlan(w, '2026-11-30T07:30:00Z', { workloadHash: 'old-hash' });
    await expect(approvePlan(m, p)).rejects.toThrow(/workload\.yaml: workload small changed since this plan was kept \(hash old-hash, now \w+\)/);
    expect(await m.reviews()).toEqual([]);
  });

  it('reject records the reason; later rounds tell the partitioner and do not keep the same plan again', async () => {
    const { w } = workloadInRepo();
    const memory = LowdbStore.memory();
    const prompts: string[] = [];
    let reply = 'no plan today';
    const proposer = {
      template: loadWorkflow(DEFAULT_WORKFLOW).prompts.partitioner!,
      provider: {
        generate: async (req: { messages: { content: string }[] }) => {
          prompts.push(req.messages[0].content);
          return { text: reply };
        },
      },
    };
    const ex = executor();
    const round = (at: string) =>
      planRound({ measure: measureOf(w), workload: w, descriptor: d, kernels: references(w), executor: ex, memory, dir: tmp(), runId: 'run-1', minSpeedup: 0, pairs: 2, reps: 1, targetMs: 5, seed: 5, now: () => at, proposer });

    // A real round keeps GP1's plan (verified, timed, its interval above 0).
    const first = await round('2026-11-30T07:00:00Z');
    expect(first.why).toMatch(/^kept: 2 core groups plan/);
    expect(prompts[0]).not.toContain('A reviewer rejected');
    const kept = (await memory.getPlan('small', 'cpu-rev'))!;
    expect(kept.workloadDir).toBe(w.dir);

    await rejectPlan(memory, kept, 'two pinned groups lose on a loaded machine', () => new Date('2026-11-30T07:10:00Z'));
    expect(await planQueue(memory)).toEqual([]);
    expect(await rejectedPlans(memory, 'small')).toEqual([{ workload: 'small', devices: 'cpu-rev', reason: 'two pinned groups lose on a loaded machine', at: '2026-11-30T07:10:00.000Z', plan: kept.plan }]);
    expect(await rejectedPlans(memory, 'other')).toEqual([]);

    // The next round: the partitioner's prompt carries the reason and the plan; its reply repeating the plan is refused;
    // GP1's plan is the same plan, so the round does not try it, and says why in one line.
    reply = `\`\`\`json\n${JSON.stringify(kept.plan)}\n\`\`\``;
    const second = await round('2026-11-30T08:00:00Z');
    expect(prompts[1]).toContain('A reviewer rejected these plans for this workload (kloop review)');
    expect(prompts[1]).toContain(`- on cpu-rev (2026-11-30T07:10:00.000Z): "two pinned groups lose on a loaded machine"; the plan: ${JSON.stringify(kept.plan)}`);
    expect(second.model).toBe(`the partitioner's plan is one a reviewer rejected (2026-11-30T07:10:00.000Z: "two pinned groups lose on a loaded machine")`);
    expect(second.why).toBe(`not tried: the 2 core groups plan is identical to one rejected in review for cpu-rev (2026-11-30T07:10:00.000Z: "two pinned groups lose on a loaded machine"), so it is not kept again`);
    expect(second.kept).toBeUndefined();
    expect(second.verdict).toBeUndefined();
    expect((await memory.getPlan('small', 'cpu-rev'))!.at).toBe('2026-11-30T07:00:00Z');
    expect(await planQueue(memory)).toEqual([]);
  }, 60_000);

  it('the screen lists plans next to winners, opens one with its assignment, and approves or rejects it', async () => {
    const { repo, w } = workloadInRepo();
    const m: MemoryStore = LowdbStore.memory();
    await m.setPlan(await keptPlan(w, '2026-11-30T07:30:00Z'));
    const other = await keptPlan(w, '2026-11-30T06:00:00Z', { workload: 'small-b', devices: 'cpu-other', speedup: 1.25, ciLow: 1.05, ciHigh: 1.4 });
    await m.setPlan(other);
    const winner = {
      candidateId: 'sum-r1-c1',
      runId: 'run1',
      target: 'sum',
      targetDir: '/nowhere',
      fingerprint: 'fp',
      device: 'Test CPU',
      source: 'a\n',
      flags: [],
      previousSource: 'b\n',
      previousFlags: [],
      previousId: 'reference',
      speedup: 4.5,
      ciLow: 4.2,
      ciHigh: 4.8,
      vsReference: 4.5,
      verdict: 'proved',
      evidence: 'proved',
      description: 'omp',
      diagnosis: 'latency',
      lineage: [],
      at: '2026-11-30T07:00:00Z',
    };
    const actions: ReviewActions = {
      load: async () => [winner],
      approve: async () => 'approved the winner',
      reject: async () => 'rejected the winner',
      plans: {
        load: () => planQueue(m),
        approve: async (p) => {
          const r = await approvePlan(m, p);
          return `approved the plan for ${p.workload}: written to ${r.path}`;
        },
        reject: async (p, reason) => {
          await rejectPlan(m, p, reason);
          return `rejected the plan for ${p.workload}: "${reason}"`;
        },
      },
    };
    const ui = render(<ReviewApp actions={actions} />);
    await tick();
    let frame = strip(ui.lastFrame());
    expect(frame).toContain('kloop review — 1 winner(s) and 2 plan(s) to review');
    // Newest first, kernels and plans together; a plan's line: kind, workload, speedup and interval, measured, single-device and predicted ms, devices.
    const lines = frame.split('\n').filter((l) => /^[› ] (plan|sum)/.test(l));
    expect(lines[0]).toMatch(/^› plan small 1\.50x \(CI 1\.20-1\.80\) \[verified\] 2\.00 ms vs 3\.00 single, 1\.00 predicted · cpu-g0\+cpu-g1$/);
    expect(lines[1]).toMatch(/^ {2}sum\s+4\.50x/);
    expect(lines[2]).toMatch(/^ {2}plan small-b 1\.25x \(CI 1\.05-1\.40\)/);

    ui.stdin.write('\r');
    await tick();
    frame = strip(ui.lastFrame());
    expect(frame).toContain('plan for small on cpu-rev: 1.50x over the single-device plan, 95% CI 1.20-1.80, 7 pairs');
    expect(frame).toMatch(/measured 2\.000 ms against 3\.000 ms on a single device; predicted 1\.000 ms by GP1/);
    expect(frame).toContain('verification: static check and 120 elements equal the graph oracle');
    expect(frame).toMatch(/assignment: 2 device\(s\), home cpu-g0, [1-9]\d* copies\s+│/);
    // Which rows of which node on which device, and the copies between them, in each device's order.
    expect(frame).toMatch(/cpu-g0 \(cpu, cores 0, ACP cpu-rev, home\):\s+│\n│ {4}1\. run ln rows 0-\d+ /);
    expect(frame).toMatch(/cpu-g1 \(cpu, cores 1, ACP cpu-rev\):\s+│\n│ {4}1\. copy ln\.X rows \d+-12 from cpu-g0 /);
    expect(frame).toMatch(/ {4}\d+\. run mm rows \d+-12 /);
    ui.stdin.write('d');
    await tick();
    frame = strip(ui.lastFrame());
    expect(frame).not.toContain('cpu-g0 (cpu, cores 0');
    expect(frame).toContain('copies (d shows the steps)');

    ui.stdin.write('a');
    const approved = `approved the plan for small: written to ${join(w.dir, 'plans', 'cpu-rev.json')}`;
    expect(await shows(ui, approved)).toContain(approved);
    expect(git(repo, 'log', '-1', '--format=%s')).toMatch(/^kloop: plan small on cpu-g0, cpu-g1/);

    // Down past the winner to the other plan, and reject it with a reason.
    ui.stdin.write('\r');
    await tick();
    ui.stdin.write('j');
    await tick();
    ui.stdin.write('r');
    await tick();
    for (const ch of 'copies cost more than shown') ui.stdin.write(ch);
    await shows(ui, 'copies cost more than shown');
    ui.stdin.write('\r');
    frame = await shows(ui, 'rejected the plan for small-b: "copies cost more than shown"');
    expect(frame).toContain('rejected the plan for small-b: "copies cost more than shown"');
    expect(frame).toContain('kloop review — 1 winner(s) to review');
    expect(frame).not.toMatch(/^[› ] plan/m);
    expect(await rejectedPlans(m, 'small-b')).toMatchObject([{ reason: 'copies cost more than shown', devices: 'cpu-other' }]);
    ui.unmount();
  });
});
