import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgents } from '../agents/index.js';
import type { Spend } from '../agents/providers/index.js';
import { LowdbStore } from '../memory/index.js';
import { costModel, planRound, planWorkload, proposeWithModel, type CepPlan } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';
import { LlmServer, type Step } from './llm-server.js';
import { cpuDescriptor, executor, references, smallWorkload } from './plan-helpers.js';

/**
 * The model-backed partitioner through the real Anthropic and OpenAI SDKs, against a local server
 * speaking their wire formats (JSON and SSE): the provider stack kloop builds from WORKFLOW.md
 * (retries, pausing, cost metering), the "## partitioner" prompt, and a plan round around it.
 */
let server: LlmServer;
let steps: Step[] = [];
beforeAll(async () => {
  server = await new LlmServer(() => steps.shift() ?? { reply: 'no more steps scripted' }).start();
});
afterAll(() => server.stop());

const w = smallWorkload();
const d = cpuDescriptor('cpu-http', 2);
const kernels = references(w);
const measured = new Map(w.nodes.map((n, i) => [n.name, (i + 1) * 1e5]));
const plans = planWorkload({ workload: w, descriptor: d, kernels, measured, cores: [0, 1] });
const descriptors = new Map([[d.fingerprint.id, d]]);
const costFor = (devices: CepPlan['devices']) => costModel({ devices, descriptors, kernels, measured });
const groupsPlan = plans.sets.find((s) => s.set === '2 core groups')!.candidate.plan;
const fenced = (p: unknown) => `Splitting rows across the two core groups.\n\n\`\`\`json\n${JSON.stringify(p, null, 2)}\n\`\`\`\n`;
const SECTION = readFileSync(DEFAULT_WORKFLOW, 'utf8').slice(readFileSync(DEFAULT_WORKFLOW, 'utf8').indexOf('## partitioner'));
const MODELS = { anthropic: 'claude-test', openai: 'gpt-test' } as const;

/** kloop's agents from a WORKFLOW.md whose partitioner talks to the local server; every metered call is recorded. */
function agents(api: 'anthropic' | 'openai', o: { stream?: boolean; retries?: number } = {}) {
  const url = api === 'anthropic' ? server.anthropicUrl : server.openaiUrl;
  const file = join(tmp(), 'WORKFLOW.md');
  writeFileSync(
    file,
    `---
agents:
  partitioner: { provider: ${api}, model: ${MODELS[api]}, base_url: "${url}", stream: ${o.stream ?? false}, timeout_s: 10 }
providers: { ${api}: { retries: ${o.retries ?? 0}, pause_after: 100 } }
pricing: { ${MODELS[api]}: { input_per_mtok: 3, output_per_mtok: 15 } }
---
${SECTION}`,
  );
  const spent: Spend[] = [];
  const env = { ANTHROPIC_API_KEY: 'test-key', OPENAI_API_KEY: 'test-key' };
  const a = createAgents({ workflow: loadWorkflow(file), env, sandbox: new ProcessSandbox(), scratchDir: tmp(), onUsage: (s) => spent.push(s), warn: () => {} });
  return { proposer: a.partitioner!, spent };
}

describe.each(['anthropic', 'openai'] as const)('the model partitioner through the real %s SDK', (api) => {
  it.each([false, true])('a fenced CEP plan in the reply is validated and predicted; tokens and dollars are counted (stream: %s)', async (stream) => {
    const { proposer, spent } = agents(api, { stream });
    steps = [{ reply: fenced(groupsPlan), inputTokens: 1200, outputTokens: 800 }];
    const r = await proposeWithModel({ proposer, workload: w, descriptor: d, plans, measured, costFor });
    expect(r.problem).toBeUndefined();
    expect(r.candidate!.plan.predicted).toMatchObject({ by: 'model partitioner' });
    expect(r.candidate!.sim.ms).toBeCloseTo(plans.sets[1].candidate.sim.ms, 6);
    const seen = server.requests.at(-1)!;
    expect(seen.api).toBe(api);
    expect(!!seen.body.stream).toBe(stream);
    expect(seen.body.model).toBe(MODELS[api]);
    expect(seen.text).toContain('Plan workload small');
    expect(seen.text).toContain(JSON.stringify(groupsPlan));
    expect(spent).toEqual([expect.objectContaining({ role: 'partitioner', target: 'small', inputTokens: 1200, outputTokens: 800 })]);
    expect(spent[0].usd).toBeCloseTo((1200 * 3 + 800 * 15) / 1e6, 12);
  });

  it('a retryable 529 is retried (retries: 1), then the reply is used', async () => {
    const { proposer, spent } = agents(api, { retries: 1 });
    steps = [
      { status: 529, retryAfter: '0' },
      { reply: fenced(groupsPlan), inputTokens: 10, outputTokens: 20 },
    ];
    const before = server.requests.length;
    const r = await proposeWithModel({ proposer, workload: w, descriptor: d, plans, measured, costFor });
    expect(server.requests.length - before).toBe(2);
    expect(r.candidate).toBeDefined();
    expect(spent.map((s) => s.outputTokens)).toEqual([20]);
  });

  // Node times where the whole CPU wins (the two-thread time a tenth of one core's): GP1 keeps the
  // single-device plan, so each round below asks the model, reports what came back, and ends quickly.
  const ex = executor();
  const fast = new Map(w.nodes.map((n) => [n.name, 1e5]));
  const slow = new Map(w.nodes.map((n) => [n.name, 1e6]));
  const round = (proposer: ReturnType<typeof agents>['proposer']) =>
    planRound({
      measure: async () =>
        new Map([
          [2, fast],
          [1, slow],
        ]),
      workload: w,
      descriptor: d,
      kernels,
      executor: ex,
      memory: LowdbStore.memory(),
      dir: tmp(),
      runId: 'r',
      minSpeedup: 1.02,
      pairs: 2,
      reps: 1,
      targetMs: 5,
      seed: 4,
      now: () => '2026-11-30T12:00:00Z',
      proposer,
    });

  it.each([
    ['a reply that is prose, not a plan', [{ reply: 'I would split the matrix product by rows.', inputTokens: 50, outputTokens: 9 }], /^the partitioner's reply is not a valid CEP plan: /, 1],
    [
      'a fenced plan that is not CEP',
      [{ reply: fenced({ ...groupsPlan, cep: 2 }), inputTokens: 50, outputTokens: 9 }],
      /^the partitioner's reply is not a valid CEP plan: the partitioner: cep plan: cep: version 2 is newer than this kloop reads/,
      1,
    ],
    ['an HTTP 529 (overloaded)', [{ status: 529, body: 'Overloaded' }], /^the partitioner's provider failed: .*529/, 0],
    ['an HTTP 500', [{ status: 500, body: 'internal error' }], /^the partitioner's provider failed: .*500/, 0],
    ['a body that is not JSON', [{ garbage: '<html>oops' }], /^the partitioner's provider failed: /, 0],
  ] as [string, Step[], RegExp, number][])(
    '%s is reported with the round, never a crash',
    async (_what, script, problem, calls) => {
      const { proposer, spent } = agents(api);
      steps = [...script];
      const r = await round(proposer);
      expect(r.model).toMatch(problem);
      expect(r.model!.split('\n')).toHaveLength(1);
      expect(r.set).not.toBe('model partitioner');
      expect(r.why).toMatch(/^GP1 predicts no plan beats the single-device plan/);
      expect(spent).toHaveLength(calls);
    },
    30_000,
  );

  it('in a round, a valid plan is weighed against GP1’s by the same prediction', async () => {
    const { proposer, spent } = agents(api, { stream: true });
    steps = [{ reply: fenced(groupsPlan), inputTokens: 300, outputTokens: 200 }];
    const r = await round(proposer);
    // Here the whole CPU is ten times faster than a core: GP1's single-device plan wins, and the round says by how much.
    expect(r.model).toMatch(/^not chosen: predicted [\d.]+ ms, GP1's [\d.]+ ms$/);
    expect(spent).toEqual([expect.objectContaining({ inputTokens: 300, outputTokens: 200 })]);
  }, 30_000);
});
