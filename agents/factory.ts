import PQueue from 'p-queue';
import { ConfigError, UserError } from '../common/index.js';
import type { Sandbox } from '../sandboxes/index.js';
import type { Role, Template, Workflow } from '../workflow/index.js';
import { BuiltinAnalyzer, BuiltinProfiler, BuiltinWriter } from './builtin/index.js';
import { LlmAnalyzer, LlmProfiler, LlmWriter } from './llm/index.js';
import {
  AnthropicProvider,
  CommandProvider,
  costUsd,
  DEFAULT_PRICES,
  LimitedProvider,
  MeteredProvider,
  OpenAiProvider,
  PausingProvider,
  priceOf,
  RecordingProvider,
  ReplayProvider,
  RetryingProvider,
  type ModelProvider,
  type Spend,
} from './providers/index.js';
import type { Analyzer, Profiler, Writer } from './roles.js';

export const DEFAULT_MODELS: Record<string, string> = { anthropic: 'claude-sonnet-4-5', openai: 'gpt-4.1' };

export interface AgentOptions {
  workflow: Workflow;
  env: NodeJS.ProcessEnv;
  /** `--provider` / `--model`: the writer's choice for this run. */
  writerProvider?: string;
  writerModel?: string;
  record?: string;
  replay?: string;
  sandbox: Sandbox;
  scratchDir: string;
  onUsage: (s: Spend) => void;
  warn: (m: string) => void;
  now?: () => number;
}

export interface Agents {
  profiler: Profiler;
  analyzer: Analyzer;
  writer: Writer;
  maxTurns: number;
  /** Providers that can be paused, to report or wait on. */
  pausable: PausingProvider[];
  describe: Record<'profiler' | 'analyzer' | 'writer' | 'partitioner', string>;
  /** A model-backed partitioner (agents.partitioner, with its "## partitioner" prompt); undefined when builtin (GP1 alone). */
  partitioner?: { provider: ModelProvider; template: Template };
}

type RoleCfg = Workflow['config']['agents']['writer'] | Workflow['config']['agents']['analyzer'];

/** Build the three roles' agents from WORKFLOW.md; a missing key fails here, at start, in one line. */
export function createAgents(o: AgentOptions): Agents {
  const cfg = o.workflow.config;
  const file = o.workflow.file;
  const queues = new Map<string, PQueue>();
  const pausable: PausingProvider[] = [];
  const roles = {
    profiler: { ...cfg.agents.profiler },
    analyzer: { ...cfg.agents.analyzer },
    writer: { ...cfg.agents.writer, ...(o.writerProvider ? { provider: o.writerProvider as RoleCfg['provider'] } : {}), ...(o.writerModel ? { model: o.writerModel } : {}) },
    partitioner: { ...cfg.agents.partitioner },
  };
  if (o.writerProvider && !['builtin', 'anthropic', 'openai', 'command'].includes(o.writerProvider)) throw new UserError(`--provider ${o.writerProvider}: use builtin, anthropic, openai or command`);
  if (roles.writer.provider === 'command' && !roles.writer.command) throw new ConfigError(file, 'agents.writer.command', 'provider "command" needs command: { argv: [program, args...] }');
  const prices = { ...DEFAULT_PRICES, ...cfg.pricing };

  const provider = (role: 'profiler' | 'analyzer' | 'writer' | 'partitioner', r: RoleCfg): ModelProvider => {
    const name = r.provider;
    const settings = cfg.providers[name as 'anthropic' | 'openai' | 'command'];
    const model = r.model ?? DEFAULT_MODELS[name] ?? name;
    let base: ModelProvider;
    if (o.replay) base = new ReplayProvider(o.replay, role);
    else if (name === 'anthropic') {
      const apiKey = o.env.ANTHROPIC_API_KEY;
      if (!apiKey) throw new UserError(`agents.${role}.provider is anthropic (${file}) but ANTHROPIC_API_KEY is not set: export it, or choose another provider`);
      base = new AnthropicProvider({ apiKey, baseURL: r.base_url ?? o.env.ANTHROPIC_BASE_URL, model, maxTokens: r.max_tokens, temperature: r.temperature, timeoutMs: r.timeout_s * 1000, stream: r.stream });
    } else if (name === 'openai') {
      const apiKey = o.env.OPENAI_API_KEY ?? (r.base_url ? 'none' : undefined);
      if (!apiKey) throw new UserError(`agents.${role}.provider is openai (${file}) but OPENAI_API_KEY is not set: export it, set agents.${role}.base_url for a local server, or choose another provider`);
      base = new OpenAiProvider({ apiKey, baseURL: r.base_url ?? o.env.OPENAI_BASE_URL, model, maxTokens: r.max_tokens, temperature: r.temperature, timeoutMs: r.timeout_s * 1000, stream: r.stream });
    } else {
      const c = r.command!;
      base = new CommandProvider({ argv: c.argv, timeoutMs: c.timeout_s * 1000, outputBytes: c.output_bytes, env: c.env, sandbox: o.sandbox, scratchDir: o.scratchDir });
    }
    let p: ModelProvider = base;
    if (!o.replay) {
      p = new RetryingProvider(p, { maxRetries: settings.retries, initialDelayMs: 1000, maxDelayMs: 60_000, onRetry: (e, n, ms) => o.warn(`${role}: ${e.message}; retry ${n} in ${(ms / 1000).toFixed(1)} s`) });
      const paused = new PausingProvider(p, {
        threshold: settings.pause_after,
        cooldownMs: settings.pause_s * 1000,
        now: o.now,
        onPause: (until, e) => o.warn(`${role} (${name}) paused until ${new Date(until).toISOString()} after repeated failures (${e.message}); other work continues`),
      });
      pausable.push(paused);
      p = new LimitedProvider(paused, queues.get(name) ?? queues.set(name, new PQueue({ concurrency: settings.concurrency })).get(name)!);
    }
    if (o.record) p = new RecordingProvider(p, o.record);
    const price = priceOf(model, prices);
    if (!price && name !== 'command' && !o.replay) o.warn(`no price known for model ${model}: its cost counts as $0 (add it under pricing: in ${file})`);
    return new MeteredProvider(p, (req, res, prov) =>
      o.onUsage({
        provider: prov,
        model: res.model || model,
        role: req.meta.role,
        target: req.meta.target,
        inputTokens: res.usage.inputTokens,
        outputTokens: res.usage.outputTokens,
        usd: costUsd(price, res.usage.inputTokens, res.usage.outputTokens),
      }),
    );
  };

  const template = (role: Role): Template => {
    const t = o.workflow.prompts[role];
    if (!t) throw new ConfigError(file, `## ${role}`, `a model-backed ${role === 'reflect' ? 'analyzer' : role} needs a "## ${role}" prompt section`);
    return t;
  };

  const profiler = roles.profiler.provider === 'builtin' ? new BuiltinProfiler() : new LlmProfiler({ provider: provider('profiler', roles.profiler), template: template('profiler'), warn: o.warn });
  const analyzer = roles.analyzer.provider === 'builtin' ? new BuiltinAnalyzer() : new LlmAnalyzer({ provider: provider('analyzer', roles.analyzer), analyze: template('analyzer'), reflect: o.workflow.prompts.reflect, warn: o.warn });
  const w = roles.writer;
  const writer =
    w.provider === 'builtin'
      ? new BuiltinWriter({ depth: cfg.agents.writer.search_depth, beam: cfg.agents.writer.beam, searchMs: cfg.agents.writer.search_ms })
      : new LlmWriter({ provider: provider('writer', w), template: template('writer'), maxTurns: w.max_turns });
  const label = (r: RoleCfg) => (r.provider === 'builtin' ? 'builtin' : `${r.provider}/${r.model ?? DEFAULT_MODELS[r.provider] ?? r.command?.argv[0]}`);
  const partitioner = roles.partitioner.provider === 'builtin' ? undefined : { provider: provider('partitioner', roles.partitioner), template: template('partitioner') };
  return {
    profiler,
    analyzer,
    writer,
    maxTurns: w.provider === 'builtin' ? 1 : w.max_turns,
    pausable,
    describe: { profiler: label(roles.profiler), analyzer: label(roles.analyzer), writer: label(w), partitioner: label(roles.partitioner) },
    partitioner,
  };
}
