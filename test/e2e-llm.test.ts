import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmp } from './helpers.js';
import { codeReply, LlmServer } from './llm-server.js';
import { BROKEN, conversations, GOOD, kloop, resultsOf, setup, WRONG } from './e2e-llm-helpers.js';

let server: LlmServer;
beforeAll(async () => {
  server = await new LlmServer(() => ({ reply: 'unscripted' })).start();
});
afterAll(() => server.stop());

describe('kloop run with model-backed agents (real SDKs, local server)', () => {
  it('--provider openai: a good kernel is accepted and the spend is counted', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD), inputTokens: 1000, outputTokens: 500 }));
    const { cwd, target } = await setup('pricing: { gpt-test: { input_per_mtok: 10, output_per_mtok: 30 } }');
    const r = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test'], { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.openaiUrl });
    expect(r.code, r.out).toBe(0);
    const { rows, dir } = resultsOf(cwd, r.events);
    expect(rows.map((x) => x.status)).toEqual(['keep']);
    expect(rows[0].description).toContain('openai/gpt-test');
    const usage = r.events.filter((e) => e.type === 'model.usage');
    expect(usage.length).toBe(1);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.spend.total.usd).toBeCloseTo((1000 * 10 + 500 * 30) / 1e6, 9);
    expect(summary.spend.byRole.writer.calls).toBe(1);
    const prompt = readFileSync(join(dir, 'candidates', rows[0].id, 'turns', 'turn-1.prompt.md'), 'utf8');
    expect(prompt).toContain('Make jacobi faster');
    expect(prompt).toContain('for (int j = 0; j < M; j++)');
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).not.toContain('sk-test');
  });

  it('--provider anthropic (SSE): a compile error is fixed on the second turn; a wrong answer is rejected with feedback that hides the verifier’s sizes and seeds', async () => {
    server.setScript(conversations([(turn) => ({ reply: codeReply(turn === 1 ? BROKEN : GOOD) }), () => ({ reply: codeReply(WRONG) })]));
    const { cwd, target } = await setup('agents:\n  writer: { stream: true, max_turns: 2 }', 'loop: { candidates: 2, rounds: 1 }');
    const before = server.requests.length;
    const r = await kloop(cwd, ['--target', target, '--provider', 'anthropic', '--model', 'claude-test'], { ANTHROPIC_API_KEY: 'test', ANTHROPIC_BASE_URL: server.anthropicUrl });
    expect(r.code, r.out).toBe(0);
    const seen = server.requests.slice(before);
    expect(seen.every((s) => s.api === 'anthropic' && s.body.stream === true)).toBe(true);
    const { rows, dir } = resultsOf(cwd, r.events);
    const byStatus = Object.fromEntries(rows.map((x) => [x.status, x]));
    expect(Object.keys(byStatus).sort()).toEqual(['invalid', 'keep']);
    const kept = byStatus.keep;
    expect(readdirSync(join(dir, 'candidates', kept.id, 'turns'))).toEqual(expect.arrayContaining(['turn-1.c', 'turn-1.feedback.txt', 'turn-2.c', 'turn-2.prompt.md']));
    expect(readFileSync(join(dir, 'candidates', kept.id, 'turns', 'turn-1.feedback.txt'), 'utf8')).toMatch(/does not compile[\s\S]*error/);
    const wrong = byStatus.invalid;
    expect(wrong.verdict).toBe('rejected (compare)');
    const verdict = JSON.parse(readFileSync(join(dir, 'candidates', wrong.id, 'verdict.json'), 'utf8'));
    const hiddenSeeds = verdict.cases.filter((c: { hidden: boolean }) => c.hidden).map((c: { seed: number }) => String(c.seed));
    const secondTurn = seen.find((s) => s.body.messages.length === 3 && s.text.includes('0.25f'))!;
    expect(secondTurn.text).toMatch(/rejected \(compare\): wrong V\[/);
    for (const seed of hiddenSeeds) expect(server.requests.map((s) => s.text).join('\n')).not.toContain(seed);
  });

  it('a command-line agent edits the kernel in its workspace', async () => {
    const script = join(tmp(), 'agent.sh');
    writeFileSync(script, `#!/bin/sh\ncp PROMPT.md "$KLOOP_TEST_SEEN"\ncat > kernel.c <<'EOF'\n${GOOD}\nEOF\necho edited\n`);
    const { cwd, target } = await setup(`agents:\n  writer:\n    provider: command\n    command: { argv: [sh, ${script}], env: [KLOOP_TEST_SEEN] }`);
    const seen = join(cwd, 'seen-prompt.md');
    const r = await kloop(cwd, ['--target', target], { KLOOP_TEST_SEEN: seen });
    expect(r.code, r.out).toBe(0);
    expect(resultsOf(cwd, r.events).rows.map((x) => x.status)).toEqual(['keep']);
    expect(readFileSync(seen, 'utf8')).toContain('Make jacobi faster');
  });

  it('--record then --replay: the same run with no network and no key', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD) }));
    const { cwd, target } = await setup('');
    const rec = join(cwd, 'traffic.jsonl');
    const a = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test', '--record', rec], { OPENAI_API_KEY: 'sk-secret', OPENAI_BASE_URL: server.openaiUrl });
    expect(a.code, a.out).toBe(0);
    expect(readFileSync(rec, 'utf8')).not.toContain('sk-secret');
    const before = server.requests.length;
    const fresh = await setup('');
    const b = await kloop(fresh.cwd, ['--target', fresh.target, '--provider', 'openai', '--model', 'gpt-test', '--replay', rec], {});
    expect(b.code, b.out).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(resultsOf(fresh.cwd, b.events).rows.map((x) => x.status)).toEqual(['keep']);
  });
});
