import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WORKFLOW } from '../workflow/index.js';
import { CLI, tmp } from './helpers.js';
import { LlmServer } from './llm-server.js';
import { storeCpuProfile } from './plan-helpers.js';

/**
 * `kloop run --workload` with a model-backed partitioner: its calls come out of budget.usd /
 * budget.tokens. Two workloads in one run: the first is planned while the budget holds (the model is
 * asked), its call spends the budget, and the second is planned by GP1 alone, with one line saying why.
 */
const SECTION = readFileSync(DEFAULT_WORKFLOW, 'utf8').slice(readFileSync(DEFAULT_WORKFLOW, 'utf8').indexOf('## partitioner'));

let server: LlmServer;
beforeAll(async () => {
  // Every call: a reply that is no plan (GP1's plan goes on), 700 input and 400 output tokens.
  server = await new LlmServer(() => ({ reply: 'I would keep everything on one device.', inputTokens: 700, outputTokens: 400 })).start();
});
afterAll(() => server.stop());

/** A folder with two one-node workloads (a sum does not split: GP1 keeps the single-device plan, so each round is short), a WORKFLOW.md and a memory holding this CPU's profile. */
async function setup(front: string): Promise<string> {
  const cwd = tmp('kloop-partitioner-budget-');
  for (const name of ['budget-a', 'budget-b']) {
    mkdirSync(join(cwd, name));
    writeFileSync(join(cwd, name, 'workload.yaml'), `name: ${name}\nnodes:\n  s: { target: sum, sizes: { N: 4096 } }\n`);
  }
  writeFileSync(
    join(cwd, 'WORKFLOW.md'),
    `---\nagents:\n  partitioner: { provider: anthropic, model: claude-test, base_url: "${server.anthropicUrl}", timeout_s: 10 }\nproviders: { anthropic: { retries: 0 } }\npricing: { claude-test: { input_per_mtok: 10, output_per_mtok: 20 } }\ngit: { commit: false }\n${front}\n---\n${SECTION}`,
  );
  await storeCpuProfile(join(cwd, 'memory.json'), join(cwd, 'cache'));
  return cwd;
}

/** The built CLI, asynchronously (the server answers from this process). */
function kloopRun(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = spawn('node', [CLI, 'run', 'WORKFLOW.md', '--workload', 'budget-a', 'budget-b', '--rounds', '0', '--memory', 'memory.json', ...args], {
      cwd,
      env: { PATH: process.env.PATH!, HOME: cwd, ANTHROPIC_API_KEY: 'test-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => res({ code: code ?? -1, out }));
  });
}

describe("the model partitioner's budget gate (kloop run --workload)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('budget.tokens: the model is asked for the first workload; its 1100 tokens spend the 1000, so the second is planned by GP1 alone', async () => {
    const cwd = await setup('budget: { tokens: 1000 }');
    dirs.push(cwd);
    const before = server.requests.length;
    const r = await kloopRun(cwd, ['--json']);
    expect(r.code, r.out).toBe(0);
    const events = r.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; workload?: string; model?: string; why?: string; calls?: number; inputTokens?: number; outputTokens?: number; usd?: number });
    const plansOf = (name: string) => events.filter((e) => e.type === 'plan' && e.workload === name);
    // Under budget: asked once (its reply is no plan, reported with the round).
    expect(server.requests.length - before).toBe(1);
    expect(server.requests.at(-1)!.text).toContain('Plan workload budget-a');
    expect(plansOf('budget-a')).toEqual([expect.objectContaining({ model: expect.stringMatching(/^the partitioner's reply is not a valid CEP plan/) })]);
    // Spent: not asked; one event says why; GP1's plan alone.
    expect(events.filter((e) => e.type === 'plan.partitioner-skipped')).toEqual([{ type: 'plan.partitioner-skipped', workload: 'budget-b', why: 'budget of 1000 tokens spent (1100)' }]);
    expect(plansOf('budget-b')).toHaveLength(1);
    expect(plansOf('budget-b')[0].model).toBeUndefined();
    expect(events.find((e) => e.type === 'plan.spend')).toMatchObject({ calls: 1, inputTokens: 700, outputTokens: 400 });
  }, 120_000);

  it('budget.usd: the same gate on dollars, and the line a person reads', async () => {
    // One call costs 700 × $10/M + 400 × $20/M = $0.015; the budget is $0.01.
    const cwd = await setup('budget: { usd: 0.01 }');
    dirs.push(cwd);
    const before = server.requests.length;
    const r = await kloopRun(cwd, []);
    expect(r.code, r.out).toBe(0);
    expect(server.requests.length - before).toBe(1);
    expect(r.out).toMatch(/^plan budget-a: .* \(model partitioner: the partitioner's reply is not a valid CEP plan: .*\)$/m);
    expect(r.out).toContain("plan budget-b: the model partitioner is not asked (budget of $0.01 spent ($0.0150)); GP1's plans only\n");
    expect(r.out).toMatch(/^plan budget-b: (?!.*model partitioner).*$/m);
    expect(r.out).toContain('partitioner spend: $0.0150 in 1 calls (700 input, 400 output tokens)');
  }, 120_000);
});
