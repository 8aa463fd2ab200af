import type { BaselineProfile, Diagnosis, Spend } from '../agents/index.js';
import type { DeviceProfile } from '../devices/index.js';
import type { Outcome, Winner } from '../memory/index.js';
import type { ModelQuality } from '../model/index.js';
import type { PolicyArm } from '../policy/index.js';
import type { Distribution, Layer } from '../verifiers/index.js';
import type { SettingChange, WorkflowSnapshot } from '../workflow/index.js';
import type { RunDisk } from './run-disk.js';
import type { SpeedupEstimate } from './stats.js';

/** One row of results.tsv, and the payload of a candidate.result event. */
export interface CandidateResult {
  id: string;
  target: string;
  round: number;
  status: Outcome;
  /** Against the baseline it was timed with. */
  speedup?: number;
  ciLow?: number;
  ciHigh?: number;
  /**
   * Over the target's reference kernel, chained: the baseline's figure times this step's speedup.
   * An estimate, not a measurement (the measured figure is the run's target.final event).
   */
  vsReference?: number;
  /** tested | rejected (layer) */
  verdict: string;
  /** The gate layer that rejected it (as data; `verdict` says it in words). */
  layer?: Layer;
  description: string;
  reason?: string;
  flags: string[];
  kinds: string[];
  medianNs?: number;
  gflops?: number;
  pctOfRoof?: number;
  /** The memory level whose roof `pctOfRoof` is of (devices/roofline.ts), and whether that roof is memory or compute. */
  roofLevel?: string;
  roofBound?: 'memory' | 'compute';
  pairs?: number;
  /** Writer turns it took (refinement after compile errors or verifier feedback). */
  turns?: number;
  /**
   * A round's selected winner: the estimate it was selected on (best of N, inflated by the
   * selection). Its speedup, ciLow, ciHigh and pairs then come from fresh pairs timed afterwards.
   */
  selection?: SpeedupEstimate;
  /**
   * The compute model's prediction for the draft that was measured, made when it arrived (before
   * the model trained on its time): median time at the bench size, and speedup over the baseline.
   */
  predictedNs?: number;
  predictedSpeedup?: number;
}

/** The final, same-run measurement of a target: its reference against its best kernel, interleaved. */
export interface TargetFinal {
  target: string;
  /** The best kernel's candidate id, or 'reference' (then 1x, no pairs). */
  id: string;
  /** The best kernel's verifier verdict: proved | tested | reference. */
  verdict: string;
  speedup: number;
  ciLow: number;
  ciHigh: number;
  pairs: number;
  referenceNs?: number;
  bestNs?: number;
  /** The fleet worker that timed the pairs (absent: this machine). */
  measuredBy?: string;
}

export type KloopEvent =
  /** `workflow`: the effective configuration the run starts with and the hash of the file's text (absent in journals of older runs). */
  | { type: 'run.start'; runId: string; targets: string[]; fingerprint: string; options: RunOptionsSnapshot; agents?: Record<string, string>; pid?: number; workflow?: { hash: string; snapshot: WorkflowSnapshot } }
  | { type: 'run.resume'; runId: string; pid?: number }
  /** `by`: the fleet worker whose published profile the run uses (its class's device); absent: this machine's. */
  | { type: 'device.profile'; profile: DeviceProfile; measured: boolean; by?: string }
  | { type: 'round.start'; target: string; round: number; baseline: string }
  /** The data this run times a target on: drawn once per run (and again on a resume), like a check's. */
  | { type: 'bench.input'; target: string; seed: number; distribution: Distribution }
  /** `measuredBy`: the fleet worker that timed the baseline alone (absent: this machine, or a kept candidate's time from its fresh pairs, whose worker its fleet.confirm.json names). */
  | { type: 'baseline.profile'; target: string; round: number; profile: BaselineProfile; measuredBy?: string }
  | { type: 'analysis'; target: string; round: number; diagnosis: Diagnosis }
  | { type: 'candidate.proposed'; target: string; round: number; id: string; description: string; flags: string[]; /** The compute model's predicted time (absent while it has too few measurements). */ predictedNs?: number }
  | { type: 'candidate.state'; target: string; id: string; state: 'building' | 'checking' | 'timing' }
  /** A kept candidate's review record, journaled before its result (so --resume can add it to memory). */
  | { type: 'winner.selected'; winner: Winner }
  | { type: 'candidate.result'; result: CandidateResult }
  | { type: 'candidate.retimed'; target: string; round: number; id: string; selection: SpeedupEstimate; fresh: SpeedupEstimate; adopted: boolean }
  | { type: 'baseline.updated'; target: string; id: string; vsReference: number; speedup: number; verdict?: string }
  | { type: 'git.commit'; target: string; id: string; branch: string; sha: string }
  /** `proposed`: candidates the writer proposed (0: nothing new); absent when the round was cut short by the clock. */
  | { type: 'round.end'; target: string; round: number; kept?: string; proposed?: number }
  | { type: 'target.stopped'; target: string; reason: string }
  /**
   * PO1's choice of the next round (policy/): the `n`th decision, the chosen target and its round
   * (absent when no target's round fits in what is left: the run ends), why, every active target's
   * score, and what the chosen target's writer is told: how far to widen its search, how many
   * archived variants it may restart from, the move families' weights.
   */
  | { type: 'policy.decision'; n: number; target?: string; round?: number; why: string; arms: PolicyArm[]; widen?: number; archive?: number; families?: Record<string, number> }
  | ({ type: 'target.final' } & TargetFinal)
  | { type: 'model.usage'; spend: Spend }
  | { type: 'sandbox'; level: string; layers: { layer: string; ok: boolean; detail: string }[]; probeMs: number }
  | { type: 'warning'; message: string }
  /** At the run's end: the compute model's quality on this run's candidates, each predicted before it trained on them. */
  | { type: 'model.quality'; model: string; fingerprint: string; trained: number; quality: ModelQuality }
  | { type: 'run.end'; reason: string; disk?: RunDisk }
  /**
   * An edit to WORKFLOW.md picked up at a round boundary: the effective settings it changed
   * (`applied`, for work not yet started), those that need a new run (`restart`, not applied),
   * the launch flags it overrides (`overrides`: the edit is newer), and the configuration now in force with the run's
   * options under it (what --resume continues with).
   */
  | {
      type: 'workflow.reloaded';
      file: string;
      hash: string;
      applied: SettingChange[];
      restart: SettingChange[];
      overrides: { key: string; flag: string }[];
      workflow: WorkflowSnapshot;
      options: RunOptionsSnapshot;
      agents?: Record<string, string>;
    }
  /** An edit that does not load: the last good configuration stays in force; `message` names the file and key. */
  | { type: 'workflow.invalid'; file: string; hash: string; message: string };

/** What a run was started with, so that --resume continues with the same settings. */
export interface RunOptionsSnapshot {
  targets: string[];
  /** Per target, the sizes of a session at a workload node's sizes (`kloop run --workload`; null: its bench size); absent: every target at its bench size. */
  sizes?: (Record<string, number> | null)[];
  workflowFile: string;
  rounds: number;
  minutes?: number;
  deadline?: string;
  noImprovementRounds: number;
  candidates: number;
  /** Rounds of different targets in flight at once (1: one after another); absent in journals of older runs. */
  pipeline?: number;
  budgetUsd?: number;
  budgetTokens?: number;
  /** Which of rounds and minutes a command-line flag set (a WORKFLOW.md edit does not change those). */
  flags?: { minutes?: boolean; rounds?: boolean };
  /** --provider / --model / --memory / --replay as launched. */
  provider?: string;
  model?: string;
  memoryPath?: string;
  replay?: string;
}

export type Journaled = KloopEvent & { seq: number; ts: string };
export type Emit = (e: KloopEvent) => void;
