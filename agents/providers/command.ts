import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../common/index.js';
import { describeExit, type Sandbox } from '../../sandboxes/index.js';
import type { GenerateRequest, GenerateResult, ModelProvider } from './provider.js';

export interface CommandOptions {
  /** argv; `{prompt_file}`, `{workspace}` and `{kernel_file}` are replaced. The prompt is also on stdin... as PROMPT.md. */
  argv: string[];
  timeoutMs: number;
  outputBytes: number;
  /** Environment variables passed through to the agent (its own API keys, say). */
  env: string[];
  sandbox: Sandbox;
  scratchDir: string;
}

let seq = 0;

/**
 * Any command-line coding agent: kloop prepares a scratch workspace (kernel.c, TARGET.md,
 * FEEDBACK.md, PROMPT.md), runs the command there with a timeout and output caps, and takes the
 * edited kernel.c back (or, if the file is unchanged, the agent's stdout).
 */
export class CommandProvider implements ModelProvider {
  readonly name = 'command';
  readonly model: string;

  constructor(private readonly o: CommandOptions) {
    this.model = o.argv[0] ?? 'command';
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const ws = join(req.workDir ?? this.o.scratchDir, `agent-${req.meta.turn ?? 0}-${++seq}`);
    mkdirSync(ws, { recursive: true });
    const prompt = [req.system, ...req.messages.map((m) => `${m.role === 'user' ? '' : '[your previous answer]\n'}${m.content}`)].filter(Boolean).join('\n\n');
    for (const [name, content] of Object.entries(req.files ?? {})) writeFileSync(join(ws, name), content);
    writeFileSync(join(ws, 'PROMPT.md'), prompt);
    // The kernel file kloop handed over: kernel.c, or kernel.cu for a GPU.
    const kernelFile = join(ws, Object.keys(req.files ?? {}).find((n) => /^kernel\.(c|cu)$/.test(n)) ?? 'kernel.c');
    const before = existsSync(kernelFile) ? readFileSync(kernelFile, 'utf8') : undefined;
    const sub = (a: string) => a.replaceAll('{prompt_file}', join(ws, 'PROMPT.md')).replaceAll('{workspace}', ws).replaceAll('{kernel_file}', kernelFile);
    const env: Record<string, string> = { KLOOP_PROMPT_FILE: join(ws, 'PROMPT.md'), KLOOP_KERNEL_FILE: kernelFile };
    for (const k of this.o.env) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    const r = await this.o.sandbox.run({ cmd: sub(this.o.argv[0]), args: this.o.argv.slice(1).map(sub), cwd: ws, env, limits: { timeoutMs: this.o.timeoutMs, outputBytes: this.o.outputBytes } });
    writeFileSync(join(ws, 'agent.log'), `${r.stdout}\n--- stderr ---\n${r.stderr}`);
    if (r.timedOut) throw new ProviderError(this.name, `${this.o.argv[0]} timed out after ${this.o.timeoutMs / 1000} s`, { retryable: false });
    if (r.exitCode !== 0) throw new ProviderError(this.name, `${this.o.argv[0]} failed (${describeExit(r)}): ${r.stderr.trim().slice(-300)}`, { retryable: false });
    const after = existsSync(kernelFile) ? readFileSync(kernelFile, 'utf8') : undefined;
    const text = after !== undefined && after !== before ? `\`\`\`${kernelFile.endsWith('.cu') ? 'cuda' : 'c'}\n${after}\n\`\`\`\n` : r.stdout;
    return { text, usage: { inputTokens: 0, outputTokens: 0 }, model: this.model, stopReason: r.truncated ? 'output_capped' : 'end' };
  }
}
