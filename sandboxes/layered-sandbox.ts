import { pidAlive } from '../common/index.js';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { candidateArgv } from './argv.js';
import { CandidateCgroup } from './cgroups.js';
import { LAYERS, levelRank, missingLine, type Layer, type LayerReport } from './layers.js';
import { sandboxEnv, spawnContained } from './process-sandbox.js';
import type { SandboxProbe } from './probe.js';
import { GONE_MS, type RunResult, type RunSpec, type Sandbox } from './sandbox.js';

export interface LayeredOptions {
  probe: SandboxProbe;
  /** Use layers up to this one in LAYERS order (default: all that work). */
  upTo?: Layer;
  /** Use only these layers (those of them that work); default: all that work. */
  only?: readonly Layer[];
  /** First uid of the pool candidates run as (one uid per concurrent run). */
  uidBase?: number;
  uidPool?: number;
  /** Kept for callers; the seccomp filter is the one the probe built and tried. */
  cacheDir?: string;
  /** cgroup limits per run. */
  memoryMb?: number;
  pids?: number;
}

/** The layers a sandbox with these options applies: every one that works here, within the caps. */
export function layersInUse(probe: SandboxProbe, o: { upTo?: Layer; only?: readonly Layer[] } = {}): Layer[] {
  return probe.available.filter((l) => (!o.upTo || levelRank(l) <= levelRank(o.upTo)) && (!o.only || o.only.includes(l)) && (l !== 'seccomp' || !!probe.seccomp));
}

/** Per layer: applied to candidates (what it gives), or missing (why, and the fix). */
export function layerReport(probe: SandboxProbe, inUse: readonly Layer[]): LayerReport[] {
  return LAYERS.map((layer) => {
    const p = probe.layers.find((l) => l.layer === layer)!;
    if (inUse.includes(layer) || !p.ok) return { ...p, ok: inUse.includes(layer) };
    const fix = 'remove sandbox.level from WORKFLOW.md';
    return { layer, ok: false, detail: missingLine('works here but left out by sandbox.level', fix), fix };
  });
}

/** Tasks (threads) whose real uid is `uid`: what RLIMIT_NPROC counts outside a user namespace. */
function tasksOf(uid: number): number {
  let n = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(s)?.[1]) === uid) n += Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 1);
    } catch {
      /* gone */
    }
  }
  return n;
}

/**
 * Every layer that works here, each on its own merits (a set, not a prefix): a cgroup (memory,
 * pids, whole-group kill) joined by a wrapper; as root, `setpriv` to a dedicated unprivileged uid
 * (so RLIMIT_NPROC holds); prlimit; bubblewrap (no network but loopback, own pid/ipc/uts
 * namespaces, read-only system folders, only the work folder writable, no home folder, no
 * capabilities, cleared environment, dies with its parent; when kloop is not root, a user
 * namespace in which the candidate is nobody) with the seccomp filter, or the seccomp filter
 * loaded by its own tool where bubblewrap cannot run; then the command. Builds run inside it too.
 */
export class LayeredSandbox implements Sandbox {
  readonly name: string;
  /** The layers applied, joined with " + " (the old "level"). */
  readonly level: string;
  readonly layers: readonly Layer[];
  private readonly use: ReadonlySet<Layer>;
  private readonly freeUids: number[];

  constructor(private readonly o: LayeredOptions) {
    this.layers = layersInUse(o.probe, o);
    this.use = new Set(this.layers);
    this.level = this.layers.join(' + ') || 'none';
    this.name = `layered:${this.level}`;
    const pool = o.uidPool ?? 16;
    const base = this.use.has('uid') ? claimUidBlock(o.uidBase ?? 64100, pool) : (o.uidBase ?? 64100);
    this.freeUids = Array.from({ length: pool }, (_, i) => base + i);
  }

  /** The start-up report: the layers applied, and each missing one with why and the fix. */
  report(): { level: string; layers: LayerReport[]; probeMs: number } {
    return { level: this.level, layers: layerReport(this.o.probe, this.layers), probeMs: this.o.probe.ms };
  }

  /** RLIMIT_NPROC for one candidate: per uid as root, per user namespace, else over all the user's tasks. */
  private nproc(spec: RunSpec, uid: number | undefined): number | undefined {
    const n = spec.limits.processes ?? 256;
    if (uid !== undefined) return n;
    if (this.o.probe.root) return undefined; // root ignores it
    if (this.use.has('namespaces')) return n;
    const me = process.getuid?.();
    return me === undefined ? undefined : tasksOf(me) + n;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const p = this.o.probe;
    const env = sandboxEnv(spec);
    // More runs at once than uids in the pool wait for one (a run without its uid could not write its folder).
    const uid = this.use.has('uid') ? await this.takeUid() : undefined;
    let cg: CandidateCgroup | undefined;
    try {
      if (uid !== undefined) {
        for (const d of [spec.cwd, ...(spec.readOnly ?? [])]) traversable(d);
        // Only the candidate's uid may write its work folder (others, kloop's later runs included, may read it).
        chownSync(spec.cwd, uid, uid);
        chmodSync(spec.cwd, 0o755);
        for (const f of readdirSync(spec.cwd)) if (statSync(join(spec.cwd, f)).isFile()) chownSync(join(spec.cwd, f), uid, uid);
      }
      if (this.use.has('cgroups') && p.cgroup) cg = new CandidateCgroup(p.cgroup, { memoryMb: this.o.memoryMb ?? spec.limits.addressSpaceMb ?? 8192, pids: this.o.pids ?? 512 });
      const { argv, extraFile } = candidateArgv({ use: this.use, probe: p, spec, env, uid, cgroupProcs: cg?.procsFiles(), nproc: this.nproc(spec, uid), bpf: p.seccomp?.bpf, seccompTool: p.seccomp?.tool });
      return await spawnContained({
        argv,
        cwd: spec.cwd,
        env,
        timeoutMs: spec.limits.timeoutMs,
        outputBytes: spec.limits.outputBytes,
        extraFile,
        afterExit: async () => {
          // Every process of the candidate joined its cgroups before it ran (the launcher's `echo $$ >
          // cgroup.procs && exec`) and cannot leave them: cgroups emptied and removed mean nothing of it
          // is left. Without them, its uid is searched for in /proc (a read of every process's status,
          // which took 3.5 s of the main thread in a 3-minute run on a busy machine).
          const gone = (await cg?.destroy()) === true;
          // A verdict only once nothing of the candidate is left running (a deadline, not a count of
          // tries: on a loaded machine a large process tree takes a while to die).
          if (uid !== undefined && !gone) for (const until = Date.now() + GONE_MS; killUid(uid) > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
        },
      });
    } finally {
      if (uid !== undefined) this.releaseUid(uid);
    }
  }

  private readonly uidWaiters: ((uid: number) => void)[] = [];

  private takeUid(): Promise<number> {
    const uid = this.freeUids.shift();
    return uid !== undefined ? Promise.resolve(uid) : new Promise((r) => this.uidWaiters.push(r));
  }

  private releaseUid(uid: number): void {
    const next = this.uidWaiters.shift();
    if (next) next(uid);
    else this.freeUids.push(uid);
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
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner === process.pid) {
        claimed.set(key, base + k * size);
        return base + k * size;
      }
      if (pidAlive(owner)) continue;
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
