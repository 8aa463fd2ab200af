import { spawn, type ChildProcess } from 'node:child_process';
import type { RunResult } from './sandbox.js';

/**
 * Every sandboxed process is started by one small helper process, not by kloop itself.
 *
 * Linux's fork copies the parent's page tables, so a spawn from kloop costs time in proportion to
 * kloop's memory: measured here, 1.4 ms per spawn from a bare Node process, 11 ms while it holds
 * 256 MB and 49 ms at 1 GB (a run holds bench-size inputs and outputs of hundreds of MB). The
 * helper stays small, so every check, build and timed run starts in about a millisecond whatever
 * kloop holds. It also outlives nothing: when kloop exits or is killed, the helper's channel
 * closes and it kills every process group it started, then exits.
 *
 * The helper is plain JavaScript run with `node -e` (so it needs no build step and works from the
 * sources under vitest as from dist/ or a single-file bundle).
 */
const HELPER = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const live = new Set();
const killGroup = (pgid) => { try { process.kill(-pgid, 'SIGKILL'); } catch {} };
const quit = () => { for (const g of live) killGroup(g); process.exit(0); };
process.on('disconnect', quit);
process.on('SIGINT', () => {});
process.on('message', (m) => {
  const start = process.hrtime.bigint();
  const stdio = ['ignore', 'pipe', 'pipe'];
  let fd;
  try { if (m.extraFile) { fd = openSync(m.extraFile, 'r'); stdio.push(fd); } } catch (e) {
    process.send({ id: m.id, result: { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: 'kloop spawner: cannot open ' + m.extraFile + ': ' + e.message, truncated: false, wallMs: 0 } });
    return;
  }
  const child = spawn(m.argv[0], m.argv.slice(1), { cwd: m.cwd, env: m.env, detached: true, stdio });
  if (fd !== undefined) closeSync(fd);
  const pgid = child.pid;
  if (pgid) live.add(pgid);
  const out = [], err = [];
  let outLen = 0, errLen = 0, truncated = false, timedOut = false, spawnError;
  const keep = (chunks, len, chunk) => {
    if (len >= m.cap) { truncated = true; return len; }
    const part = chunk.subarray(0, m.cap - len);
    if (part.length < chunk.length) truncated = true;
    chunks.push(part);
    return len + part.length;
  };
  child.stdout.on('data', (c) => (outLen = keep(out, outLen, c)));
  child.stderr.on('data', (c) => (errLen = keep(err, errLen, c)));
  const timer = setTimeout(() => { timedOut = true; if (pgid) killGroup(pgid); }, m.timeoutMs);
  child.on('error', (e) => (spawnError = e));
  // A process it left behind in another session (where no namespace or uid catches it) may hold
  // the output pipes open: once the process itself has ended, stop waiting for them.
  child.on('exit', () => setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, 500).unref());
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    // Nothing the process started may outlive it.
    if (pgid) { killGroup(pgid); live.delete(pgid); }
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    process.send({ id: m.id, result: {
      exitCode: code, signal: signal || null, timedOut,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8') + (spawnError ? '\n' + spawnError.message : ''),
      truncated, wallMs } });
  });
});
`;

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes of stdout and of stderr kept. */
  cap: number;
  /** A file opened read-only as the process's fd 3 (a seccomp filter for bwrap). */
  extraFile?: string;
}

class Spawner {
  private helper?: ChildProcess;
  private readonly pending = new Map<number, (r: RunResult) => void>();
  private nextId = 1;

  run(req: SpawnRequest): Promise<RunResult> {
    const helper = this.helper ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      helper.channel?.ref();
      helper.send({ id, ...req }, (e) => e && this.settle(id, lost(`kloop spawner: ${e.message}`)));
    });
  }

  private start(): ChildProcess {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // a test runner's loaders are not for the helper
    const helper = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, detached: true });
    helper.on('message', (m: { id: number; result: RunResult }) => this.settle(m.id, m.result));
    helper.on('exit', (code, signal) => {
      if (this.helper === helper) this.helper = undefined;
      // What was in flight is lost with it: a result that says so (the caller's verdict fails closed).
      for (const id of [...this.pending.keys()]) this.settle(id, lost(`kloop spawner exited (${signal ?? `code ${code}`})`));
    });
    helper.unref();
    helper.channel?.unref();
    this.helper = helper;
    return helper;
  }

  private settle(id: number, r: RunResult): void {
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (!this.pending.size) this.helper?.channel?.unref();
    resolve(r);
  }
}

const lost = (why: string): RunResult => ({ exitCode: null, signal: null, timedOut: false, stdout: '', stderr: why, truncated: false, wallMs: 0 });

const shared = new Spawner();

/** Start a process through the shared helper (see above). Never rejects. */
export function spawnViaHelper(req: SpawnRequest): Promise<RunResult> {
  return shared.run(req);
}
