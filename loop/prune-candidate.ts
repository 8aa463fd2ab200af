import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { entries, lstat } from './disk-usage.js';

/**
 * What a judged candidate folder keeps: what a reviewer and a resume read. Its source (a resume
 * re-adopts a kept candidate from kernel.c), candidate.json, build.log, verdict.json (the reason and
 * a reproducer for a rejection), timings.json and timings.fresh.json, fleet.json and fleet.confirm.json
 * (which fleet worker measured it, under which result key), the writer's transcripts
 * (turns/), and small logs anywhere (*.log, *.txt). A kept candidate (a new baseline) also keeps its
 * built program (top-level *.bin, *.o). Everything else goes: bench-size outputs (timed.out), check
 * outputs (*.out), the lane folders, the sanitizer and proof builds, objects, preprocessed source.
 * Removed outputs of some size, and every timed.out, leave their sha256 in pruned.json.
 *
 * Nothing read after a verdict lives here: baselines are built and timed again in the run's
 * baselines/ folder (final-timing.ts), never from a candidate's folder.
 */
export const PRUNED_FILE = 'pruned.json';

const KEEP_FILES = new Set(['kernel.c', 'kernel.cu', 'candidate.json', 'build.log', 'verdict.json', 'timings.json', 'timings.fresh.json', 'fleet.json', 'fleet.confirm.json', PRUNED_FILE]);
const KEEP_DIRS = new Set(['turns']);
const LOG = /\.(log|txt)$/;
const LOG_MAX = 256 * 1024;
const PROGRAM = /\.(bin|o)$/;
const OUTPUT = /\.out$/;
/** Removed outputs from this size up leave their hash (timed.out always does). */
const HASH_FROM = 64 * 1024;

export interface Removal {
  /** Relative to the candidate's folder. */
  path: string;
  bytes: number;
}

export interface CandidatePrune {
  dir: string;
  remove: Removal[];
  /** Outputs to hash before they go. */
  hash: Removal[];
  bytes: number;
}

export interface PrunedRecord {
  note: string;
  bytes: number;
  removed: string[];
  sha256: Record<string, { bytes: number; sha256: string }>;
}

/** What pruning a candidate's folder would remove (nothing is touched). */
export function planCandidatePrune(dir: string, o: { kept: boolean }): CandidatePrune {
  const plan: CandidatePrune = { dir, remove: [], hash: [], bytes: 0 };
  if (lstat(dir)?.isDirectory()) visit(plan, '', o.kept);
  plan.bytes = plan.remove.reduce((n, r) => n + r.bytes, 0);
  return plan;
}

/** Plans the folder `rel`; true when something under it stays. */
function visit(plan: CandidatePrune, rel: string, kept: boolean): boolean {
  let stays = false;
  for (const e of entries(join(plan.dir, rel))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    const st = lstat(join(plan.dir, path));
    if (!st) continue;
    if (st.isDirectory()) {
      if (!rel && KEEP_DIRS.has(e.name)) {
        stays = true;
        continue;
      }
      const from = plan.remove.length;
      if (visit(plan, path, kept)) stays = true;
      else {
        // Nothing stays below: the folder goes as one entry.
        const inner = plan.remove.splice(from).reduce((n, r) => n + r.bytes, 0);
        plan.remove.push({ path, bytes: inner + st.size });
      }
      continue;
    }
    if (st.isFile() && keepsFile(e.name, st.size, !rel, kept)) {
      stays = true;
      continue;
    }
    plan.remove.push({ path, bytes: st.size });
    if (st.isFile() && (e.name === 'timed.out' || (OUTPUT.test(e.name) && st.size >= HASH_FROM))) plan.hash.push({ path, bytes: st.size });
  }
  return stays;
}

function keepsFile(name: string, bytes: number, top: boolean, kept: boolean): boolean {
  if (top && KEEP_FILES.has(name)) return true;
  if (top && kept && PROGRAM.test(name)) return true;
  return LOG.test(name) && bytes <= LOG_MAX;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Carry out a plan: hash the outputs, remove, record what went in pruned.json (merged with an
 * earlier record). Never throws: what cannot be removed is reported through `log` and stays.
 * Returns the bytes freed. Its file work does not block the loop's thread (it runs as rounds end, beside other rounds).
 */
export async function applyCandidatePrune(plan: CandidatePrune, log: (message: string) => void): Promise<number> {
  if (!plan.remove.length) return 0;
  const sums: PrunedRecord['sha256'] = {};
  for (const f of plan.hash) {
    try {
      sums[f.path] = { bytes: f.bytes, sha256: await sha256(join(plan.dir, f.path)) };
    } catch (e) {
      log(`${plan.dir}: could not hash ${f.path}: ${(e as Error).message}`);
    }
  }
  const removed: string[] = [];
  let bytes = 0;
  for (const r of plan.remove) {
    try {
      await rm(join(plan.dir, r.path), { recursive: true, force: true });
      removed.push(r.path);
      bytes += r.bytes;
    } catch (e) {
      log(`${plan.dir}: could not remove ${r.path}: ${(e as Error).message}`);
    }
  }
  try {
    const file = join(plan.dir, PRUNED_FILE);
    const before: Partial<PrunedRecord> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PrunedRecord) : {};
    const record: PrunedRecord = {
      note: 'judged: bench-size and check outputs, lane folders and build products were removed; outputs of some size are listed with their sha256',
      bytes: (before.bytes ?? 0) + bytes,
      removed: [...(before.removed ?? []), ...removed],
      sha256: { ...before.sha256, ...sums },
    };
    writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    log(`${plan.dir}: could not write ${PRUNED_FILE}: ${(e as Error).message}`);
  }
  return bytes;
}

/** Prune one judged candidate's folder now; never throws. Returns the bytes freed. */
export async function pruneCandidate(dir: string, o: { kept: boolean; log: (message: string) => void }): Promise<number> {
  try {
    return await applyCandidatePrune(planCandidatePrune(dir, o), o.log);
  } catch (e) {
    o.log(`${dir}: not pruned: ${(e as Error).message}`);
    return 0;
  }
}
