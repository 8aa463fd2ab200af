import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Api = 'anthropic' | 'openai';

/** What the server does with one request. */
export type Step = { reply: string; inputTokens?: number; outputTokens?: number } | { status: number; retryAfter?: string; body?: string } | { hang: true } | { garbage: string };

export interface SeenRequest {
  api: Api;
  n: number;
  body: { model: string; stream?: boolean; system?: unknown; messages: { role: string; content: unknown }[]; max_tokens?: number };
  headers: IncomingMessage['headers'];
  /** All message text, system included, for assertions. */
  text: string;
}

/**
 * A local server that speaks the Anthropic Messages API (POST /v1/messages) and the OpenAI Chat
 * Completions API (POST /v1/chat/completions), as JSON or as SSE streams when the request asks
 * for one. Tests script it step by step; the real SDKs talk to it through their base URLs.
 */
export class LlmServer {
  readonly requests: SeenRequest[] = [];
  private server!: Server;
  private readonly hung: ServerResponse[] = [];
  port = 0;

  constructor(private script: (r: SeenRequest) => Step) {}

  setScript(script: (r: SeenRequest) => Step): void {
    this.script = script;
  }

  get anthropicUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get openaiUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const api: Api | undefined = req.url === '/v1/messages' ? 'anthropic' : req.url === '/v1/chat/completions' ? 'openai' : undefined;
    if (!api || req.method !== 'POST') {
      res.writeHead(404).end('{}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeenRequest['body'];
    const content = (c: unknown) => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((x: { text?: string }) => x.text ?? '').join('') : '');
    const text = [content(body.system), ...body.messages.map((m) => content(m.content))].join('\n');
    const seen: SeenRequest = { api, n: this.requests.length + 1, body, headers: req.headers, text };
    this.requests.push(seen);
    const step = this.script(seen);
    if ('hang' in step) {
      this.hung.push(res);
      return;
    }
    if ('garbage' in step) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(step.garbage);
      return;
    }
    if ('status' in step) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (step.retryAfter) headers['retry-after'] = step.retryAfter;
      const err = api === 'anthropic' ? { type: 'error', error: { type: 'api_error', message: step.body ?? `status ${step.status}` } } : { error: { message: step.body ?? `status ${step.status}`, type: 'server_error' } };
      res.writeHead(step.status, headers).end(JSON.stringify(err));
      return;
    }
    const usage = { input: step.inputTokens ?? Math.ceil(text.length / 4), output: step.outputTokens ?? Math.ceil(step.reply.length / 4) };
    if (api === 'anthropic') this.anthropic(res, body, step.reply, usage);
    else this.openai(res, body, step.reply, usage);
  }

  private anthropic(res: ServerResponse, body: SeenRequest['body'], reply: string, usage: { input: number; output: number }): void {
    const message = {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output },
    };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input, output_tokens: 1 } } });
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const piece of reply.match(/[\s\S]{1,40}/g) ?? []) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  private openai(res: ServerResponse, body: SeenRequest['body'], reply: string, usage: { input: number; output: number }): void {
    const u = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
    if (!body.stream) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage: u }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: unknown, finish: string | null, extra: object = {}) =>
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
    chunk({ role: 'assistant', content: '' }, null);
    for (const piece of reply.match(/[\s\S]{1,40}/g) ?? []) chunk({ content: piece }, null);
    chunk({}, 'stop');
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: u })}\n\n`);
    res.write('data: [DONE]\n\n');
    res.end();
  }
}

/** A reply carrying a kernel. */
export const codeReply = (code: string, note = 'Here is a faster kernel.') => `${note}\n\n\`\`\`c\n${code}\n\`\`\`\n`;
