import { existsSync } from 'node:fs';
import { niceArgs, type Limits, type RunResult, type RunSpec, type Sandbox } from './sandbox.js';
import { spawnViaHelper } from './spawner.js';

const ENV_ALLOW = ['PATH', 'LANG', 'LC_ALL', 'TZ'];
const DEFAULT_OUTPUT_BYTES = 256 * 1024;

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
 * on the wall-clock timeout and again after exit, and return only once nothing of it runs (nothing
 * it started outlives its verdict), never throw.
 * The process is started by a small helper (spawner.ts), so its cost does not grow with kloop's memory.
 */
export async function spawnContained(o: { argv: string[]; cwd: string; env: Record<string, string>; timeoutMs: number; outputBytes?: number; extraFile?: string; afterExit?: () => Promise<void> }): Promise<RunResult> {
  const result = await spawnViaHelper({ argv: o.argv, cwd: o.cwd, env: o.env, timeoutMs: o.timeoutMs, cap: o.outputBytes ?? DEFAULT_OUTPUT_BYTES, extraFile: o.extraFile });
  await o.afterExit?.().catch(() => undefined);
  return result;
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
    return spawnContained({ argv: [...niceArgs(spec.limits), cmd, ...args], cwd: spec.cwd, env: sandboxEnv(spec), timeoutMs: spec.limits.timeoutMs, outputBytes: spec.limits.outputBytes });
  }
}
