import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateArgv, NOBODY } from './argv.js';
import { LAYERS, missingLine, type Layer, type LayerReport } from './layers.js';
import { seccompTool, type SeccompTool } from './seccomp.js';

export interface SandboxProbe {
  /** One per layer, in LAYERS order: whether it works here, what it gives or why not and the fix. */
  layers: LayerReport[];
  /** The layers that work here (a set: each on its own merits). */
  available: Layer[];
  root: boolean;
  bwrap?: string;
  setpriv?: string;
  prlimit?: string;
  cgroup?: { version: 1 | 2; memory: string; pids: string };
  seccomp?: SeccompTool;
  ms: number;
}

export interface ProbeOptions {
  /** The uid the uid layer would use (root only; default 64100). */
  uid?: number;
  /** Where the seccomp tool is built and cached (default: $TMPDIR/kloop-<uid>). */
  cacheDir?: string;
  /** Search path for bwrap, setpriv and prlimit (default: $PATH). */
  path?: string;
}

const which = (cmd: string, path?: string) => {
  for (const d of (path ?? process.env.PATH ?? '/usr/bin:/bin').split(':')) if (d && existsSync(join(d, cmd))) return join(d, cmd);
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

const firstLine = (s: string | null | undefined) => (s ?? '').trim().split('\n')[0] ?? '';

/** Find writable memory and pids controllers: cgroup v2 with a delegated subtree, or v1. */
function findCgroups(): NonNullable<SandboxProbe['cgroup']> | string {
  const v1m = '/sys/fs/cgroup/memory';
  const v1p = '/sys/fs/cgroup/pids';
  let v2 = '';
  try {
    const self =
      readFileSync('/proc/self/cgroup', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('0::'))
        ?.slice(3) ?? '';
    for (const base of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
      const dir = join(base, self);
      if (existsSync(join(dir, 'cgroup.controllers'))) {
        const ctl = readFileSync(join(dir, 'cgroup.controllers'), 'utf8');
        if (/\bmemory\b/.test(ctl) && /\bpids\b/.test(ctl) && writable(dir)) return { version: 2, memory: dir, pids: dir };
        v2 = `kloop's cgroup v2 ${dir} ${/\bmemory\b/.test(ctl) && /\bpids\b/.test(ctl) ? 'is not writable (not delegated)' : `has controllers "${ctl.trim() || 'none'}"`}`;
      }
    }
  } catch {
    /* no cgroups */
  }
  if (existsSync(join(v1m, 'cgroup.procs')) && existsSync(join(v1p, 'cgroup.procs')) && writable(v1m) && writable(v1p)) return { version: 1, memory: v1m, pids: v1p };
  return `no writable memory and pids cgroup controllers (${v2 || 'no delegated cgroup v2 subtree'}; v1 ${existsSync(join(v1m, 'cgroup.procs')) ? 'read-only' : 'not mounted'})`;
}

/** A user systemd to ask for a delegated scope (its private socket exists). */
function userSystemd(): boolean {
  const run = process.env.XDG_RUNTIME_DIR ?? `/run/user/${process.getuid?.()}`;
  return !!which('systemd-run') && existsSync(join(run, 'systemd', 'private'));
}

/** Why user namespaces fail here, from what the machine says. */
function usernsHint(stderr: string): string {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined);
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') return 'unprivileged user namespaces are disabled by AppArmor';
  if (read('/proc/sys/user/max_user_namespaces') === '0') return 'user namespaces are disabled (user.max_user_namespaces=0)';
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)';
  return `bubblewrap cannot create its namespaces (${firstLine(stderr) || 'no message'}; a container's seccomp profile or a disabled user namespace)`;
}

const USERNS_FIX =
  'allow unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap; user.max_user_namespaces > 0; in Docker, --security-opt seccomp=unconfined or a profile allowing clone/unshare)';

/**
 * Probe every layer, each on its own, the way candidates will get it: the namespaces probe starts
 * bubblewrap with the candidates' flags (through setpriv to the candidate uid when kloop is root),
 * and the seccomp probe loads the real filter and sees denied calls refused. Nothing on the machine
 * changes, except a build of the seccomp tool in the cache folder (once) and a scratch folder.
 */
export function probeSandbox(opts: ProbeOptions = {}): SandboxProbe {
  const t0 = performance.now();
  const root = process.getuid?.() === 0;
  const uid = opts.uid ?? 64100;
  const have: Partial<Record<Layer, LayerReport>> = {};
  const set = (layer: Layer, ok: boolean, detail: string, fix?: string) => (have[layer] = { layer, ok, detail: ok || !fix ? detail : missingLine(detail, fix), ...(ok ? {} : { fix }) });
  const prlimit = which('prlimit', opts.path);
  set(
    'process',
    !!prlimit,
    prlimit ? 'own process group, SIGKILL on timeout, rlimits (cpu, address space, file size, open files, core), allow-listed environment, capped output' : 'prlimit(1) not found: only the process group, timeout and output caps apply',
    'install util-linux',
  );
  const setpriv = which('setpriv', opts.path);
  const uidOk = root && !!setpriv;
  const bwrap = which('bwrap', opts.path);
  const probe: SandboxProbe = { layers: [], available: [], root, bwrap, setpriv, prlimit, ms: 0 };

  // A scratch work folder the candidate uid can enter (0755), with a copy of the seccomp tool.
  const scratch = mkdtempSync(join(tmpdir(), 'kloop-probe-'));
  chmodSync(scratch, 0o755);
  const run = (use: Layer[], cmd: string, args: string[], tool?: SeccompTool) => {
    const { argv, extraFile } = candidateArgv({
      use: new Set(use),
      probe,
      spec: { cmd, args, cwd: scratch, limits: { timeoutMs: 10_000, cpuSeconds: 10 } },
      env: { PATH: '/usr/bin:/bin' },
      uid: uidOk ? uid : undefined,
      nproc: uidOk || !root ? 64 : undefined,
      bpf: tool?.bpf,
      seccompTool: tool && join(scratch, 'kloop-seccomp'),
    });
    const fd = extraFile ? openSync(extraFile, 'r') : undefined;
    try {
      return spawnSync(argv[0], argv.slice(1), { cwd: scratch, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe', ...(fd !== undefined ? [fd] : [])] });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  try {
    set(
      'uid',
      uidOk,
      uidOk
        ? `candidates run as dedicated unprivileged uids (from ${uid}), so the process-count limit holds and only they can write their work folder`
        : root
          ? 'setpriv(1) not found'
          : 'kloop is not running as root, so candidates cannot have uids of their own: they run as you (as nobody inside their user namespace when the namespaces layer is in use)',
      root ? 'install util-linux' : 'run kloop as root for dedicated uids (the namespaces layer keeps candidates away from your files without it)',
    );

    let nsOk = false;
    if (!bwrap) set('namespaces', false, 'bubblewrap not found', 'apt-get install bubblewrap');
    else {
      const r = run(['process', 'uid', 'namespaces'], '/bin/true', []);
      nsOk = r.status === 0;
      set(
        'namespaces',
        nsOk,
        nsOk
          ? root
            ? 'bubblewrap: new namespaces (no network but loopback, own pid/ipc/uts), read-only system folders, only the work folder writable, no home folder, no capabilities, cleared environment'
            : `bubblewrap: a user namespace in which candidates are nobody (${NOBODY}), no network but loopback, own pid/ipc/uts, read-only system folders, only the work folder writable, your home folder not mounted, process count per namespace, cleared environment`
          : usernsHint(r.stderr || r.error?.message || ''),
        USERNS_FIX,
      );
    }

    let tool: SeccompTool | undefined;
    let buildError = '';
    try {
      tool = seccompTool(opts.cacheDir);
      copyFileSync(tool.tool, join(scratch, 'kloop-seccomp'));
      chmodSync(join(scratch, 'kloop-seccomp'), 0o755);
    } catch (e) {
      buildError = firstLine((e as { stderr?: Buffer }).stderr?.toString()) || firstLine((e as Error).message);
    }
    if (!tool) set('seccomp', false, `cannot build the seccomp filter (${buildError})`, 'apt-get install libseccomp-dev (and a C compiler)');
    else {
      // The real filter loaded the way candidates get it, and a denied call seen to fail.
      const use: Layer[] = ['process', 'uid', ...(nsOk ? (['namespaces'] as const) : []), 'seccomp'];
      const r = run(use, join(scratch, 'kloop-seccomp'), ['check'], tool);
      const ok = r.status === 0;
      probe.seccomp = ok ? tool : undefined;
      set(
        'seccomp',
        ok,
        ok
          ? `seccomp filter ${nsOk ? 'loaded by bubblewrap' : 'loaded by kloop-seccomp (no bubblewrap)'}: no inet sockets, no ptrace, mount, namespaces or kill(-1) (clone3 answered ENOSYS); denied calls were seen refused`
          : `the seccomp filter did not hold in a trial (${firstLine(r.stderr) || r.error?.message || `exit ${r.status}`})`,
        'a kernel with seccomp filters (CONFIG_SECCOMP_FILTER), outside a profile that forbids loading one',
      );
    }

    const cg = findCgroups();
    if (typeof cg === 'object') {
      probe.cgroup = cg;
      set('cgroups', true, `cgroup v${cg.version} memory and pids limits per candidate, whole-group kill`);
    } else {
      const instead = root ? '' : `; candidates get rlimits instead: address space, and process count ${bwrap && have.namespaces?.ok ? 'counted in their own user namespace' : 'counted over all your processes'}`;
      const fix = root
        ? 'mount the memory and pids controllers (cgroup v1) or give kloop a cgroup v2 subtree with them'
        : `start kloop in a delegated cgroup: systemd-run --user --scope -p Delegate=yes kloop run${userSystemd() ? ' (a user systemd is running here)' : ' (needs a user systemd: a desktop or loginctl enable-linger)'}, or run kloop as root`;
      set('cgroups', false, cg + instead, fix);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  probe.layers = LAYERS.map((l) => have[l]!);
  probe.available = probe.layers.filter((l) => l.ok).map((l) => l.layer);
  probe.ms = performance.now() - t0;
  return probe;
}
