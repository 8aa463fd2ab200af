import { z } from 'zod';
import { ProviderError } from '../../common/index.js';
import type { Insight } from '../../memory/index.js';
import type { Template } from '../../workflow/index.js';
import { BuiltinAnalyzer } from '../builtin/analyzer.js';
import type { ChatMessage, ModelProvider } from '../providers/index.js';
import type { Analyzer, BaselineProfile, CandidateOutcome, Diagnosis, RoundContext } from '../roles.js';
import { extractJson } from './code.js';
import { outcomeVars, planVars, promptVars } from './prompt-vars.js';

const diagnosisSchema = z.object({
  bottleneck: z.enum(['memory', 'compute', 'latency', 'parallelism', 'locality', 'unknown']),
  summary: z.string().min(1),
  ideas: z.array(z.object({ title: z.string().min(1), detail: z.string().default('') })).min(1),
});

const lessonsSchema = z.object({ lessons: z.array(z.object({ candidate: z.string(), lesson: z.string().min(1) })) });

const DIAGNOSIS_FORMAT = `Answer with one JSON object and nothing else:
{"bottleneck": "memory" | "compute" | "latency" | "parallelism" | "locality" | "unknown", "summary": "one paragraph", "ideas": [{"title": "short", "detail": "what to change and why"}, ...]}`;
const LESSONS_FORMAT = `Answer with one JSON object and nothing else: {"lessons": [{"candidate": "<id>", "lesson": "what this result teaches for later rounds"}]}`;

/**
 * The analyzer on a model: a validated JSON diagnosis (one repair turn if invalid, then the round
 * goes on without it), and reflection that turns outcomes into lessons in memory.
 */
export class LlmAnalyzer implements Analyzer {
  readonly name: string;
  private readonly fallback = new BuiltinAnalyzer();

  constructor(private readonly o: { provider: ModelProvider; analyze: Template; reflect?: Template; warn: (m: string) => void }) {
    this.name = `${o.provider.name}/${o.provider.model}`;
  }

  private async ask<T>(schema: z.ZodType<T>, prompt: string, meta: { role: 'analyzer' | 'reflect'; target: string; round: number }): Promise<T | undefined> {
    const messages: ChatMessage[] = [{ role: 'user', content: prompt }];
    for (let attempt = 0; attempt < 2; attempt++) {
      let text: string;
      try {
        text = (await this.o.provider.generate({ messages, meta: { ...meta, turn: attempt + 1 } })).text;
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        this.o.warn(`${meta.role} for ${meta.target}: ${e.message}; the round goes on without it`);
        return undefined;
      }
      let problem: string;
      try {
        const parsed = schema.safeParse(extractJson(text));
        if (parsed.success) return parsed.data;
        problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      } catch (e) {
        problem = `not JSON (${(e as Error).message})`;
      }
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: `That answer is invalid: ${problem}. Answer again with only the JSON object.` });
    }
    this.o.warn(`${meta.role} for ${meta.target}: invalid output after one repair turn; the round goes on without it`);
    return undefined;
  }

  async analyze(ctx: RoundContext & { profile: BaselineProfile }): Promise<Diagnosis> {
    const prompt = `${this.o.analyze.render(promptVars(ctx))}\n\n${DIAGNOSIS_FORMAT}`;
    const d = await this.ask(diagnosisSchema, prompt, { role: 'analyzer', target: ctx.target.name, round: ctx.round });
    if (!d) return { bottleneck: 'unknown', summary: 'no diagnosis this round', ideas: [] };
    return { bottleneck: d.bottleneck, summary: d.summary, ideas: d.ideas.map((i) => ({ title: i.title, detail: i.detail, favour: [] })) };
  }

  async reflect(ctx: RoundContext & { profile: BaselineProfile; diagnosis: Diagnosis; fingerprint: string; runId: string; outcomes: CandidateOutcome[]; at: string }): Promise<Insight[]> {
    const base = await this.fallback.reflect(ctx);
    if (!this.o.reflect || !ctx.outcomes.length) return base;
    const prompt = `${this.o.reflect.render({ ...promptVars(ctx), plan: planVars(ctx.diagnosis), outcomes: outcomeVars(ctx.outcomes) })}\n\n${LESSONS_FORMAT}`;
    const r = await this.ask(lessonsSchema, prompt, { role: 'reflect', target: ctx.target.name, round: ctx.round });
    if (!r) return base;
    return base.map((i) => {
      const l = r.lessons.find((x) => x.candidate === i.candidateId);
      return l ? { ...i, text: `${i.text}. Lesson: ${l.lesson}` } : i;
    });
  }
}
