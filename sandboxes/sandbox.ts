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
