import { spawn, type ChildProcess } from 'node:child_process';
import { GONE_MS, type RunResult } from './sandbox.js';

/**
 * Every sandboxed process is started by one small helper process, not by kloop itself.
 *
 * Linux's fork copies the parent's page tables, so a spawn from kloop costs time in proportion to
 * kloop's memory: measured here, 1.4 ms per spawn from a bare Node process, 11 ms while it holds
 * 256 MB and 49 ms at 1 GB (a run holds bench-size inputs and outputs of hundreds of MB). The
 * helper stays small, so every check, build and timed run starts in about a millisecond whatever
 * kloop holds. It also outlives nothing: when kloop exits or is killed, the helper's channel
 * closes (or, should the channel stay open, the helper sees its parent change) and it kills every
 * process group it started, then exits. A result is sent only once the
 * process's group, and any pid namespace it was given (bubblewrap's), has nothing left running.
 *
 * The helper is plain JavaScript run with `node -e` (so it needs no build step and works from the
 * sources under vitest as from dist/ or a single-file bundle).
 */
const HELPER = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const { openSync, closeSync, readFileSync, readdirSync } = require('node:fs');
const live = new Set();
const killGroup = (pgid) => { try { process.kill(-pgid, 'SIGKILL'); } catch {} };
const quit = () => { for (const g of live) killGroup(g); process.exit(0); };
// /proc/PID/stat after the command's name: state, ppid, pgrp, ..., starttime (field 22); none when gone.
const stat = (pid) => {
  try {
    const s = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), start: f[19] };
  } catch { return undefined; }
};
const pids = () => readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d));
// The inits of the pid namespaces below a process (bubblewrap's): when such an init dies the kernel
// kills everything in its namespace, and the init itself is gone only once its namespace is empty.
const namespaceInits = (root) => {
  const kids = new Map();
  for (const d of pids()) {
    const s = stat(d);
    if (!s) continue;
    if (!kids.has(s.ppid)) kids.set(s.ppid, []);
    kids.get(s.ppid).push(Number(d));
  }
  const inits = [];
  for (const todo = [...(kids.get(root) || [])]; todo.length; ) {
    const pid = todo.pop();
    let ids = [];
    try { ids = (/^NSpid:(.*)$/m.exec(readFileSync('/proc/' + pid + '/status', 'utf8')) || ['', ''])[1].trim().split(/\s+/); } catch {}
    const s = stat(pid);
    if (s && ids.length > 1 && ids[ids.length - 1] === '1') inits.push({ pid, start: s.start });
    else todo.push(...(kids.get(pid) || []));
  }
  return inits;
};
const same = (i) => { const s = stat(i.pid); return s && s.start === i.start ? s : undefined; };
const killAll = (pgid, inits) => {
  killGroup(pgid);
  for (const i of inits) if (same(i)) try { process.kill(i.pid, 'SIGKILL'); } catch {}
};
// Something of the candidate still runs (zombies do not): a process of its group, or a process in a
// pid namespace it was given (seen through that namespace's init).
const running = (pgid, inits) => {
  let group = true;
  try { process.kill(-pgid, 0); } catch (e) { group = e.code === 'EPERM'; }
  if (group && pids().some((d) => { const s = stat(d); return s && s.pgrp === pgid && s.state !== 'Z'; })) return true;
  return inits.some((i) => { const s = same(i); return s && s.state !== 'Z'; });
};
// A verdict only once nothing of the candidate runs: kill what is left, then wait (polling, bounded)
// until the kernel has really taken it down, however loaded the machine is.
const GONE_MS = ${GONE_MS};
const untilGone = (pgid, inits, done) => {
  const until = Date.now() + GONE_MS;
  const again = () => {
    killAll(pgid, inits);
    if (!running(pgid, inits)) return done(true);
    if (Date.now() > until) return done(false);
    setTimeout(again, 10);
  };
  again();
};
process.on('disconnect', quit);
// A second lifeline: kloop gone (this helper given another parent) even if the channel stays open.
const parent = (stat(process.pid) || {}).ppid;
setInterval(() => { const s = stat(process.pid); if (!s || s.ppid !== parent) quit(); }, 500).unref();
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
  // The namespaces are found when the time is up, before anything is killed (their inits are then reparented).
  let inits = [];
  const timer = setTimeout(() => {
    timedOut = true;
    if (!pgid) return;
    try { inits = namespaceInits(pgid); } catch {}
    killAll(pgid, inits);
  }, m.timeoutMs);
  child.on('error', (e) => (spawnError = e));
  // A process it left behind in another session (where no namespace or uid catches it) may hold
  // the output pipes open: once the process itself has ended, stop waiting for them.
  child.on('exit', () => setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, 500).unref());
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const send = (gone) => process.send({ id: m.id, result: {
      exitCode: code, signal: signal || null, timedOut,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8') + (spawnError ? '\n' + spawnError.message : '') +
        (gone ? '' : '\nkloop spawner: processes of the candidate still running ' + GONE_MS / 1000 + ' s after it ended'),
      truncated, wallMs } });
    if (!pgid) return send(true);
    // Nothing the process started may outlive it (the group leader, the child, is reaped by now).
    untilGone(pgid, inits, (gone) => { live.delete(pgid); send(gone); });
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
