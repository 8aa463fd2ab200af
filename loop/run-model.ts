import type { DeviceProfile } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { cacheSizesOf, Cm1Model, featurize, modelQuality, type FeatureContext, type ModelQuality, type ModelQuery, type Prediction } from '../model/index.js';
import type { Target } from '../targets/index.js';
import type { CandidateResult } from './events.js';

/** Measurements on a device after which the built-in writer ranks its proposals with the model too. */
export const WRITER_MIN_TRAINED = 20;

/** CM1 as one round sees it: the baseline's features and time are fixed for the round. */
export interface ModelRound {
  /** What the model predicts for a draft (undefined while it has too few measurements). */
  predict(source: string, flags: string[]): Prediction | undefined;
  /** The writer's view: a predicted time, once the model has WRITER_MIN_TRAINED measurements on this device. */
  hint: (source: string, flags: string[]) => number | undefined;
  /** Train on the round's measured candidates (verified and timed), then store the model. */
  learn(measured: { source: string; flags: string[]; medianNs: number; speedup?: number }[]): Promise<void>;
}

/**
 * The compute model of one run on one device: loaded from memory at the start (the previous runs'
 * model, so it improves across runs), asked about each draft as it arrives (the prediction goes on
 * the candidate's events), trained on each measured candidate once it is timed, and stored after
 * each round. Predictions are always made before the model has seen the candidate's time.
 */
export class RunModel {
  private constructor(
    private readonly model: Cm1Model,
    private readonly memory: MemoryStore,
    readonly fingerprint: string,
  ) {}

  /** The device's model from memory; one that this kloop cannot read is set aside with a warning and a fresh one starts. */
  static async open(memory: MemoryStore, fingerprint: string, warn: (m: string) => void): Promise<RunModel> {
    const { model, ignored } = Cm1Model.fromJSON(await memory.getModel(fingerprint));
    if (ignored) warn(`the compute model in memory for ${fingerprint} is not usable (${ignored}): CM1 starts afresh`);
    return new RunModel(model, memory, fingerprint);
  }

  get name(): string {
    return this.model.name;
  }

  /** Measurements trained on, this run's and earlier runs' together. */
  get trained(): number {
    return this.model.trained;
  }

  round(o: { target: Target; profile: DeviceProfile; cores: number; baseline: { source: string; flags: string[] }; baselineNs: number }): ModelRound {
    const ctx: FeatureContext = { target: o.target, profile: o.profile, cores: o.cores, ...cacheSizesOf(o.profile) };
    const base = featurize(o.baseline.source, o.baseline.flags, ctx);
    const query = (source: string, flags: string[]): ModelQuery => ({ features: featurize(source, flags, ctx), baseline: base, baselineNs: o.baselineNs });
    const predict = (source: string, flags: string[]) => this.model.predict(query(source, flags));
    return {
      predict,
      hint: (source, flags) => (this.model.trained >= WRITER_MIN_TRAINED ? predict(source, flags)?.ns : undefined),
      learn: async (measured) => {
        for (const m of measured) this.model.update(query(m.source, m.flags), m.medianNs, m.speedup);
        if (measured.length) await this.memory.putModel(this.fingerprint, this.model.toJSON());
      },
    };
  }
}

/** A result that is a measurement: verified, timed, and its timed run passed the gate's last layers. */
export const isMeasured = (r: CandidateResult): boolean => (r.status === 'keep' || r.status === 'discard') && r.medianNs !== undefined && r.speedup !== undefined;

/** The model's quality over a run's results: each prediction was made before the model trained on that candidate. */
export function runModelQuality(results: CandidateResult[]): ModelQuality {
  return modelQuality(results.filter((r) => isMeasured(r) && r.predictedNs !== undefined).map((r) => ({ predictedNs: r.predictedNs!, measuredNs: r.medianNs!, predictedSpeedup: r.predictedSpeedup, measuredSpeedup: r.speedup })));
}
