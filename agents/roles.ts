import type { DeviceProfile, Roofline } from '../devices/index.js';
import type { Baseline, Insight, Outcome } from '../memory/index.js';
import type { Target } from '../targets/index.js';

/** What the profiler found about the current baseline. */
export interface BaselineProfile {
  target: string;
  medianNs: number;
  roofline: Roofline;
  vsReference: number;
  summary: string;
}

export interface Idea {
  title: string;
  detail: string;
  /** Move kinds (or kind:param) the idea calls for; the built-in writer favours them. */
  favour: string[];
}

export interface Diagnosis {
  bottleneck: 'memory' | 'compute' | 'latency' | 'parallelism' | 'locality' | 'unknown';
  summary: string;
  ideas: Idea[];
}

/** A candidate kernel as a writer hands it over. */
export interface Draft {
  source: string;
  flags: string[];
  description: string;
  /** Moves applied, for memory's statistics. */
  kinds: string[];
}

export interface WriteContext {
  target: Target;
  baseline: Baseline;
  profile: BaselineProfile;
  diagnosis: Diagnosis;
  insights: Insight[];
  /** Program keys tried before on this target and device. */
  tried: Set<string>;
  count: number;
  round: number;
  seed: number;
  cores: number;
}

export interface Profiler {
  readonly name: string;
  profile(ctx: { target: Target; baseline: Baseline; deviceProfile: DeviceProfile; medianNs: number }): Promise<BaselineProfile>;
}

export interface CandidateOutcome {
  candidateId: string;
  kinds: string[];
  description: string;
  outcome: Outcome;
  speedup?: number;
  ciLow?: number;
  ciHigh?: number;
  reason?: string;
}

export interface Analyzer {
  readonly name: string;
  analyze(ctx: { target: Target; baseline: Baseline; profile: BaselineProfile; insights: Insight[]; count: number }): Promise<Diagnosis>;
  /** Lessons from a finished round, written to memory. */
  reflect(ctx: { target: Target; fingerprint: string; runId: string; round: number; outcomes: CandidateOutcome[]; at: string }): Promise<Insight[]>;
}

export interface Writer {
  readonly name: string;
  write(ctx: WriteContext): Promise<Draft[]>;
}
