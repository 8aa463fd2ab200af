import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { diskUsage } from './disk-usage.js';
import { applyCandidatePrune, planCandidatePrune, pruneCandidate, type CandidatePrune, type Removal } from './prune-candidate.js';
import { parseResults } from './results-tsv.js';

/**
 * A run's disk: judged candidates are pruned as each round ends (prune-candidate.ts), with the
 * round's check plan (inputs and oracles, made fresh every round); at the run's end the bench
 * inputs, their oracles and whatever an interrupted round left go too, and what stays is measured.
 * `kloop gc` applies the same rule to runs that have ended (run-gc.ts).
 */

/** Folders of a run that no later step reads once it has ended: check plans and bench inputs (rounds/), bench oracles (bench/). */
const SCRATCH = ['rounds', 'bench'];

export interface RunDisk {
  /** Bytes under the run folder at the end of the run, after pruning. */
  bytes: number;
  candidates: number;
  /** Bytes the end-of-run pruning freed. */
  freed: number;
}

export interface RunPrune {
  runDir: string;
  candidates: CandidatePrune[];
  /** Whole folders of the run (relative to it). */
  scratch: Removal[];
  bytes: number;
}

/** After a round: its candidates are judged (the kept one keeps its program) and its check plan is spent. Never throws. */
export async function pruneRound(o: { candidateDirs: { id: string; dir: string }[]; kept?: string; planDir: string; log: (message: string) => void }): Promise<number> {
  const failures: string[] = [];
  let freed = 0;
  for (const c of o.candidateDirs) freed += await pruneCandidate(c.dir, { kept: c.id === o.kept, log: (m) => failures.push(m) });
  try {
    freed += diskUsage(o.planDir);
    await rm(o.planDir, { recursive: true, force: true });
  } catch (e) {
    failures.push(`${o.planDir}: not removed: ${(e as Error).message}`);
  }
  if (failures.length) o.log(`pruning after the round: ${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`);
  return freed;
}

/** Kept candidates of a run, from its results.tsv. */
export function keptIds(runDir: string): Set<string> {
  try {
    const file = join(runDir, 'results.tsv');
    return new Set(
      existsSync(file)
        ? parseResults(readFileSync(file, 'utf8'))
            .filter((r) => r.status === 'keep')
            .map((r) => r.id)
        : [],
    );
  } catch {
    return new Set();
  }
}

/** What pruning an ended run would remove (nothing is touched). */
export function planRunPrune(runDir: string, kept: Set<string> = keptIds(runDir)): RunPrune {
  const dir = join(runDir, 'candidates');
  let ids: string[] = [];
  try {
    ids = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    /* no candidates */
  }
  const candidates = ids.map((id) => planCandidatePrune(join(dir, id), { kept: kept.has(id) })).filter((p) => p.remove.length);
  const scratch = SCRATCH.filter((s) => existsSync(join(runDir, s))).map((s) => ({ path: s, bytes: diskUsage(join(runDir, s)) }));
  return { runDir, candidates, scratch, bytes: candidates.reduce((n, p) => n + p.bytes, 0) + scratch.reduce((n, s) => n + s.bytes, 0) };
}

/** Carry out a run's plan; never throws. Returns the bytes freed. */
export async function applyRunPrune(plan: RunPrune, log: (message: string) => void): Promise<number> {
  let freed = 0;
  for (const p of plan.candidates) freed += await applyCandidatePrune(p, log);
  for (const s of plan.scratch) {
    try {
      await rm(join(plan.runDir, s.path), { recursive: true, force: true });
      freed += s.bytes;
    } catch (e) {
      log(`${plan.runDir}: could not remove ${s.path}: ${(e as Error).message}`);
    }
  }
  return freed;
}

/** The run's end: prune what no later step reads, then measure what stays. Never throws. */
export async function settleRun(runDir: string, results: { id: string; status: string }[], log: (message: string) => void): Promise<RunDisk> {
  const failures: string[] = [];
  let freed = 0;
  try {
    freed = await applyRunPrune(planRunPrune(runDir, new Set(results.filter((r) => r.status === 'keep').map((r) => r.id))), (m) => failures.push(m));
  } catch (e) {
    failures.push(`${runDir}: not pruned: ${(e as Error).message}`);
  }
  if (failures.length) log(`pruning at the end of the run: ${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`);
  return { bytes: diskUsage(runDir), candidates: results.length, freed };
}
