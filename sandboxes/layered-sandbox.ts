import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CandidateCgroup } from './cgroups.js';
import { prlimitArgs, sandboxEnv, spawnContained } from './process-sandbox.js';
import { levelRank, type Level, type SandboxProbe } from './probe.js';
import type { RunResult, RunSpec, Sandbox } from './sandbox.js';
import { seccompFilter } from './seccomp.js';

const SYSTEM_RO = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d'];
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface LayeredOptions {
  probe: SandboxProbe;
  /** Use layers up to this one (default: all that work). */
  upTo?: Level;
  /** First uid of the pool candidates run as (one uid per concurrent run). */
  uidBase?: number;
  uidPool?: number;
  /** Where the seccomp filter is built and cached. */
  cacheDir: string;
  /** cgroup limits per run. */
  memoryMb?: number;
  pids?: number;
}

/**
 * Every layer the machine offers, stacked: cgroup (memory, pids, whole-group kill) joined by a
 * root wrapper, then `setpriv` to a dedicated unprivileged uid (so RLIMIT_NPROC holds), then
 * prlimit, then bubblewrap (no network but loopback, own pid/ipc/uts namespaces, read-only system
 * folders, only the work folder writable, no capabilities, cleared environment, dies with its
 * parent) with a seccomp filter, then the command. Builds run inside it too.
 */
export class LayeredSandbox implements Sandbox {
  readonly name: string;
  readonly level: Level;
  private readonly use: (l: Level) => boolean;
  private readonly freeUids: number[];
  private bpf?: string;

  constructor(private readonly o: LayeredOptions) {
    const top = o.upTo && levelRank(o.upTo) < levelRank(o.probe.level) ? o.upTo : o.probe.level;
    this.level = top;
    this.name = `layered:${top}`;
    this.use = (l) => levelRank(l) <= levelRank(top) && !!o.probe.layers.find((x) => x.layer === l)?.ok;
    const pool = o.uidPool ?? 16;
    const base = this.use('uid') ? claimUidBlock(o.uidBase ?? 64100, pool) : (o.uidBase ?? 64100);
    this.freeUids = Array.from({ length: pool }, (_, i) => base + i);
  }

  private filter(): string | undefined {
    if (!this.use('seccomp')) return undefined;
    this.bpf ??= seccompFilter(join(this.o.cacheDir, 'seccomp'));
    return this.bpf;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const p = this.o.probe;
    const env = sandboxEnv(spec);
    const uid = this.use('uid') ? this.freeUids.shift() : undefined;
    let cg: CandidateCgroup | undefined;
    let extraFile: string | undefined;
    try {
      if (uid !== undefined) {
        for (const d of [spec.cwd, ...(spec.readOnly ?? [])]) traversable(d);
        // Only the candidate's uid may write its work folder (others, kloop's later runs included, may read it).
        chownSync(spec.cwd, uid, uid);
        chmodSync(spec.cwd, 0o755);
        for (const f of readdirSync(spec.cwd)) if (statSync(join(spec.cwd, f)).isFile()) chownSync(join(spec.cwd, f), uid, uid);
      }
      const argv: string[] = [];
      if (this.use('cgroups') && p.cgroup) {
        cg = new CandidateCgroup(p.cgroup, { memoryMb: this.o.memoryMb ?? spec.limits.addressSpaceMb ?? 8192, pids: this.o.pids ?? 512 });
        argv.push('/bin/sh', '-c', `${cg.procsFiles().map((f) => `echo $$ > ${quote(f)}`).join(' && ')} && exec "$@"`, 'kloop-sandbox');
      }
      if (uid !== undefined) argv.push(p.setpriv!, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs');
      if (p.prlimit) argv.push(p.prlimit, ...prlimitArgs({ ...spec.limits, processes: uid !== undefined ? (spec.limits.processes ?? 256) : undefined }), '--');
      if (this.use('namespaces')) {
        argv.push(p.bwrap!, '--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv');
        for (const [k, v] of Object.entries(env)) argv.push('--setenv', k, k === 'TMPDIR' ? '/tmp' : v);
        for (const d of SYSTEM_RO) argv.push('--ro-bind-try', d, d);
        // Mount order matters: the private /tmp first, so that folders under /tmp stay visible.
        argv.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
        // A GPU needs its device nodes bound with device access, and /sys read-only (without it cuInit fails).
        for (const d of spec.devices ?? []) argv.push('--dev-bind-try', d, d);
        if (spec.devices?.length) argv.push('--ro-bind-try', '/sys', '/sys');
        for (const d of spec.readOnly ?? []) if (existsSync(d)) argv.push('--ro-bind', d, d);
        argv.push('--bind', spec.cwd, spec.cwd, '--chdir', spec.cwd);
        const bpf = this.filter();
        if (bpf) {
          extraFile = bpf;
          argv.push('--seccomp', '3');
        }
        argv.push('--');
      }
      argv.push(spec.cmd, ...spec.args);
      return await spawnContained({
        argv,
        cwd: spec.cwd,
        env,
        timeoutMs: spec.limits.timeoutMs,
        outputBytes: spec.limits.outputBytes,
        extraFile,
        afterExit: async () => {
          await cg?.destroy();
          // A verdict only once nothing of the candidate is left running.
          if (uid !== undefined) for (let i = 0; i < 100 && killUid(uid) > 0; i++) await new Promise((r) => setTimeout(r, 20));
        },
      });
    } finally {
      if (uid !== undefined) this.freeUids.push(uid);
    }
  }
}

const claimed = new Map<string, number>();

/**
 * Each kloop process claims its own block of uids (a lock file holding its pid; a lock whose pid is
 * gone is taken over), so that two runs on one machine never kill each other's candidates.
 */
export function claimUidBlock(base: number, size: number, dir = '/tmp/kloop-uid-blocks'): number {
  const key = `${base}:${size}`;
  const have = claimed.get(key);
  if (have !== undefined) return have;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let k = 0; k < 64; k++) {
    const file = join(dir, `${base}-${size}-${k}.lock`);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner === process.pid) {
        claimed.set(key, base + k * size);
        return base + k * size;
      }
      if (alive(owner)) continue;
      writeFileSync(file, String(process.pid));
      if (Number(readFileSync(file, 'utf8')) !== process.pid) continue;
    }
    process.on('exit', () => {
      try {
        rmSync(file);
      } catch {
        /* gone */
      }
    });
    claimed.set(key, base + k * size);
    return base + k * size;
  }
  throw new Error(`no free block of ${size} sandbox uids from ${base} (64 kloop processes at once?)`);
}

const opened = new Set<string>();

/**
 * The candidate's uid must be able to walk down to its folders: ancestors that lack it get o+x
 * (search only, never read), once. Nothing else about them changes.
 */
function traversable(path: string): void {
  for (let d = dirname(path); !opened.has(d); d = dirname(d)) {
    opened.add(d);
    try {
      const m = statSync(d).mode;
      if (!(m & 0o001)) chmodSync(d, (m & 0o7777) | 0o001);
    } catch {
      /* not ours to change */
    }
    if (d === '/') break;
  }
}

/** SIGKILL every live (non-zombie) process of a dedicated uid; returns how many were found. */
export function killUid(uid: number): number {
  let n = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (!m || Number(m[1]) !== uid || /^State:\s+Z/m.test(status)) continue;
      n++;
      process.kill(Number(d), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return n;
}
