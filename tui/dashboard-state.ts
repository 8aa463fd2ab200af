import type { KloopEvent } from '../loop/index.js';
import { roofPhrase } from '../devices/index.js';
import { describeReload, formatEvent } from './event-line.js';

export interface TargetView {
  name: string;
  /** Speedup over the reference of the current baseline, and its history (for the sparkline). */
  best: number;
  history: number[];
  round: number;
  /** The current baseline against its roof: "48% of the L2 roof" (devices/roofline.ts). */
  roof?: string;
  stopped?: string;
  /** Set once `best` is the run's final measurement against the reference (else best is chained). */
  measured?: { ciLow: number; ciHigh: number; pairs: number };
}

export interface DashboardState {
  runId?: string;
  startedAt?: number;
  now: number;
  minutes?: number;
  rounds?: number;
  spentUsd: number;
  budgetUsd?: number;
  tokens: number;
  candidates: number;
  keeps: number;
  targets: TargetView[];
  inFlight: { id: string; target: string; state: string }[];
  events: string[];
  ended?: string;
  /** The last WORKFLOW.md reload: applied (with what changed) or an edit that did not load (file, key, what is wrong). */
  workflow?: { ok: boolean; line: string };
  /** PO1's last decision: the target chosen, why, and every active target's share of time and score. */
  policy?: { target?: string; why: string; arms: { target: string; share: number; score?: number }[] };
}

export const emptyDashboard = (): DashboardState => ({ now: 0, spentUsd: 0, tokens: 0, candidates: 0, keeps: 0, targets: [], inFlight: [], events: [] });

/** Fold one event into the view. Pure: the view only reads events, it never drives the loop. */
export function reduce(s: DashboardState, e: KloopEvent & { ts?: string }, maxEvents = 8): DashboardState {
  const now = e.ts ? Date.parse(e.ts) : Date.now();
  const next: DashboardState = { ...s, now, targets: s.targets.map((t) => ({ ...t, history: [...t.history] })), inFlight: [...s.inFlight], events: s.events };
  const target = (name: string) => {
    let t = next.targets.find((x) => x.name === name);
    if (!t) next.targets.push((t = { name, best: 1, history: [1], round: 0 }));
    return t;
  };
  switch (e.type) {
    case 'run.start':
      next.runId = e.runId;
      next.startedAt = now;
      next.minutes = e.options.minutes;
      next.rounds = e.options.rounds || undefined;
      next.budgetUsd = e.options.budgetUsd;
      e.targets.forEach(target);
      break;
    case 'run.resume':
      next.runId = e.runId;
      next.startedAt ??= now;
      break;
    case 'round.start':
      target(e.target).round = e.round;
      break;
    case 'baseline.profile': {
      const t = target(e.target);
      if (t.history.length === 1) t.best = t.history[0] = e.profile.vsReference;
      t.roof = roofPhrase(e.profile.roofline, 0);
      break;
    }
    case 'candidate.state': {
      const i = next.inFlight.findIndex((c) => c.id === e.id);
      if (i >= 0) next.inFlight[i] = { ...next.inFlight[i], state: e.state };
      else next.inFlight.push({ id: e.id, target: e.target, state: e.state });
      break;
    }
    case 'candidate.proposed':
      if (!next.inFlight.some((c) => c.id === e.id)) next.inFlight.push({ id: e.id, target: e.target, state: 'writing' });
      break;
    case 'candidate.result':
      next.inFlight = next.inFlight.filter((c) => c.id !== e.result.id);
      next.candidates++;
      if (e.result.status === 'keep') {
        next.keeps++;
        const r = e.result;
        if (r.pctOfRoof !== undefined && r.roofLevel && r.roofBound) target(r.target).roof = roofPhrase({ pctOfRoof: r.pctOfRoof, level: r.roofLevel, bound: r.roofBound }, 0);
      }
      break;
    case 'baseline.updated': {
      const t = target(e.target);
      t.best = e.vsReference;
      t.history.push(e.vsReference);
      t.measured = undefined;
      break;
    }
    case 'target.final': {
      const t = target(e.target);
      t.best = e.speedup;
      t.measured = { ciLow: e.ciLow, ciHigh: e.ciHigh, pairs: e.pairs };
      if (e.pairs) t.history.push(e.speedup);
      break;
    }
    case 'target.stopped':
      target(e.target).stopped = e.reason;
      break;
    case 'policy.decision':
      next.policy = { target: e.target, why: e.why, arms: e.arms.map(({ target, share, score }) => ({ target, share, score })) };
      break;
    case 'model.usage':
      next.spentUsd += e.spend.usd;
      next.tokens += e.spend.inputTokens + e.spend.outputTokens;
      break;
    case 'workflow.reloaded':
      next.workflow = { ok: true, line: describeReload(e) };
      next.minutes = e.options.minutes;
      next.rounds = e.options.rounds || undefined;
      next.budgetUsd = e.options.budgetUsd;
      break;
    case 'workflow.invalid':
      next.workflow = { ok: false, line: `edit not applied (last good configuration kept): ${e.message}` };
      break;
    case 'run.end':
      next.ended = e.reason;
      next.inFlight = [];
      break;
  }
  const line = formatEvent(e);
  if (line && e.type !== 'candidate.state') next.events = [...s.events, line].slice(-maxEvents);
  return next;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values on a log scale (speedups). */
export function sparkline(values: number[], width = 16): string {
  const v = values.slice(-width).map((x) => Math.log(Math.max(x, 1e-9)));
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => BARS[hi > lo ? Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1)) : 0]).join('');
}
