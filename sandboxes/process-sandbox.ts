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
  return a;
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
    installExitHook();
  }

  run(spec: RunSpec): Promise<RunResult> {
    const env: Record<string, string> = { HOME: spec.cwd, TMPDIR: spec.cwd };
    for (const k of ENV_ALLOW) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, spec.env ?? {});
    const [cmd, args] = this.prlimit ? [this.prlimit, [...prlimitArgs(spec.limits), '--', spec.cmd, ...spec.args]] : [spec.cmd, spec.args];
    const cap = spec.limits.outputBytes ?? DEFAULT_OUTPUT_BYTES;
    const start = process.hrtime.bigint();

    return new Promise((resolvePromise) => {
      const child = spawn(cmd, args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
      child.stdout.on('data', (c: Buffer) => (outLen = keep(out, outLen, c)));
      child.stderr.on('data', (c: Buffer) => (errLen = keep(err, errLen, c)));
      const timer = setTimeout(() => {
        timedOut = true;
        if (pgid) killGroup(pgid);
      }, spec.limits.timeoutMs);
      child.on('error', (e) => (spawnError = e));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (pgid) {
          // Nothing the candidate started may outlive it.
          killGroup(pgid);
          live.delete(pgid);
        }
        const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
        resolvePromise({
          exitCode: code,
          signal: signal ?? null,
          timedOut,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8') + (spawnError ? `\n${spawnError.message}` : ''),
          truncated,
          wallMs,
        });
      });
    });
  }
}
