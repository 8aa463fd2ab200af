import type { Spend } from '../agents/index.js';
import type { Winner } from '../memory/index.js';
import type { ModelQuality } from '../model/index.js';
import { addGain, addSpend, closeOpen, emptyPolicyStats, endRound, familyOf, proposalReward, recordProposal, setRoof, startRound, type PolicyStats } from '../policy/index.js';
import type { CandidateResult, Journaled, KloopEvent, RunOptionsSnapshot, TargetFinal } from './events.js';
import type { TargetProgress } from './stop.js';
import type { WorkflowSnapshot } from '../workflow/index.js';

/** A target's counters: rounds, keeps, and rounds in a row in which the writer had nothing new. */
export interface TargetCounters extends TargetProgress {
  emptyRounds: number;
}

/**
 * What a run has done so far. There is one way it changes: `applyEvent`, for each event the run
 * journals, in order; the live run and `--resume` (which folds the journal) use the same function,
 * so a resumed run is in exactly the state the killed one had journaled.
 */
export interface RunState {
  runId: string;
  /** What the run was launched with (its run.start event): --resume continues with these. */
  options?: RunOptionsSnapshot;
  /** Targets the run was launched on. */
  targets: string[];
  /** The device fingerprint the run measures on and keys memory by (its run.start). */
  fingerprint?: string;
  /** Wall time of the sessions before the current one (closed by a run.resume). */
  priorElapsedMs: number;
  /** First and latest event time of the current session (epoch ms). */
  sessionStart?: number;
  lastEventAt?: number;
  results: CandidateResult[];
  resultIds: Set<string>;
  progress: Map<string, TargetCounters>;
  stopped: Map<string, string>;
  /** Candidates whose baseline update was journaled. */
  adopted: Set<string>;
  /** Candidates whose git commit was journaled. */
  committed: Set<string>;
  /** Kept candidates' review records (winner.selected), by candidate id. */
  winners: Map<string, Winner>;
  /** Model usage, for the cost ledger. */
  spend: Spend[];
  /** Per target, the last same-run measurement of its reference against its best kernel (target.final). */
  finals: Map<string, TargetFinal>;
  /** The run.end reason, once the run has ended. */
  ended?: string;
  /** The compute model's quality on this run's candidates (model.quality, journaled at the run's end). */
  model?: { name: string; trained: number } & ModelQuality;
  /** The configuration in force (run.start, then each workflow.reloaded): what --resume continues with. */
  workflow?: { hash: string; snapshot: WorkflowSnapshot };
  /** The hash of the WORKFLOW.md content last acted on (applied or reported invalid). */
  workflowSeen?: string;
  /** PO1's statistics (policy/): per target its rounds' time, gain and spend, widening, roof, move families' rewards. */
  policy: PolicyStats;
}

export function emptyState(runId: string): RunState {
  return {
    runId,
    targets: [],
    priorElapsedMs: 0,
    results: [],
    resultIds: new Set(),
    progress: new Map(),
    stopped: new Map(),
    adopted: new Set(),
    committed: new Set(),
    winners: new Map(),
    spend: [],
    finals: new Map(),
    policy: emptyPolicyStats(),
  };
}

/** A target's counters (zero until its first round). */
export function progressOf(s: RunState, target: string): TargetCounters {
  return s.progress.get(target) ?? { rounds: 0, lastKeepRound: 0, roundsSinceKeep: 0, emptyRounds: 0 };
}

function counters(s: RunState, target: string): TargetCounters {
  let p = s.progress.get(target);
  if (!p) s.progress.set(target, (p = progressOf(s, target)));
  return p;
}

/** The one reducer of run state: apply one journaled event (in journal order). Returns the state. */
export function applyEvent(s: RunState, e: Journaled | (KloopEvent & { ts?: string })): RunState {
  const t = e.ts ? Date.parse(e.ts) : undefined;
  if (e.type === 'run.start' || e.type === 'run.resume') {
    // A new session: the previous one's wall time is closed at its last event.
    if (s.sessionStart !== undefined && s.lastEventAt !== undefined) s.priorElapsedMs += s.lastEventAt - s.sessionStart;
    s.sessionStart = t;
    s.ended = undefined;
    // Rounds a kill left open are closed at the previous session's last event.
    closeOpen(s.policy, s.lastEventAt);
  }
  if (t !== undefined) s.lastEventAt = t;
  switch (e.type) {
    case 'run.start':
      s.options = e.options;
      s.targets = e.targets;
      s.fingerprint = e.fingerprint;
      if (e.workflow) {
        s.workflow = e.workflow;
        s.workflowSeen = e.workflow.hash;
      }
      break;
    case 'workflow.reloaded':
      s.options = e.options;
      s.workflow = { hash: e.hash, snapshot: e.workflow };
      s.workflowSeen = e.hash;
      break;
    case 'workflow.invalid':
      s.workflowSeen = e.hash;
      break;
    case 'round.start': {
      const p = counters(s, e.target);
      p.rounds = Math.max(p.rounds, e.round);
      startRound(s.policy, e.target, e.round, t);
      break;
    }
    case 'baseline.profile':
      setRoof(s.policy, e.target, e.profile.roofline.pctOfRoof);
      break;
    case 'round.end': {
      const p = counters(s, e.target);
      if (e.kept) {
        p.lastKeepRound = e.round;
        p.roundsSinceKeep = 0;
      } else p.roundsSinceKeep++;
      // A round in which the writer proposed nothing new (a round cut short by the clock is not one).
      if (e.proposed !== undefined) p.emptyRounds = e.proposed ? 0 : p.emptyRounds + 1;
      endRound(s.policy, e.target, t, { round: e.round, kept: !!e.kept, proposed: e.proposed });
      break;
    }
    case 'candidate.result':
      if (!s.resultIds.has(e.result.id)) {
        s.resultIds.add(e.result.id);
        s.results.push(e.result);
        recordProposal(s.policy, e.result.target, e.result.kinds.map(familyOf), proposalReward(e.result));
        if (e.result.status === 'keep' && e.result.speedup) {
          addGain(s.policy, e.result.target, e.result.speedup);
          setRoof(s.policy, e.result.target, e.result.pctOfRoof);
        }
      }
      break;
    case 'winner.selected':
      s.winners.set(e.winner.candidateId, e.winner);
      break;
    case 'git.commit':
      s.committed.add(e.id);
      break;
    case 'baseline.updated':
      s.adopted.add(e.id);
      // A new best makes an earlier final measurement stale.
      s.finals.delete(e.target);
      break;
    case 'target.final': {
      const { type: _type, seq: _seq, ts: _ts, ...final } = e as Journaled & { type: 'target.final' };
      s.finals.set(e.target, final);
      break;
    }
    case 'model.usage':
      s.spend.push(e.spend);
      if (e.spend.target) addSpend(s.policy, e.spend.target, e.spend.usd, e.spend.inputTokens + e.spend.outputTokens);
      break;
    case 'policy.decision':
      s.policy.decisions = Math.max(s.policy.decisions, e.n);
      break;
    case 'target.stopped':
      s.stopped.set(e.target, e.reason);
      break;
    case 'model.quality':
      s.model = { name: e.model, trained: e.trained, ...e.quality };
      break;
    case 'run.end':
      s.ended = e.reason;
      break;
  }
  return s;
}

/** The state a journal describes: its events folded through `applyEvent`. */
export function replay(runId: string, events: Journaled[]): RunState {
  return events.reduce(applyEvent, emptyState(runId));
}

/** Wall time the run has had, counting the current session up to `now` (epoch ms). */
export function elapsedMs(s: RunState, now: number): number {
  return s.priorElapsedMs + (s.sessionStart !== undefined ? now - s.sessionStart : 0);
}

/**
 * Kept candidates whose adoption the journal does not show complete (the run was killed in between):
 * not adopted as the baseline, or adopted but not committed.
 */
export function pendingKeeps(s: RunState, git: boolean): CandidateResult[] {
  return s.results.filter((r) => r.status === 'keep' && (!s.adopted.has(r.id) || (git && !s.committed.has(r.id))));
}
