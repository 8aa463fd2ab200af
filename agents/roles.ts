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
  /** Set when the writer produced nothing usable this turn (e.g. a reply without code). */
  problem?: string;
  /** The prompt and reply of this turn, saved with the candidate. */
  transcript?: { prompt: string; reply: string };
}

/** What a role is told of an earlier candidate (the loop's results carry more). */
export interface PastCandidate {
  id: string;
  round: number;
  status: Outcome;
  speedup?: number;
  verdict: string;
  description: string;
  reason?: string;
}

/** Everything a role's prompt can draw on: fresh each round, from memory, never a growing chat. */
export interface RoundContext {
  target: Target;
  baseline: Baseline;
  deviceProfile: DeviceProfile;
  insights: Insight[];
  /** This target's recent candidates (any run), oldest first. */
  history: PastCandidate[];
  round: number;
  candidates: number;
  cores: number;
  seed: number;
}

export interface WriteContext extends RoundContext {
  profile: BaselineProfile;
  diagnosis: Diagnosis;
  /** Program keys tried before on this target and device. */
  tried: Set<string>;
  /** One slot per candidate the round will evaluate: id and work folder. */
  slots: { id: string; dir: string }[];
  /**
   * How far to widen the search (0 or absent: the baseline's neighbourhood). Set after rounds in
   * which the writer had nothing new: the built-in writer then chains deeper, keeps a wider beam, and
   * restarts from the archive's variants as well as the baseline.
   */
  widen?: number;
  /** Diverse good programs for this target and device (memory's winners, this run's near-best candidates), one per move signature. */
  archive?: ArchiveEntry[];
  /** PO1's weights of move families (`tile`, `unroll`, `flag`, …) on this target: above 1 a family has paid better than the others. */
  familyWeights?: Record<string, number>;
  /**
   * The compute model's predicted time (ns at the bench size) for a draft, before anything is built;
   * undefined while the model has too few measurements on this device to be trusted for ranking.
   */
  predict?: (source: string, flags: string[]) => number | undefined;
  /**
   * For a writer that searches on this machine's CPU: await it every few milliseconds of work. It
   * lets the loop start other processes meanwhile, and pauses the search while a timed run needs the
   * device to itself (the search holds the device's lock shared).
   */
  pause?: () => Promise<void>;
}

/** A variant the writer may restart its search from. */
export interface ArchiveEntry {
  source: string;
  flags: string[];
  /** The moves that made it, for its description. */
  kinds: string[];
}

/** One writer working on one candidate; `next` gets the verifier's feedback on the previous draft. */
export interface WriterSession {
  next(feedback?: string): Promise<Draft | undefined>;
}

export interface Writer {
  readonly name: string;
  /** Up to ctx.slots.length sessions (a writer with fewer ideas returns fewer). */
  sessions(ctx: WriteContext): Promise<WriterSession[]>;
}

export interface Profiler {
  readonly name: string;
  profile(ctx: RoundContext & { medianNs: number }): Promise<BaselineProfile>;
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
  analyze(ctx: RoundContext & { profile: BaselineProfile }): Promise<Diagnosis>;
  /** Lessons from a finished round, written to memory. */
  reflect(ctx: RoundContext & { profile: BaselineProfile; diagnosis: Diagnosis; fingerprint: string; runId: string; outcomes: CandidateOutcome[]; at: string }): Promise<Insight[]>;
}

/** A writer whose drafts are all known up front (the built-in one): one session per draft, no refinement. */
export function oneShotSessions(drafts: Draft[]): WriterSession[] {
  return drafts.map((d) => {
    let given = false;
    return {
      async next() {
        if (given) return undefined;
        given = true;
        return d;
      },
    };
  });
}
