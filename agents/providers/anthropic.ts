import type Anthropic from '@anthropic-ai/sdk';
import type { GenerateRequest, GenerateResult, ModelProvider, SdkProviderOptions } from './provider.js';
import { fromSdkError } from './sdk-errors.js';

export type AnthropicOptions = SdkProviderOptions;

/** Claude through @anthropic-ai/sdk (Messages API), JSON or SSE streaming. The SDK's own retries are off: ours wrap it. */
export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic';
  readonly model: string;
  /** The SDK is loaded on the first request: a run with the built-in writer never loads it. */
  private client?: Promise<Anthropic>;

  constructor(private readonly o: AnthropicOptions) {
    this.model = o.model;
  }

  private sdk(): Promise<Anthropic> {
    const o = this.o;
    return (this.client ??= import('@anthropic-ai/sdk').then((m) => new m.default({ apiKey: o.apiKey, baseURL: o.baseURL, maxRetries: 0, timeout: o.timeoutMs })));
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const params = {
      model: this.o.model,
      max_tokens: this.o.maxTokens,
      ...(this.o.temperature !== undefined ? { temperature: this.o.temperature } : {}),
      ...(req.system ? { system: req.system } : {}),
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    try {
      const client = await this.sdk();
      const msg = this.o.stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      const text = msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return { text, usage: { inputTokens: msg.usage?.input_tokens ?? 0, outputTokens: msg.usage?.output_tokens ?? 0 }, model: msg.model ?? this.o.model, stopReason: msg.stop_reason ?? undefined };
    } catch (e) {
      throw fromSdkError(this.name, e);
    }
  }
}
