import type { Target } from '../targets/index.js';
import type { BenchCheck } from '../verifiers/index.js';

/**
 * What a run keeps for one target across its rounds, owned by that target alone: its bench-size
 * input and the check of timed outputs against it, the baselines it has built, and their times.
 * Rounds read and extend it; nothing here is shared between targets. A fleet's coordinator draws no
 * bench input (`remote`): its workers draw their own, and time everything there.
 */
export class TargetSession {
  /** Median time at the bench size of baselines measured in this run, by baseline key. */
  readonly baselineTimes = new Map<string, number>();
  /** Built baseline binaries (the reference included), by baseline key. */
  readonly baselineBinaries = new Map<string, string>();

  private constructor(
    readonly target: Target,
    private readonly prepared?: { input: string; bench: BenchCheck },
  ) {}

  /** Draw the bench input and prepare its check (`prepare`), once per target per run. */
  static async open(target: Target, prepare: (t: Target) => Promise<{ input: string; bench: BenchCheck }>): Promise<TargetSession> {
    return new TargetSession(target, await prepare(target));
  }

  /** A session with no bench input here: the run measures on a fleet's workers. */
  static remote(target: Target): TargetSession {
    return new TargetSession(target);
  }

  /** The bench-size input file of this run (drawn once per run). */
  get benchInput(): string {
    return this.local().input;
  }

  /** Its oracle and measured tolerance, for the outputs of timed runs. */
  get bench(): BenchCheck {
    return this.local().bench;
  }

  private local(): { input: string; bench: BenchCheck } {
    // Our own fault if reached: a fleet's coordinator measures nothing on its own device.
    if (!this.prepared) throw new Error(`${this.target.name}: no bench input on this machine: this run measures on a fleet's workers`);
    return this.prepared;
  }
}
