/** Stop conditions: small predicates over the run's state, combined with any(). */
export interface TargetProgress {
  rounds: number;
  /** Round number of the last kept candidate (0 = none yet). */
  lastKeepRound: number;
  roundsSinceKeep: number;
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
    s.target && s.target.roundsSinceKeep >= k ? `no improvement in ${k} rounds` : undefined;

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
