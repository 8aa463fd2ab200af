import type { Target } from '../targets/index.js';
import type { BenchCheck } from '../verifiers/index.js';

/**
 * What a run keeps for one target across its rounds, owned by that target alone: its bench-size
 * input and the check of timed outputs against it, the baselines it has built, and their times.
 * Rounds read and extend it; nothing here is shared between targets.
 */
export class TargetSession {
  /** Median time at the bench size of baselines measured in this run, by baseline key. */
  readonly baselineTimes = new Map<string, number>();
  /** Built baseline binaries (the reference included), by baseline key. */
  readonly baselineBinaries = new Map<string, string>();

  private constructor(
    readonly target: Target,
    /** The bench-size input file of this run (drawn once per run). */
    readonly benchInput: string,
    /** Its oracle and measured tolerance, for the outputs of timed runs. */
    readonly bench: BenchCheck,
  ) {}

  /** Draw the bench input and prepare its check (`prepare`), once per target per run. */
  static async open(target: Target, prepare: (t: Target) => Promise<{ input: string; bench: BenchCheck }>): Promise<TargetSession> {
    const { input, bench } = await prepare(target);
    return new TargetSession(target, input, bench);
  }
}
