import { describe, expect, it } from 'vitest';
import { LlmAnalyzer, LlmWriter, extractKernel } from '../agents/llm/index.js';
import { LimitedProvider, type GenerateRequest, type GenerateResult, type ModelProvider } from '../agents/providers/index.js';
import type { WriteContext } from '../agents/index.js';
import { ProviderError } from '../common/index.js';
import { resolveTarget } from '../targets/index.js';
import { PROMPT_SCHEMAS, Template } from '../workflow/index.js';
import PQueue from 'p-queue';

/** A scripted in-process provider: for loop logic, no HTTP. */
class Scripted implements ModelProvider {
  readonly name = 'scripted';
  readonly model = 'm';
  readonly seen: GenerateRequest[] = [];
  constructor(private readonly replies: (string | Error)[]) {}
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    this.seen.push(structuredClone(req));
    const r = this.replies.shift() ?? 'nothing';
    if (r instanceof Error) throw r;
    return { text: r, usage: { inputTokens: 1, outputTokens: 1 }, model: this.model };
  }
}

const target = resolveTarget('sum');
const profile = { gflops: { fp32: { one: 1, all: 2 }, fp64: { one: 1, all: 2 } }, bandwidthGBs: { one: 1, all: 2 }, measuredAt: '', fingerprint: { id: 'fp', kind: 'cpu' as const, model: 'cpu', cores: 2, flagsHash: '', compiler: 'cc' } };
const ctx = (): WriteContext => ({
  target,
  baseline: { target: 'sum', fingerprint: 'fp', source: target.referenceSource, flags: [], vsReference: 1, verdict: 'reference', description: 'reference', lineage: [], updatedAt: '' },
  deviceProfile: profile,
  insights: [],
  history: [],
  round: 1,
  candidates: 1,
  cores: 2,
  seed: 1,
  profile: { target: 'sum', medianNs: 1e6, vsReference: 1, summary: 's', roofline: { gflops: 1, gbs: 1, intensity: 1, roofGflops: 2, pctOfRoof: 50, bound: 'memory' } },
  diagnosis: { bottleneck: 'latency', summary: 'serial', ideas: [{ title: 'vectorise', detail: 'simd', favour: [] }] },
  tried: new Set(),
  slots: [{ id: 'sum-r1-c1', dir: '/tmp' }],
});
const GOOD = 'void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; }';

describe('model-backed agents (scripted provider)', () => {
  it('a reply without code is a refine turn, not a crash; the next turn sees why', async () => {
    const p = new Scripted(['Sorry, I would rather not.', '```c\n' + GOOD + '\n```']);
    const w = new LlmWriter({ provider: p, template: new Template('Improve {{ target.name }}: {{ idea.title }}', PROMPT_SCHEMAS.writer), maxTurns: 2 });
    const [s] = await w.sessions(ctx());
    const d1 = await s.next();
    expect(d1!.problem).toMatch(/no ```c block defining sum/);
    const d2 = await s.next(d1!.problem);
    expect(d2!.problem).toBeUndefined();
    expect(d2!.source).toContain('void sum(');
    expect(p.seen[1].messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(p.seen[1].messages[2].content).toContain('no ```c block');
    expect(p.seen[0].messages[0].content).toBe('Improve sum: vectorise');
  });

  it('flags outside the allow-list are refused as a refine turn', async () => {
    const p = new Scripted(['FLAGS: -O0\n```c\n' + GOOD + '\n```']);
    const [s] = await new LlmWriter({ provider: p, template: new Template('x', PROMPT_SCHEMAS.writer), maxTurns: 1 }).sessions(ctx());
    expect((await s.next())!.problem).toMatch(/FLAGS may only use/);
  });

  it('the analyzer falls back to no diagnosis when its provider is down, and says so', async () => {
    const warnings: string[] = [];
    const a = new LlmAnalyzer({ provider: new Scripted([new ProviderError('scripted', 'HTTP 503', { retryable: true, status: 503 })]), analyze: new Template('a', PROMPT_SCHEMAS.analyzer), warn: (m) => warnings.push(m) });
    const d = await a.analyze(ctx());
    expect(d.ideas).toEqual([]);
    expect(warnings[0]).toMatch(/analyzer for sum: scripted: HTTP 503; the round goes on without it/);
  });

  it('extracts the kernel from the last fenced block that defines it', () => {
    expect(extractKernel('```c\nint helper;\n```\ntext\n```c\n' + GOOD + '\n```', 'sum')).toContain('void sum(');
    expect(extractKernel(GOOD, 'sum')).toContain('void sum(');
    expect(extractKernel('no code here', 'sum')).toBeUndefined();
  });

  it('a provider shared by several roles never has more calls in flight than its limit', async () => {
    let inFlight = 0;
    let most = 0;
    const slow: ModelProvider = {
      name: 'slow',
      model: 'm',
      async generate() {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { text: '', usage: { inputTokens: 0, outputTokens: 0 }, model: 'm' };
      },
    };
    const queue = new PQueue({ concurrency: 2 });
    const a = new LimitedProvider(slow, queue);
    const b = new LimitedProvider(slow, queue);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).generate({ messages: [], meta: { role: 'writer' } })));
    expect(most).toBe(2);
  });
});
