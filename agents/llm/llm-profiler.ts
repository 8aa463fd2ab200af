import { ProviderError } from '../../common/index.js';
import type { Template } from '../../workflow/index.js';
import { BuiltinProfiler } from '../builtin/profiler.js';
import type { ModelProvider } from '../providers/index.js';
import type { BaselineProfile, Profiler, RoundContext } from '../roles.js';
import { promptVars } from './prompt-vars.js';

/** The measurement is the device's; the model adds its reading of it to the profile's summary. */
export class LlmProfiler implements Profiler {
  readonly name: string;
  private readonly measure = new BuiltinProfiler();

  constructor(private readonly o: { provider: ModelProvider; template: Template; warn: (m: string) => void }) {
    this.name = `${o.provider.name}/${o.provider.model}`;
  }

  async profile(ctx: RoundContext & { medianNs: number }): Promise<BaselineProfile> {
    const p = await this.measure.profile(ctx);
    const prompt = `${this.o.template.render(promptVars({ ...ctx, profile: p }))}\n\nIn at most three sentences, say what limits this kernel on this device.`;
    try {
      const r = await this.o.provider.generate({ messages: [{ role: 'user', content: prompt }], meta: { role: 'profiler', target: ctx.target.name, round: ctx.round } });
      return { ...p, summary: `${p.summary}. ${r.text.trim().slice(0, 1000)}` };
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      this.o.warn(`profiler for ${ctx.target.name}: ${e.message}; using the measurement alone`);
      return p;
    }
  }
}
