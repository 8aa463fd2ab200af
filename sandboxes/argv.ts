import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { resolve, sep } from 'node:path';
import type { Layer } from './layers.js';
import type { SandboxProbe } from './probe.js';
import { prlimitArgs } from './process-sandbox.js';
import { niceArgs, type RunSpec } from './sandbox.js';

const SYSTEM_RO = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d'];
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** The id a candidate has inside its user namespace when kloop is not root. */
export const NOBODY = 65534;

/** The invoking user's home folders ($HOME and the password entry's). */
function homes(): string[] {
  const out = [homedir()];
  try {
    out.push(userInfo().homedir);
  } catch {
    /* no password entry */
  }
  return [...new Set(out.filter(Boolean).map((h) => resolve(h)))];
}

/** True when binding `dir` would show a home folder (the folder itself or one above it). */
function exposesHome(dir: string): boolean {
  const d = resolve(dir);
  return homes().some((h) => h === d || h.startsWith(d === sep ? sep : d + sep));
}

export interface CandidateArgv {
  /** The layers to apply. */
  use: ReadonlySet<Layer>;
  probe: SandboxProbe;
  spec: RunSpec;
  env: Record<string, string>;
  /** The uid layer's uid. */
  uid?: number;
  /** cgroup.procs files a wrapper joins before it execs the rest. */
  cgroupProcs?: string[];
  /** RLIMIT_NPROC for the candidate (undefined: none). */
  nproc?: number;
  /** The seccomp tool (`exec` mode) for when bubblewrap is not used. */
  seccompTool?: string;
  /** The BPF program bubblewrap reads as fd 3. */
  bpf?: string;
}

/**
 * The command line a candidate runs under, from outside in: the cgroup wrapper, `setpriv` to the
 * candidate's uid (root only), prlimit, bubblewrap with the seccomp filter (or, without
 * bubblewrap, the seccomp tool loading it), then the command. When kloop is not root, bubblewrap
 * also makes a user namespace in which the candidate is nobody (65534), and prlimit runs inside it,
 * so that the process count is of the candidate's own processes. The probes start exactly this.
 */
export function candidateArgv(o: CandidateArgv): { argv: string[]; extraFile?: string } {
  const { probe: p, spec, use } = o;
  const argv: string[] = [...niceArgs(spec.limits)];
  let extraFile: string | undefined;
  if (o.cgroupProcs?.length) argv.push('/bin/sh', '-c', `${o.cgroupProcs.map((f) => `echo $$ > ${quote(f)}`).join(' && ')} && exec "$@"`, 'kloop-sandbox');
  if (o.uid !== undefined) argv.push(p.setpriv!, `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups', '--no-new-privs');
  const limits = p.prlimit ? [p.prlimit, ...prlimitArgs({ ...o.spec.limits, processes: o.nproc }), '--'] : [];
  const ns = use.has('namespaces') && !!p.bwrap;
  const rootless = ns && !p.root;
  if (!rootless) argv.push(...limits);
  if (ns) {
    argv.push(p.bwrap!, '--unshare-all');
    if (rootless) argv.push('--unshare-user', '--uid', String(NOBODY), '--gid', String(NOBODY));
    argv.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv');
    for (const [k, v] of Object.entries(o.env)) argv.push('--setenv', k, k === 'TMPDIR' ? '/tmp' : v);
    for (const d of SYSTEM_RO) argv.push('--ro-bind-try', d, d);
    // Mount order matters: the private /tmp first, so that folders under /tmp stay visible.
    argv.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
    // A GPU needs its device nodes bound with device access, and /sys read-only (without it cuInit fails).
    for (const d of spec.devices ?? []) argv.push('--dev-bind-try', d, d);
    if (spec.devices?.length) argv.push('--ro-bind-try', '/sys', '/sys');
    // Home folders are never mounted: only the work folder and the read-only inputs below them are.
    for (const d of spec.readOnly ?? []) if (existsSync(d) && !exposesHome(d)) argv.push('--ro-bind', d, d);
    argv.push('--bind', spec.cwd, spec.cwd, '--chdir', spec.cwd);
    if (use.has('seccomp') && o.bpf) {
      extraFile = o.bpf;
      argv.push('--seccomp', '3');
    }
    argv.push('--');
    if (rootless) argv.push(...limits);
  } else if (use.has('seccomp') && o.seccompTool) {
    argv.push(o.seccompTool, 'exec');
  }
  argv.push(spec.cmd, ...spec.args);
  return { argv, extraFile };
}
