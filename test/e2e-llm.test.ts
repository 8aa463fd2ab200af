import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResults, type Journaled } from '../loop/index.js';
import { smallTarget, tmp } from './helpers.js';
import { codeReply, LlmServer, type SeenRequest, type Step } from './llm-server.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

const GOOD = `void jacobi(int N, int M, const real *U, real *V) {
  #pragma omp parallel for
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++)
      V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
}`;
const BROKEN = GOOD.replace('V[i * M + j] =', 'V[i * M + j] = = ');
const WRONG = GOOD.replace('0.2f', '0.25f');

const WRITER_PROMPT = `## writer
Make {{ target.name }} faster on {{ device.model }} ({{ device.cores }} cores).
Idea: {{ idea.title }}. {{ idea.detail }}
{{ baseline.source }}
{% if feedback %}Feedback: {{ feedback }}{% endif %}

## analyzer
Diagnose {{ target.name }} at {{ profile.pct_of_roof }}% of the roof.
{{ baseline.source }}

## reflect
{% for o in outcomes %}{{ o.id }} {{ o.status }} {{ o.speedup }}
{% endfor %}`;

function setup(yaml: string, loop = 'loop: { candidates: 1, rounds: 1 }'): { cwd: string; target: string } {
  const cwd = tmp('kloop-llm-');
  const target = smallTarget('jacobi', '{N: 768, M: 768}', cwd);
  writeFileSync(join(cwd, 'WORKFLOW.md'), `---\n${loop}\ngit: { commit: false }\n${yaml}\n---\n${WRITER_PROMPT}\n`);
  return { cwd, target };
}

function kloop(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; events: Journaled[] }> {
  return new Promise((res) => {
    const child = spawn('node', [CLI, 'run', ...args, '--json'], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Journaled);
      res({ code: code ?? -1, out: out + err, events });
    });
  });
}

const resultsOf = (cwd: string, events: Journaled[]) => {
  const start = events.find((e) => e.type === 'run.start') as Extract<Journaled, { type: 'run.start' }>;
  return { rows: parseResults(readFileSync(join(cwd, 'runs', start.runId, 'results.tsv'), 'utf8')), dir: join(cwd, 'runs', start.runId) };
};

/** Per conversation (keyed by its first message), reply with a scripted sequence. */
function conversations(scenarios: ((turn: number) => Step)[]): (r: SeenRequest) => Step {
  const keys = new Map<string, number>();
  return (r) => {
    const first = JSON.stringify(r.body.messages[0]?.content);
    if (!keys.has(first)) keys.set(first, keys.size);
    const scenario = scenarios[keys.get(first)! % scenarios.length];
    return scenario(r.body.messages.filter((m) => m.role === 'user').length);
  };
}

let server: LlmServer;
beforeAll(async () => {
  server = await new LlmServer(() => ({ reply: 'unscripted' })).start();
});
afterAll(() => server.stop());

describe('kloop run with model-backed agents (real SDKs, local server)', () => {
  it('--provider openai: a good kernel is accepted and the spend is counted', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD), inputTokens: 1000, outputTokens: 500 }));
    const { cwd, target } = setup('pricing: { gpt-test: { input_per_mtok: 10, output_per_mtok: 30 } }');
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
    const { cwd, target } = setup('agents:\n  writer: { stream: true, max_turns: 2 }', 'loop: { candidates: 2, rounds: 1 }');
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
    const { cwd, target } = setup(`agents:\n  writer:\n    provider: command\n    command: { argv: [sh, ${script}], env: [KLOOP_TEST_SEEN] }`);
    const seen = join(cwd, 'seen-prompt.md');
    const r = await kloop(cwd, ['--target', target], { KLOOP_TEST_SEEN: seen });
    expect(r.code, r.out).toBe(0);
    expect(resultsOf(cwd, r.events).rows.map((x) => x.status)).toEqual(['keep']);
    expect(readFileSync(seen, 'utf8')).toContain('Make jacobi faster');
  });

  it('--record then --replay: the same run with no network and no key', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD) }));
    const { cwd, target } = setup('');
    const rec = join(cwd, 'traffic.jsonl');
    const a = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test', '--record', rec], { OPENAI_API_KEY: 'sk-secret', OPENAI_BASE_URL: server.openaiUrl });
    expect(a.code, a.out).toBe(0);
    expect(readFileSync(rec, 'utf8')).not.toContain('sk-secret');
    const before = server.requests.length;
    const fresh = setup('');
    const b = await kloop(fresh.cwd, ['--target', fresh.target, '--provider', 'openai', '--model', 'gpt-test', '--replay', rec], {});
    expect(b.code, b.out).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(resultsOf(fresh.cwd, b.events).rows.map((x) => x.status)).toEqual(['keep']);
  });

  it('budget.usd stops the run cleanly once spent', async () => {
    server.setScript(() => ({ reply: codeReply(GOOD), inputTokens: 100000, outputTokens: 100000 }));
    const { cwd, target } = setup('budget: { usd: 0.5 }\npricing: { gpt-test: { input_per_mtok: 10, output_per_mtok: 10 } }');
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
    const { cwd, target } = setup('agents:\n  analyzer: { provider: openai, model: gpt-test }\n  writer: { provider: openai, model: gpt-test }');
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
    const { cwd, target } = setup('providers: { openai: { retries: 1, pause_after: 1, pause_s: 1 } }');
    const r = await kloop(cwd, ['--target', target, '--provider', 'openai', '--model', 'gpt-test', '--rounds', '2'], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.openaiUrl });
    expect(r.code, r.out).toBe(0);
    const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings.some((w) => /writer \(openai\) paused until .* other work continues/.test(w))).toBe(true);
    expect(warnings.some((w) => /retry 1/.test(w))).toBe(true);
    expect(r.events.filter((e) => e.type === 'round.end')).toHaveLength(2);
    expect(existsSync(join(resultsOf(cwd, r.events).dir, 'summary.json'))).toBe(true);
  });
});
