import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** The isolation layers, weakest first. A level is the strongest prefix of them that works. */
export const LEVELS = ['process', 'uid', 'namespaces', 'seccomp', 'cgroups'] as const;
export type Level = (typeof LEVELS)[number];

export interface LayerReport {
  layer: Level;
  ok: boolean;
  /** What it gives, or why it is missing and what to do. */
  detail: string;
}

export interface SandboxProbe {
  layers: LayerReport[];
  /** The strongest level whose layers (and all weaker ones) work. */
  level: Level;
  root: boolean;
  bwrap?: string;
  setpriv?: string;
  prlimit?: string;
  cgroup?: { version: 1 | 2; memory: string; pids: string };
  ms: number;
}

const which = (cmd: string) => {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) if (existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
};

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `kloop-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** Find writable memory and pids controllers: cgroup v2 with a delegated subtree, or v1. */
function findCgroups(): NonNullable<SandboxProbe['cgroup']> | string {
  const v1m = '/sys/fs/cgroup/memory';
  const v1p = '/sys/fs/cgroup/pids';
  let v2 = '';
  try {
    const self = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '';
    for (const base of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
      const dir = join(base, self);
      if (existsSync(join(dir, 'cgroup.controllers'))) {
        const ctl = readFileSync(join(dir, 'cgroup.controllers'), 'utf8');
        if (/\bmemory\b/.test(ctl) && /\bpids\b/.test(ctl) && writable(dir)) return { version: 2, memory: dir, pids: dir };
        v2 = `cgroup v2 at ${dir} has controllers "${ctl.trim() || 'none'}"`;
      }
    }
  } catch {
    /* no cgroups */
  }
  if (existsSync(join(v1m, 'cgroup.procs')) && existsSync(join(v1p, 'cgroup.procs')) && writable(v1m) && writable(v1p)) return { version: 1, memory: v1m, pids: v1p };
  return `no writable memory and pids cgroup controllers (${v2 || 'no delegated cgroup v2 subtree'}; v1 not mounted or read-only): run kloop as root, or under systemd-run --user --scope -p Delegate=yes`;
}

/** Probe every layer in a few milliseconds; nothing is changed on the machine. */
export function probeSandbox(opts: { uid?: number } = {}): SandboxProbe {
  const t0 = performance.now();
  const root = process.getuid?.() === 0;
  const layers: LayerReport[] = [];
  const prlimit = which('prlimit');
  layers.push({ layer: 'process', ok: !!prlimit, detail: prlimit ? 'own process group, SIGKILL on timeout, rlimits (cpu, address space, file size, open files, core), allow-listed environment, capped output' : 'prlimit(1) not found: install util-linux; only the process group and timeout apply' });
  const setpriv = which('setpriv');
  const uidOk = root && !!setpriv;
  layers.push({ layer: 'uid', ok: uidOk, detail: uidOk ? `candidates run as the unprivileged uid ${opts.uid ?? 64100}, so the process-count limit holds` : root ? 'setpriv(1) not found: install util-linux' : 'kloop is not running as root: candidates run as your own user (the process-count limit then also counts your other processes)' });
  const bwrap = which('bwrap');
  let nsDetail = 'bubblewrap not found: apt-get install bubblewrap';
  let nsOk = false;
  if (bwrap) {
    const args = ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr', '--ro-bind', '/bin', '/bin', '--ro-bind', '/lib', '/lib', ...(existsSync('/lib64') ? ['--ro-bind', '/lib64', '/lib64'] : []), '--proc', '/proc', '--dev', '/dev', '--cap-drop', 'ALL', '/bin/true'];
    const cmd = uidOk ? setpriv! : bwrap;
    const full = uidOk ? [`--reuid=${opts.uid ?? 64100}`, `--regid=${opts.uid ?? 64100}`, '--clear-groups', bwrap, ...args] : args;
    const r = spawnSync(cmd, full, { encoding: 'utf8', timeout: 5000 });
    nsOk = r.status === 0;
    let hint = '';
    if (!nsOk) {
      const userns = existsSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') && readFileSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', 'utf8').trim() === '1';
      hint = userns ? 'unprivileged user namespaces are disabled by AppArmor (sysctl kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap)' : 'user namespaces are not allowed here (a container\'s seccomp profile, or user.max_user_namespaces=0)';
    }
    nsDetail = nsOk ? 'bubblewrap: new namespaces (no network but loopback, own pid/ipc/uts), read-only system folders, only the work folder writable, no capabilities, cleared environment' : `bubblewrap cannot create namespaces: ${hint} (${(r.stderr || '').trim().split('\n')[0]})`;
  }
  layers.push({ layer: 'namespaces', ok: nsOk, detail: nsDetail });
  const seccompOk = nsOk && existsSync('/usr/include/seccomp.h');
  layers.push({ layer: 'seccomp', ok: seccompOk, detail: seccompOk ? 'seccomp filter: no inet sockets, no ptrace (clone3 answered ENOSYS)' : nsOk ? 'libseccomp headers missing to build the filter: apt-get install libseccomp-dev' : 'needs the namespaces layer (bubblewrap loads the filter)' });
  const cg = findCgroups();
  layers.push({ layer: 'cgroups', ok: typeof cg === 'object', detail: typeof cg === 'object' ? `cgroup v${cg.version} memory and pids limits, whole-group kill` : (cg ?? 'no cgroups') });
  let level: Level = 'process';
  for (const l of layers) {
    if (!l.ok) break;
    level = l.layer;
  }
  return { layers, level, root, bwrap, setpriv, prlimit, cgroup: typeof cg === 'object' ? cg : undefined, ms: performance.now() - t0 };
}

export function levelRank(l: Level): number {
  return LEVELS.indexOf(l);
}

