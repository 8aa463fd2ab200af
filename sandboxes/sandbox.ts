import { existsSync } from 'node:fs';
/** Resource limits applied to one sandboxed process. */
export interface Limits {
  /** Wall clock; the whole process group is SIGKILLed when it runs out. */
  timeoutMs: number;
  cpuSeconds?: number;
  addressSpaceMb?: number;
  fileSizeMb?: number;
  openFiles?: number;
  /** Processes and threads of the candidate (its own uid as root, its own user namespace otherwise; default 256). */
  processes?: number;
  /** Bytes of stdout and of stderr kept; the rest is dropped. */
  outputBytes?: number;
  /**
   * A niceness for the process (negative: ahead of everything else on the machine, kloop's own
   * thread included; applied only where kloop runs as root). Timed runs use it: on a 2-core machine
   * kloop's bookkeeping beside a 2-thread kernel stalled its OpenMP barriers (a stencil parallel
   * inside its time loop timed 8x slower with one busy thread beside it, as fast as alone at -10).
   */
  priority?: number;
}

/** nice(1), to start a process at a raised priority (root only). */
export const NICE = ['/usr/bin/nice', '/bin/nice'].find((x) => existsSync(x));
/** The `nice -n P` prefix a spec's priority asks for, where it can be applied (root, nice(1) found). */
export function niceArgs(l: Limits): string[] {
  return l.priority !== undefined && NICE && process.getuid?.() === 0 ? [NICE, '-n', String(l.priority)] : [];
}

export interface RunSpec {
  /** Folders the command may read besides the system ones (harness objects, inputs). */
  readOnly?: string[];
  /** Device nodes the command needs (a GPU's /dev/nvidia*): bound into the namespace where one is made. */
  devices?: string[];
  cmd: string;
  args: string[];
  /** The fresh work folder: the only place the process is meant to write. */
  cwd: string;
  /** Extra variables; everything else is dropped except an allow-list (PATH, LANG...). */
  env?: Record<string, string>;
  limits: Limits;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  wallMs: number;
}

/** Runs an untrusted command, contained. Small on purpose: issue #5 adds stronger implementations. */
export interface Sandbox {
  readonly name: string;
  run(spec: RunSpec): Promise<RunResult>;
}

/**
 * How long a killed candidate's processes may take to be gone before its verdict is given anyway
 * (with a note): the verdict waits for them, and on a loaded machine a large tree takes a while.
 */
export const GONE_MS = 10_000;

export function describeExit(r: RunResult): string {
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${r.exitCode}`;
}
