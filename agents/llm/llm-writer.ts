import { cudaFlagsAllowed } from '../../devices/index.js';
import { contractLines } from '../../targets/index.js';
import type { Template } from '../../workflow/index.js';
import type { ChatMessage, ModelProvider } from '../providers/index.js';
import type { Draft, Idea, Writer, WriterSession, WriteContext } from '../roles.js';
import { extractFlags, extractKernel } from './code.js';
import { planVars, promptVars } from './prompt-vars.js';

export function writerSystemPrompt(ctx: WriteContext): string {
  const t = ctx.target;
  if (ctx.deviceProfile.fingerprint.kind === 'cuda')
    return [
      `You are an expert GPU performance engineer. You rewrite CUDA kernels to run faster on ${ctx.deviceProfile.fingerprint.model} while computing exactly the same function.`,
      `Reply with the complete kernel file in one \`\`\`cuda block. It must define the host function \`${t.signature}\` (C linkage is declared for you) and may define __global__ kernels and static helpers.`,
      `The scalar type \`real\` (${t.real}) is defined and <cuda_runtime.h> and <math.h> are included. The pointers are device pointers. Launch on the default stream; kloop synchronizes and checks errors after the call.`,
      'No streams, events, graphs, clocks, host callbacks, host copies or static device state; a workspace comes from cudaMallocAsync/cudaFreeAsync on stream 0.',
      `Optionally add one line \`FLAGS: ...\` with nvcc flags, chosen from: ${cudaFlagsAllowed(t).join(' ') || '(none)'}.`,
      'Inputs are never aliased with outputs. Your kernel is checked on sizes you are not shown (including ones that are not multiples of any tile size) and timed against the current baseline.',
    ].join('\n');
  return [
    'You are an expert performance engineer. You rewrite C kernels to run faster while computing exactly the same function.',
    `Reply with the complete kernel file in one \`\`\`c block. It must define \`${t.signature}\` and may define static helper functions; nothing else with external linkage.`,
    `The scalar type \`real\` (${t.real}) is defined for you; do not define it. <math.h>, <stddef.h> and <stdint.h> are already included; you may include other standard headers and use OpenMP pragmas.`,
    `Optionally add one line \`FLAGS: ...\` with compiler flags, chosen from: ${t.allow.flags.join(' ')}.`,
    'Inputs are never aliased with outputs. Your kernel is checked on sizes you are not shown and timed against the current baseline.',
    ...contract(t),
  ].join('\n');
}

/** What the kernel may assume about its scalars and integer arrays (nothing for a target without them). */
function contract(t: WriteContext['target']): string[] {
  const lines = contractLines(t);
  return lines.length ? ['What the parameters hold (and all the verifier assumes; it draws every case this allows):', ...lines.map((l) => `- ${l}`)] : [];
}

class LlmSession implements WriterSession {
  private readonly messages: ChatMessage[] = [];
  private turn = 0;
  private lastSource: string;

  constructor(
    private readonly o: { provider: ModelProvider; template: Template; maxTurns: number },
    private readonly ctx: WriteContext,
    private readonly slot: { id: string; dir: string },
    private readonly idea: Idea,
  ) {
    this.lastSource = ctx.baseline.source;
  }

  async next(feedback?: string): Promise<Draft | undefined> {
    const { ctx } = this;
    const cuda = ctx.deviceProfile.fingerprint.kind === 'cuda';
    this.turn++;
    const prompt =
      this.turn === 1
        ? this.o.template.render({ ...promptVars({ ...ctx, turn: 1, maxTurns: this.o.maxTurns }), plan: planVars(ctx.diagnosis), idea: { title: this.idea.title, detail: this.idea.detail }, feedback: feedback ?? '' })
        : `Your kernel was not accepted:\n${feedback}\n\nReply with the corrected complete kernel in one \`\`\`${cuda ? 'cuda' : 'c'} block.`;
    this.messages.push({ role: 'user', content: prompt });
    const res = await this.o.provider.generate({
      system: writerSystemPrompt(ctx),
      messages: [...this.messages],
      meta: { role: 'writer', target: ctx.target.name, round: ctx.round, candidate: this.slot.id, turn: this.turn },
      workDir: this.slot.dir,
      files: {
        [cuda ? 'kernel.cu' : 'kernel.c']: this.lastSource,
        'TARGET.md': `# ${ctx.target.name}\n\n${ctx.target.description}\n\n    ${ctx.target.signature}\n${contract(ctx.target)
          .map((l) => `${l.startsWith('- ') ? '' : '\n'}${l}\n`)
          .join('')}`,
        'FEEDBACK.md': feedback ?? '',
      },
    });
    this.messages.push({ role: 'assistant', content: res.text });
    const transcript = { prompt, reply: res.text };
    const description = `${this.o.provider.name}/${this.o.provider.model}: ${this.idea.title}`;
    const code = extractKernel(res.text, ctx.target.fn);
    const allowed = new Set(cuda ? cudaFlagsAllowed(ctx.target) : ctx.target.allow.flags);
    const asked = extractFlags(res.text);
    if (!code) return { source: '', flags: [], description, kinds: ['llm'], transcript, problem: `Your reply had no \`\`\`${cuda ? 'cuda' : 'c'} block defining ${ctx.target.fn}(...). Reply with the complete kernel file.` };
    if (asked && asked.some((f) => !allowed.has(f)))
      return { source: code, flags: [], description, kinds: ['llm'], transcript, problem: `FLAGS may only use: ${[...allowed].join(' ')} (you asked for ${asked.filter((f) => !allowed.has(f)).join(' ')}).` };
    const flags = asked ?? [...new Set([...ctx.baseline.flags, ...(/#\s*pragma\s+omp/.test(code) && allowed.has('-fopenmp') ? ['-fopenmp'] : [])])];
    this.lastSource = code;
    return { source: code, flags, description, kinds: ['llm'], transcript };
  }
}

/** A writer backed by a model: one session per candidate, each with its own idea and refine turns. */
export class LlmWriter implements Writer {
  readonly name: string;
  constructor(private readonly o: { provider: ModelProvider; template: Template; maxTurns: number }) {
    this.name = `${o.provider.name}/${o.provider.model}`;
  }

  async sessions(ctx: WriteContext): Promise<WriterSession[]> {
    const ideas = ctx.diagnosis.ideas.length ? ctx.diagnosis.ideas : [{ title: 'your best idea', detail: 'make it faster', favour: [] }];
    return ctx.slots.map((slot, i) => new LlmSession(this.o, ctx, slot, ideas[i % ideas.length]));
  }
}
