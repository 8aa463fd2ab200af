/** Stop conditions: small predicates over the run's state, combined with any(). */
export interface TargetProgress {
  rounds: number;
  /** Round number of the last kept candidate (0 = none yet). */
  lastKeepRound: number;
  roundsSinceKeep: number;
  /** How far the writer's search has been widened (0: the baseline's neighbourhood). */
  widen?: number;
  /** The current best's share of its measured roof, in percent. */
  pctOfRoof?: number;
}

export interface StopState {
  elapsedMs: number;
  now: Date;
  spentUsd?: number;
  spentTokens?: number;
  target?: TargetProgress;
}

export type StopCondition = (s: StopState) => string | undefined;

export const maxRounds =
  (n: number): StopCondition =>
  (s) =>
    n > 0 && s.target && s.target.rounds >= n ? `${n} rounds done` : undefined;

export const budgetMinutes =
  (m: number): StopCondition =>
  (s) =>
    s.elapsedMs >= m * 60_000 ? `time budget of ${m} min spent` : undefined;

export const deadline =
  (t: Date): StopCondition =>
  (s) =>
    s.now >= t ? `deadline ${t.toISOString()} reached` : undefined;

export const noImprovementFor =
  (k: number): StopCondition =>
  (s) =>
    k > 0 && s.target && s.target.roundsSinceKeep >= k ? `no improvement in ${k} rounds` : undefined;

/** A target within `pct`% of its measured roof (its best reaches 100 - pct of it) has little left to gain. */
export const nearRoof =
  (pct: number): StopCondition =>
  (s) =>
    s.target?.pctOfRoof !== undefined && s.target.pctOfRoof >= 100 - pct ? `within ${pct}% of its roof (${s.target.pctOfRoof.toFixed(0)}% of the measured roof)` : undefined;

/** The writer had nothing new even after its search was widened `cap` times (deeper, wider, from archived variants). */
export const searchExhausted =
  (cap: number): StopCondition =>
  (s) =>
    (s.target?.widen ?? 0) > cap ? `search exhausted after widening (${cap} times: deeper chains, a wider beam, restarts from archived variants)` : undefined;

/** A condition the user set (rounds, no_improvement_rounds), named as such in the reason. */
export const userCondition =
  (c: StopCondition): StopCondition =>
  (s) => {
    const why = c(s);
    return why && `user stop condition: ${why}`;
  };

export const budgetUsd =
  (usd: number): StopCondition =>
  (s) =>
    (s.spentUsd ?? 0) >= usd ? `budget of $${usd} spent ($${(s.spentUsd ?? 0).toFixed(4)})` : undefined;

export const budgetTokens =
  (n: number): StopCondition =>
  (s) =>
    (s.spentTokens ?? 0) >= n ? `budget of ${n} tokens spent (${s.spentTokens})` : undefined;

export const any =
  (...cs: StopCondition[]): StopCondition =>
  (s) => {
    for (const c of cs) {
      const r = c(s);
      if (r) return r;
    }
    return undefined;
  };

/** The run's stop: its time budget, deadline, money and token budgets, whichever comes first. */
export function runStopOf(o: { minutes?: number; deadline?: string }, budget?: { usd?: number; tokens?: number }): StopCondition {
  return any(...(o.minutes ? [budgetMinutes(o.minutes)] : []), ...(o.deadline ? [deadline(new Date(o.deadline))] : []), ...(budget?.usd ? [budgetUsd(budget.usd)] : []), ...(budget?.tokens ? [budgetTokens(budget.tokens)] : []));
}

/** A target's stop: the user's conditions (rounds, rounds without a keep), within `pct`% of its roof, or its search exhausted after `cap` widenings. */
export function targetStopOf(o: { rounds: number; noImprovementRounds: number }, pct: number, cap: number): StopCondition {
  return any(userCondition(any(maxRounds(o.rounds), noImprovementFor(o.noImprovementRounds))), nearRoof(pct), searchExhausted(cap));
}
