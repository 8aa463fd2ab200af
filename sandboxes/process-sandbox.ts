import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Limits, RunResult, RunSpec, Sandbox } from './sandbox.js';

const ENV_ALLOW = ['PATH', 'LANG', 'LC_ALL', 'TZ'];
const DEFAULT_OUTPUT_BYTES = 256 * 1024;

/** Live process groups, killed if kloop itself exits. */
const live = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of live) killGroup(pgid);
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export function prlimitArgs(l: Limits): string[] {
  const a = ['--core=0'];
  if (l.cpuSeconds) a.push(`--cpu=${Math.ceil(l.cpuSeconds)}`);
  if (l.addressSpaceMb) a.push(`--as=${Math.round(l.addressSpaceMb * 1024 * 1024)}`);
  if (l.fileSizeMb) a.push(`--fsize=${Math.round(l.fileSizeMb * 1024 * 1024)}`);
  if (l.openFiles) a.push(`--nofile=${l.openFiles}`);
  if (l.processes) a.push(`--nproc=${l.processes}`);
  return a;
}

/** The environment a candidate sees: an allow-list, HOME and TMPDIR in its work folder, and the spec's own. */
export function sandboxEnv(spec: RunSpec): Record<string, string> {
  const env: Record<string, string> = { HOME: spec.cwd, TMPDIR: spec.cwd };
  for (const k of ENV_ALLOW) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return Object.assign(env, spec.env ?? {});
}

/**
 * Spawn in a new session (its own process group), capture capped output, SIGKILL the whole group
 * on the wall-clock timeout and again after exit (nothing it started outlives it), never throw.
 */
export function spawnContained(o: { argv: string[]; cwd: string; env: Record<string, string>; timeoutMs: number; outputBytes?: number; extraFd?: number; afterExit?: () => Promise<void> }): Promise<RunResult> {
  installExitHook();
  const cap = o.outputBytes ?? DEFAULT_OUTPUT_BYTES;
  const start = process.hrtime.bigint();
  return new Promise((resolvePromise) => {
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe'];
    if (o.extraFd !== undefined) stdio.push(o.extraFd);
    const child = spawn(o.argv[0], o.argv.slice(1), { cwd: o.cwd, env: o.env, detached: true, stdio });
    const pgid = child.pid;
    if (pgid) live.add(pgid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let truncated = false;
    let timedOut = false;
    let spawnError: Error | undefined;
    const keep = (chunks: Buffer[], len: number, chunk: Buffer): number => {
      if (len >= cap) {
        truncated = true;
        return len;
      }
      const part = chunk.subarray(0, cap - len);
      if (part.length < chunk.length) truncated = true;
      chunks.push(part);
      return len + part.length;
    };
    child.stdout!.on('data', (c: Buffer) => (outLen = keep(out, outLen, c)));
    child.stderr!.on('data', (c: Buffer) => (errLen = keep(err, errLen, c)));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid) killGroup(pgid);
    }, o.timeoutMs);
    child.on('error', (e) => (spawnError = e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pgid) {
        // Nothing the candidate started may outlive it.
        killGroup(pgid);
        live.delete(pgid);
      }
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const result: RunResult = {
        exitCode: code,
        signal: signal ?? null,
        timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (spawnError ? `\n${spawnError.message}` : ''),
        truncated,
        wallMs,
      };
      (o.afterExit ? o.afterExit() : Promise.resolve()).then(() => resolvePromise(result), () => resolvePromise(result));
    });
  });
}

/**
 * The base layer every platform has: own process group (setsid), SIGKILL of the whole group on a
 * wall-clock timeout, rlimits through prlimit(1), an allow-listed environment and capped output.
 */
export class ProcessSandbox implements Sandbox {
  readonly name = 'process';
  private readonly prlimit: string | undefined;

  constructor(opts: { prlimitPath?: string } = {}) {
    const p = opts.prlimitPath ?? ['/usr/bin/prlimit', '/bin/prlimit'].find((x) => existsSync(x));
    this.prlimit = p;
  }

  run(spec: RunSpec): Promise<RunResult> {
    const [cmd, args] = this.prlimit ? [this.prlimit, [...prlimitArgs(spec.limits), '--', spec.cmd, ...spec.args]] : [spec.cmd, spec.args];
    return spawnContained({ argv: [cmd, ...args], cwd: spec.cwd, env: sandboxEnv(spec), timeoutMs: spec.limits.timeoutMs, outputBytes: spec.limits.outputBytes });
  }
}
