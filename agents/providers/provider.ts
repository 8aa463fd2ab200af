/** The small interface every model provider implements; cross-cutting behaviour wraps it. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Where a request comes from: for records, replays, saved transcripts and cost accounting. */
export interface RequestMeta {
  role: 'profiler' | 'analyzer' | 'writer' | 'reflect' | 'partitioner';
  target?: string;
  round?: number;
  candidate?: string;
  turn?: number;
}

export interface GenerateRequest {
  system?: string;
  messages: ChatMessage[];
  meta: RequestMeta;
  /** A scratch folder the command provider may use (the candidate's). */
  workDir?: string;
  /** Files a command-line agent gets in its workspace (name -> content). */
  files?: Record<string, string>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface GenerateResult {
  text: string;
  usage: Usage;
  model: string;
  stopReason?: string;
}

export interface ModelProvider {
  readonly name: string;
  readonly model: string;
  generate(req: GenerateRequest): Promise<GenerateResult>;
}

/** Map a Stainless-style SDK error (Anthropic, OpenAI) to a ProviderError. */
export interface SdkErrorShape {
  status?: number;
  headers?: { get(name: string): string | null };
  message: string;
}

/** What both HTTP providers (Anthropic, OpenAI-compatible) are configured with. */
export interface SdkProviderOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  maxTokens: number;
  temperature?: number;
  timeoutMs: number;
  stream: boolean;
}
