import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { diskUsage } from './disk-usage.js';
import { applyRunPrune, planRunPrune } from './run-disk.js';
import { liveOwner } from './run-owner.js';

/**
 * `kloop gc`: whole run folders beyond the newest `keep`, or last written more than `olderThanDays`
 * ago (with both, a run goes only when both hold: `keep` is a floor), are removed; the other runs
 * that have ended are pruned as a run prunes itself (run-disk.ts: judged candidates keep sources,
 * verdicts, timings, transcripts; check plans, bench inputs and oracles go). The folder of a live
 * run (run-owner.ts) is never touched. The bench-oracle cache older kloops kept in runs/.cache/bench
 * goes too, when no run is live.
 */
export interface GcOptions {
  runsDir: string;
  keep?: number;
  olderThanDays?: number;
  dryRun?: boolean;
  now: Date;
  /** Why a run folder is live, or undefined (default: its owner record, see run-owner.ts). */
  live?: (dir: string) => string | undefined;
}

export interface GcReport {
  dryRun: boolean;
  removed: { run: string; bytes: number; why: string }[];
  pruned: { run: string; bytes: number; candidates: number }[];
  live: { run: string; why: string }[];
  cache?: { path: string; bytes: number };
  failures: string[];
  /** Bytes freed (in a dry run: that would be freed). */
  freed: number;
}

interface RunFolder {
  id: string;
  dir: string;
  started: number;
  lastWrite: number;
}

/** Legacy bench-oracle cache (runs now keep theirs in their own folder). */
const LEGACY_BENCH_CACHE = join('.cache', 'bench');

/** The time of a journal's first event, read from its head only. */
function startedAt(journal: string): number | undefined {
  try {
    const fd = openSync(journal, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const ts = Date.parse((JSON.parse(buf.subarray(0, n).toString('utf8').split('\n')[0]) as { ts: string }).ts);
    return Number.isFinite(ts) ? ts : undefined;
  } catch {
    return undefined;
  }
}

/** Run folders under runsDir (those with a journal), newest first. */
export function listRuns(runsDir: string): RunFolder[] {
  let names: string[] = [];
  try {
    names = readdirSync(runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  const runs: RunFolder[] = [];
  for (const id of names) {
    const dir = join(runsDir, id);
    const journal = join(dir, 'journal.jsonl');
    if (!existsSync(journal)) continue;
    const lastWrite = statSync(journal).mtimeMs;
    runs.push({ id, dir, started: startedAt(journal) ?? lastWrite, lastWrite });
  }
  return runs.sort((a, b) => b.started - a.started || b.id.localeCompare(a.id));
}

export async function collectGarbage(o: GcOptions): Promise<GcReport> {
  const live = o.live ?? ((dir: string) => liveOwner(dir, { now: o.now }));
  const dryRun = !!o.dryRun;
  const report: GcReport = { dryRun, removed: [], pruned: [], live: [], failures: [], freed: 0 };
  const log = (m: string) => report.failures.push(m);
  for (const [i, run] of listRuns(o.runsDir).entries()) {
    const why = live(run.dir);
    if (why) {
      report.live.push({ run: run.id, why });
      continue;
    }
    const beyond = o.keep !== undefined && i >= o.keep;
    const days = (o.now.getTime() - run.lastWrite) / 86_400_000;
    const old = o.olderThanDays !== undefined && days > o.olderThanDays;
    const both = o.keep !== undefined && o.olderThanDays !== undefined;
    if (both ? beyond && old : beyond || old) {
      const bytes = diskUsage(run.dir);
      const reasons = [beyond && `beyond the newest ${o.keep}`, old && `last written ${days.toFixed(1)} days ago`].filter(Boolean).join(', ');
      try {
        if (!dryRun) rmSync(run.dir, { recursive: true, force: true });
        report.removed.push({ run: run.id, bytes, why: reasons });
      } catch (e) {
        log(`${run.dir}: not removed: ${(e as Error).message}`);
      }
      continue;
    }
    const plan = planRunPrune(run.dir);
    if (!plan.bytes) continue;
    const bytes = dryRun ? plan.bytes : await applyRunPrune(plan, log);
    report.pruned.push({ run: run.id, bytes, candidates: plan.candidates.length });
  }
  const cache = join(o.runsDir, LEGACY_BENCH_CACHE);
  if (existsSync(cache) && !report.live.length) {
    const bytes = diskUsage(cache);
    try {
      if (!dryRun) rmSync(cache, { recursive: true, force: true });
      report.cache = { path: cache, bytes };
    } catch (e) {
      log(`${cache}: not removed: ${(e as Error).message}`);
    }
  }
  report.freed = [...report.removed, ...report.pruned, ...(report.cache ? [report.cache] : [])].reduce((n, r) => n + r.bytes, 0);
  return report;
}
