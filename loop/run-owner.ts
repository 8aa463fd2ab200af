import { pidAlive } from '../common/index.js';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Journal } from './journal.js';

/**
 * Which process owns a run folder: `owner.json` (pid, host, since), written when a run (or its
 * resume) starts and removed when it ends. `kloop gc` never touches the folder of a live run.
 */
export const OWNER_FILE = 'owner.json';

export interface RunOwner {
  pid: number;
  host: string;
  since: string;
  /** When the process started (Linux: clock ticks since boot): with the pid, it names the process even after its pid is reused. */
  start?: string;
}

/** When a process started (field 22 of /proc/PID/stat), or undefined where that cannot be read. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function claimRun(dir: string, now: Date): void {
  const owner: RunOwner = { pid: process.pid, host: hostname(), since: now.toISOString(), start: startOf(process.pid) };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner) + '\n');
}

/** Remove the owner record, if it is this process's. */
export function releaseRun(dir: string): void {
  try {
    const file = join(dir, OWNER_FILE);
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as RunOwner).pid === process.pid) rmSync(file, { force: true });
  } catch {
    /* a torn record: gc judges it by the pid, which is gone once this process is */
  }
}

export interface LivenessOptions {
  now: Date;
  alive?: (pid: number) => boolean;
  host?: string;
  /** A run without an owner record (written by an older kloop) whose journal moved this recently is live. */
  quietMs?: number;
}

/**
 * Why a run folder belongs to a live process, or undefined when it does not (its pid is gone, or now
 * names a process that started at another time). An owner on another host cannot be checked: live.
 * A folder without an owner record counts as live while its journal has no run.end and was written
 * within `quietMs` (10 minutes).
 */
export function liveOwner(dir: string, o: LivenessOptions): string | undefined {
  const file = join(dir, OWNER_FILE);
  if (existsSync(file)) {
    let owner: RunOwner;
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as RunOwner;
    } catch {
      return `an unreadable ${OWNER_FILE}`;
    }
    if (owner.host !== (o.host ?? hostname())) return `owned by pid ${owner.pid} on ${owner.host} (cannot be checked from here)`;
    if (!(o.alive ?? pidAlive)(owner.pid)) return undefined;
    // Pids are reused (within seconds on a busy machine, where pid_max is 32768): a live process
    // that started at another time than the owner is another process, and the owner is gone.
    const start = owner.start === undefined ? undefined : startOf(owner.pid);
    return start !== undefined && start !== owner.start ? undefined : `owned by live pid ${owner.pid}`;
  }
  const journal = join(dir, 'journal.jsonl');
  if (!existsSync(journal)) return undefined;
  const age = o.now.getTime() - statSync(journal).mtimeMs;
  // (at least quietMs: a journal written within the same millisecond is quiet for quietMs 0)
  if (age >= (o.quietMs ?? 600_000)) return undefined;
  return Journal.read(journal).at(-1)?.type === 'run.end' ? undefined : `no owner record, journal written ${Math.round(age / 1000)} s ago`;
}
