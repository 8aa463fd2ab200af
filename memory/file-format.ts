import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { faultPoint } from '../common/index.js';
import { basename, dirname, join } from 'node:path';
import type { DeviceProfile } from '../devices/index.js';
import { MemoryFormatError } from './errors.js';
import type { Baseline, Insight, KeptPlan, Review, Winner } from './types.js';

/**
 * A memory on disk is a folder:
 *   state.json       the small documents (baselines, device profiles, reference times, compute
 *                    models per device), replaced
 *                    atomically under the lock
 *   tried.jsonl      programs tried, one line per addTried
 *   insights.jsonl   one insight per line
 *   winners.jsonl    one kept candidate per line (a repeated candidateId+runId is ignored on read)
 *   reviews.jsonl    one decision per line (the last for a candidate wins on read)
 *   lock             held while state.json is read, changed and replaced
 */
export const FILES = { state: 'state.json', tried: 'tried.jsonl', insights: 'insights.jsonl', winners: 'winners.jsonl', reviews: 'reviews.jsonl', lock: 'lock' } as const;

/** The folder for a memory path as configured (`.kloop/memory.json` → `.kloop/memory/`). */
export function memoryDir(memoryPath: string): string {
  const name = basename(memoryPath);
  return join(dirname(memoryPath), name.endsWith('.json') ? name.slice(0, -'.json'.length) : `${name}.d`);
}

/** What does not grow with history. */
export interface State {
  version: 2;
  baselines: Baseline[];
  profiles: DeviceProfile[];
  /** Reference median time per "target|fingerprint" (ns). */
  referenceNs: Record<string, number>;
  /**
   * A compute model per device fingerprint (absent in a state written before kloop had one; a
   * value that is not an object is ignored, and replaced by the next putModel).
   */
  models?: Record<string, unknown>;
  /** Kept CEP plans (absent in a state written before kloop had them). */
  plans?: KeptPlan[];
}

export interface TriedRecord {
  target: string;
  fingerprint: string;
  keys: string[];
}

export const emptyState = (): State => ({ version: 2, baselines: [], profiles: [], referenceNs: {} });

export const pairKey = (target: string, fingerprint: string) => `${target}|${fingerprint}`;

/** A winner is one per (candidateId, runId). */
export const winnerId = (w: Pick<Winner, 'candidateId' | 'runId'>) => `${w.candidateId}\u0000${w.runId}`;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isTried = (v: unknown): v is TriedRecord => isObject(v) && typeof v.target === 'string' && typeof v.fingerprint === 'string' && Array.isArray(v.keys);
export const isInsight = (v: unknown): v is Insight => isObject(v) && typeof v.target === 'string' && typeof v.fingerprint === 'string' && typeof v.text === 'string';
export const isWinner = (v: unknown): v is Winner => isObject(v) && typeof v.candidateId === 'string' && typeof v.runId === 'string' && typeof v.target === 'string';
export const isReview = (v: unknown): v is Review => isObject(v) && typeof v.candidateId === 'string' && (v.decision === 'approved' || v.decision === 'rejected');

/** The state file's text and what it says ("" and the empty state when there is none yet). */
export function readState(file: string): { text: string; state: State } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', state: emptyState() };
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MemoryFormatError(file, 'not valid JSON', { cause: e });
  }
  if (!isObject(v) || !Array.isArray(v.baselines) || !Array.isArray(v.profiles) || !isObject(v.referenceNs)) throw new MemoryFormatError(file, 'not a kloop memory state (baselines, profiles, referenceNs)');
  return { text, state: v as unknown as State };
}

/** Replaces the state file atomically (a reader sees the old or the new one, never half). */
export function writeState(file: string, state: State): string {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  faultPoint('memory-state'); // killed under the lock: written aside, not yet in place
  renameSync(tmp, file);
  return text;
}
