import type { Spend } from '../agents/index.js';
import type { CandidateResult, Journaled, RunOptionsSnapshot, TargetFinal } from './events.js';
import type { TargetProgress } from './stop.js';

/** What a run has done so far, rebuilt from its journal (for --resume) or kept live. */
export interface RunState {
  runId: string;
  options?: RunOptionsSnapshot;
  /** Wall time spent in earlier sessions of this run. */
  priorElapsedMs: number;
  results: CandidateResult[];
  resultIds: Set<string>;
  progress: Map<string, TargetProgress>;
  stopped: Map<string, string>;
  /** Kept candidates whose baseline update was not journaled (killed in between). */
  pendingKeeps: CandidateResult[];
  /** Model usage of earlier sessions, for the cost ledger. */
  spend: Spend[];
  /** Per target, the last same-run measurement of its reference against its best kernel (target.final). */
  finals: Map<string, TargetFinal>;
}

export function emptyState(runId: string): RunState {
  return { runId, priorElapsedMs: 0, results: [], resultIds: new Set(), progress: new Map(), stopped: new Map(), pendingKeeps: [], spend: [], finals: new Map() };
}

export function progressOf(s: RunState, target: string): TargetProgress {
  let p = s.progress.get(target);
  if (!p) s.progress.set(target, (p = { rounds: 0, lastKeepRound: 0, roundsSinceKeep: 0 }));
  return p;
}

export function replay(runId: string, events: Journaled[]): RunState {
  const s = emptyState(runId);
  let sessionStart: number | undefined;
  let last = 0;
  const updated = new Set<string>();
  for (const e of events) {
    const t = Date.parse(e.ts);
    if (e.type === 'run.start' || e.type === 'run.resume') {
      if (sessionStart !== undefined) s.priorElapsedMs += last - sessionStart;
      sessionStart = t;
      if (e.type === 'run.start') s.options = e.options;
    }
    last = t;
    switch (e.type) {
      case 'round.start': {
        const p = progressOf(s, e.target);
        p.rounds = Math.max(p.rounds, e.round);
        break;
      }
      case 'round.end': {
        const p = progressOf(s, e.target);
        if (e.kept) {
          p.lastKeepRound = e.round;
          p.roundsSinceKeep = 0;
        } else p.roundsSinceKeep++;
        break;
      }
      case 'candidate.result':
        if (!s.resultIds.has(e.result.id)) {
          s.resultIds.add(e.result.id);
          s.results.push(e.result);
        }
        break;
      case 'baseline.updated':
        updated.add(e.id);
        // A new best makes an earlier final measurement stale.
        s.finals.delete(e.target);
        break;
      case 'target.final': {
        const { type: _type, seq: _seq, ts: _ts, ...final } = e;
        s.finals.set(e.target, final);
        break;
      }
      case 'model.usage':
        s.spend.push(e.spend);
        break;
      case 'target.stopped':
        s.stopped.set(e.target, e.reason);
        break;
    }
  }
  if (sessionStart !== undefined) s.priorElapsedMs += last - sessionStart;
  s.pendingKeeps = s.results.filter((r) => r.status === 'keep' && !updated.has(r.id));
  return s;
}
