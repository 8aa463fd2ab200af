/**
 * What the policy knows of each target (an arm): its rounds (wall seconds, log-speedup gained,
 * spend), how far its search has been widened, how close it is to its roof, and how each family of
 * moves has paid on it. The run's reducer (loop/state.ts) folds journaled events into these with the
 * functions below, so the live run and --resume rebuild the same statistics from the same journal.
 */
export interface RoundRecord {
  round: number;
  /** Wall time from the round's start to its end. */
  seconds: number;
  /** log(speedup) of the candidate kept in the round (0 when none was kept). */
  logGain: number;
  /** The target's log-speedup in this run before the round (for Amdahl's law). */
  logBefore: number;
  usd: number;
  tokens: number;
  /** Cut short by the run's clock: not a full round's cost. */
  cut?: boolean;
}

export interface FamilyRecord {
  /** Proposals that used a move of the family, and the reward they earned (family-bandit.ts). */
  n: number;
  reward: number;
}

export interface ArmStats {
  rounds: RoundRecord[];
  /** The round in progress: from its round.start to its round.end. */
  open?: { round: number; startedAt?: number; logGain: number; usd: number; tokens: number };
  /** Sum of the rounds' logGain: the target's speedup in this run, in log. */
  logSpeedup: number;
  /** How far the writer is asked to widen its search (0: the baseline's neighbourhood). */
  widen: number;
  /** The current best's share of its measured roof, in percent (the baseline's profile, or the kept candidate's). */
  pctOfRoof?: number;
  families: Map<string, FamilyRecord>;
}

export interface PolicyStats {
  arms: Map<string, ArmStats>;
  /** Decisions journaled so far. */
  decisions: number;
}

export const emptyPolicyStats = (): PolicyStats => ({ arms: new Map(), decisions: 0 });

export function armOf(s: PolicyStats, target: string): ArmStats {
  let a = s.arms.get(target);
  if (!a) s.arms.set(target, (a = { rounds: [], logSpeedup: 0, widen: 0, families: new Map() }));
  return a;
}

export function startRound(s: PolicyStats, target: string, round: number, at?: number): void {
  armOf(s, target).open = { round, startedAt: at, logGain: 0, usd: 0, tokens: 0 };
}

/** A kept candidate's speedup over the baseline it was timed with. */
export function addGain(s: PolicyStats, target: string, speedup: number): void {
  const open = armOf(s, target).open;
  if (open && speedup > 0) open.logGain += Math.log(speedup);
}

export function addSpend(s: PolicyStats, target: string, usd: number, tokens: number): void {
  const open = armOf(s, target).open;
  if (!open) return;
  open.usd += usd;
  open.tokens += tokens;
}

export function setRoof(s: PolicyStats, target: string, pctOfRoof: number | undefined): void {
  if (pctOfRoof !== undefined && Number.isFinite(pctOfRoof)) armOf(s, target).pctOfRoof = pctOfRoof;
}

/**
 * A round's end. `proposed` is the writer's count of candidates (0: nothing new, so the next round
 * widens; undefined: the round was cut short by the clock). A kept candidate moves the baseline to a
 * new neighbourhood: the search narrows back to it.
 */
export function endRound(s: PolicyStats, target: string, at: number | undefined, o: { round: number; kept: boolean; proposed?: number }): void {
  const a = armOf(s, target);
  const open = a.open?.round === o.round ? a.open : undefined;
  const seconds = open?.startedAt !== undefined && at !== undefined ? Math.max(0.001, (at - open.startedAt) / 1000) : 1;
  a.rounds.push({ round: o.round, seconds, logGain: open?.logGain ?? 0, logBefore: a.logSpeedup, usd: open?.usd ?? 0, tokens: open?.tokens ?? 0, cut: o.proposed === undefined || undefined });
  a.logSpeedup += open?.logGain ?? 0;
  a.open = undefined;
  if (o.kept) a.widen = 0;
  else if (o.proposed === 0) a.widen++;
}

/**
 * A session ended without closing its rounds (a kill): each is closed at the session's last event,
 * as a round cut short (its gain counts, its time is not taken as a full round's cost).
 */
export function closeOpen(s: PolicyStats, at: number | undefined): void {
  for (const [target, a] of s.arms) if (a.open) endRound(s, target, at, { round: a.open.round, kept: a.open.logGain > 0 });
}

/** A proposal's reward credited to each move family it used. */
export function recordProposal(s: PolicyStats, target: string, families: string[], reward: number): void {
  const a = armOf(s, target);
  for (const f of new Set(families)) {
    const r = a.families.get(f) ?? { n: 0, reward: 0 };
    r.n++;
    r.reward += reward;
    a.families.set(f, r);
  }
}
