import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journaled } from '../loop/index.js';
import { codeReply, LlmServer } from './llm-server.js';
import { GOOD, kloop, resultsOf, setup } from './e2e-llm-helpers.js';

// The runs with model-backed agents whose assertions do not depend on a measured speedup (budgets,
// the analyzer's turns, a provider that is down): they run beside other files. Those that assert a
// kept candidate are in e2e-llm.test.ts, in the timed group.
let server: LlmServer;
beforeAll(async () => {
  server = await new LlmServer(() => ({ reply: 'unscripted' })).start();
});
afterAll(() => server.stop());

describe('kloop run with model-backed agents: budgets, the analyzer, a provider down (real SDKs, local server)', () => {
  it('budget.usd stops the run cleanly once spent', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD), inputTokens: 100000, outputTokens: 100000 }));
    const { cwd, target } = await setup('budget: { usd: 0.5 }\npricing: { gpt-test: { input_per_mtok: 10, output_per_mtok: 10 } }');
    const r = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test', '--rounds', '5'], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.openaiUrl });
    expect(r.code, r.out).toBe(0);
    const end = r.events.find((e) => e.type === 'run.end') as Extract<Journaled, { type: 'run.end' }>;
    expect(end.reason).toMatch(/budget of \$0\.5 spent/);
    expect(r.events.filter((e) => e.type === 'round.start')).toHaveLength(1);
  });

  it('the analyzer on a model: invalid JSON gets one repair turn; its ideas reach the writer', async () => {
    const diag = { bottleneck: 'locality', summary: 'the inner loop strides by M+2', ideas: [{ title: 'swap the loops', detail: 'make j innermost' }] };
    server.setScript((r) => {
      if (r.text.includes('Answer with one JSON object')) return { reply: r.body.messages.length === 1 ? 'I think it is memory bound.' : '```json\n' + JSON.stringify(diag) + '\n```' };
      return { reply: codeReply(GOOD) };
    });
    const { cwd, target } = await setup('agents:\n  analyzer: { provider: openai, model: gpt-test }\n  writer: { provider: openai, model: gpt-test }');
    const r = await kloop(cwd, ['--target', target], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.openaiUrl });
    expect(r.code, r.out).toBe(0);
    const a = r.events.find((e) => e.type === 'analysis') as Extract<Journaled, { type: 'analysis' }>;
    expect(a.diagnosis.summary).toBe(diag.summary);
    const { dir, rows } = resultsOf(cwd, r.events);
    expect(readFileSync(join(dir, 'candidates', rows[0].id, 'turns', 'turn-1.prompt.md'), 'utf8')).toContain('Idea: swap the loops. make j innermost');
    expect(r.events.some((e) => e.type === 'model.usage' && e.spend.role === 'reflect')).toBe(true);
  });

  it('a provider that stays down pauses its role with a warning while the run goes on', async () => {
    server.setScript(() => ({ status: 500 }));
    const { cwd, target } = await setup('providers: { openai: { retries: 1, pause_after: 1, pause_s: 1 } }');
    const r = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test', '--rounds', '2'], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.openaiUrl });
    expect(r.code, r.out).toBe(0);
    const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings.some((w) => /writer \(openai\) paused until .* other work continues/.test(w))).toBe(true);
    expect(warnings.some((w) => /retry 1/.test(w))).toBe(true);
    expect(r.events.filter((e) => e.type === 'round.end')).toHaveLength(2);
    expect(existsSync(join(resultsOf(cwd, r.events).dir, 'summary.json'))).toBe(true);
  });
});
