import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicProvider, OpenAiProvider, PausingProvider, RetryingProvider, type ModelProvider } from '../agents/providers/index.js';
import { createAgents } from '../agents/index.js';
import { ProviderError, ProviderPausedError, UserError } from '../common/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmServer, type Step } from './llm-server.js';
import { tmp } from './helpers.js';

let server: LlmServer;
let steps: Step[] = [];
beforeAll(async () => {
  server = await new LlmServer(() => steps.shift() ?? { reply: 'default' }).start();
});
afterAll(() => server.stop());

const meta = { role: 'writer' as const, target: 't' };
const anthropic = (o: { stream?: boolean; timeoutMs?: number } = {}) =>
  new AnthropicProvider({ apiKey: 'test-key', baseURL: server.anthropicUrl, model: 'claude-test', maxTokens: 256, timeoutMs: o.timeoutMs ?? 5000, stream: o.stream ?? false });
const openai = (o: { stream?: boolean; timeoutMs?: number } = {}) => new OpenAiProvider({ apiKey: 'test-key', baseURL: server.openaiUrl, model: 'gpt-test', maxTokens: 256, timeoutMs: o.timeoutMs ?? 5000, stream: o.stream ?? false });
const retrying = (p: ModelProvider, sleeps: number[] = []) => new RetryingProvider(p, { maxRetries: 3, initialDelayMs: 10, maxDelayMs: 5000, sleep: async (ms) => void sleeps.push(ms) });

describe.each([
  ['anthropic', anthropic],
  ['openai', openai],
] as const)('%s provider through the real SDK', (api, make) => {
  it.each([false, true])('returns the reply text and usage (stream: %s)', async (stream) => {
    steps = [{ reply: 'hello from the model', inputTokens: 12, outputTokens: 34 }];
    const r = await make({ stream }).generate({ system: 'be brief', messages: [{ role: 'user', content: 'hi' }], meta });
    expect(r.text).toBe('hello from the model');
    expect(r.usage).toEqual({ inputTokens: 12, outputTokens: 34 });
    const seen = server.requests.at(-1)!;
    expect(seen.api).toBe(api);
    expect(!!seen.body.stream).toBe(stream);
    expect(seen.text).toContain('be brief');
    expect(JSON.stringify(seen.headers)).toContain('test-key');
  });

  it('retries 429 honouring retry-after, then succeeds', async () => {
    const sleeps: number[] = [];
    steps = [{ status: 429, retryAfter: '2' }, { reply: 'ok' }];
    const r = await retrying(make(), sleeps).generate({ messages: [{ role: 'user', content: 'x' }], meta });
    expect(r.text).toBe('ok');
    expect(sleeps).toEqual([2000]);
  });

  it('retries 500 with exponential backoff', async () => {
    const sleeps: number[] = [];
    steps = [{ status: 500 }, { status: 503 }, { reply: 'up again' }];
    const r = await retrying(make(), sleeps).generate({ messages: [{ role: 'user', content: 'x' }], meta });
    expect(r.text).toBe('up again');
    expect(sleeps).toEqual([10, 20]);
  });

  it('does not retry 400', async () => {
    steps = [{ status: 400 }, { reply: 'never' }];
    const e = await retrying(make())
      .generate({ messages: [{ role: 'user', content: 'x' }], meta })
      .catch((x) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).status).toBe(400);
    expect((e as ProviderError).retryable).toBe(false);
    steps = [];
  });

  it('a hung response hits the timeout as a retryable error', async () => {
    steps = [{ hang: true }];
    const t0 = Date.now();
    const e = await make({ timeoutMs: 300 })
      .generate({ messages: [{ role: 'user', content: 'x' }], meta })
      .catch((x) => x);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).retryable).toBe(true);
    expect((e as Error).message).toMatch(/timed out/);
  });

  it('garbage from the server is a ProviderError, not a crash', async () => {
    steps = [{ garbage: '<html>oops' }];
    const e = await make()
      .generate({ messages: [{ role: 'user', content: 'x' }], meta })
      .catch((x) => x);
    expect(e).toBeInstanceOf(Error);
  });
});

describe('a provider that stays down', () => {
  it('is paused after repeated failures; calls then fail fast', async () => {
    let now = 1_000_000;
    const pauses: number[] = [];
    steps = [{ status: 500 }, { status: 500 }];
    const p = new PausingProvider(openai(), { threshold: 2, cooldownMs: 60_000, now: () => now, onPause: (u) => pauses.push(u) });
    for (let i = 0; i < 2; i++) await p.generate({ messages: [{ role: 'user', content: 'x' }], meta }).catch(() => undefined);
    expect(pauses).toEqual([1_060_000]);
    const before = server.requests.length;
    await expect(p.generate({ messages: [{ role: 'user', content: 'x' }], meta })).rejects.toBeInstanceOf(ProviderPausedError);
    expect(server.requests.length).toBe(before);
    now += 61_000;
    steps = [{ reply: 'back' }];
    expect((await p.generate({ messages: [{ role: 'user', content: 'x' }], meta })).text).toBe('back');
  });
});

describe('keys', () => {
  const wf = (yaml: string) => {
    const f = join(tmp(), 'WORKFLOW.md');
    writeFileSync(f, `---\n${yaml}\n---\n## writer\nImprove {{ target.name }}.\n## analyzer\nAnalyse {{ target.name }}.\n`);
    return loadWorkflow(f);
  };
  const make = (yaml: string, env: NodeJS.ProcessEnv) => createAgents({ workflow: wf(yaml), env, sandbox: new ProcessSandbox(), scratchDir: tmp(), onUsage: () => undefined, warn: () => undefined });

  it('a missing key fails at start with one line naming the role, the variable and the file', () => {
    expect(() => make('agents:\n  writer: { provider: anthropic }', {})).toThrow(UserError);
    expect(() => make('agents:\n  writer: { provider: anthropic }', {})).toThrow(/agents\.writer\.provider is anthropic \(.*WORKFLOW\.md\) but ANTHROPIC_API_KEY is not set/);
    expect(() => make('agents:\n  analyzer: { provider: openai }', {})).toThrow(/agents\.analyzer\.provider is openai .* OPENAI_API_KEY is not set/);
  });

  it('never falls back silently: with the key the provider is the one configured', () => {
    const a = make('agents:\n  writer: { provider: anthropic, model: claude-x }', { ANTHROPIC_API_KEY: 'k' });
    expect(a.describe.writer).toBe('anthropic/claude-x');
    expect(a.writer.name).toBe('anthropic/claude-x');
    expect(make('agents:\n  writer: { provider: openai, base_url: "http://127.0.0.1:1/v1" }', {}).describe.writer).toBe('openai/gpt-4.1');
  });
});
