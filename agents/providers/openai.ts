import type OpenAI from 'openai';
import type { GenerateRequest, GenerateResult, ModelProvider, SdkProviderOptions } from './provider.js';
import { fromSdkError } from './sdk-errors.js';

export type OpenAiOptions = SdkProviderOptions;

/** GPT and any OpenAI-compatible server (vLLM, llama.cpp, ollama) through the openai SDK (Chat Completions). */
export class OpenAiProvider implements ModelProvider {
  readonly name = 'openai';
  readonly model: string;
  /** The SDK is loaded on the first request: a run with the built-in writer never loads it. */
  private client?: Promise<OpenAI>;

  constructor(private readonly o: OpenAiOptions) {
    this.model = o.model;
  }

  private sdk(): Promise<OpenAI> {
    const o = this.o;
    return (this.client ??= import('openai').then((m) => new m.default({ apiKey: o.apiKey, baseURL: o.baseURL, maxRetries: 0, timeout: o.timeoutMs })));
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const messages = [...(req.system ? [{ role: 'system' as const, content: req.system }] : []), ...req.messages.map((m) => ({ role: m.role, content: m.content }))];
    const common = { model: this.o.model, max_tokens: this.o.maxTokens, messages, ...(this.o.temperature !== undefined ? { temperature: this.o.temperature } : {}) };
    try {
      const client = await this.sdk();
      if (!this.o.stream) {
        const r = await client.chat.completions.create(common);
        const c = r.choices[0];
        return { text: c?.message?.content ?? '', usage: { inputTokens: r.usage?.prompt_tokens ?? 0, outputTokens: r.usage?.completion_tokens ?? 0 }, model: r.model ?? this.o.model, stopReason: c?.finish_reason ?? undefined };
      }
      const stream = await client.chat.completions.create({ ...common, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage = { inputTokens: 0, outputTokens: 0 };
      let model = this.o.model;
      let stopReason: string | undefined;
      for await (const chunk of stream) {
        model = chunk.model ?? model;
        const c = chunk.choices?.[0];
        if (c?.delta?.content) text += c.delta.content;
        if (c?.finish_reason) stopReason = c.finish_reason;
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
      }
      return { text, usage, model, stopReason };
    } catch (e) {
      throw fromSdkError(this.name, e);
    }
  }
}
