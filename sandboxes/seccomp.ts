import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The seccomp filter, built once with libseccomp into one small tool with three modes:
 * `gen` writes the BPF program for bubblewrap (`--seccomp FD`); `exec CMD ARGS…` loads the same
 * filter itself (with no_new_privs) and execs the command, for machines where bubblewrap cannot
 * run; `check` exits 0 only when a denied call is refused (the honest probe: an inet socket must
 * fail with EACCES and unshare(0), a no-op otherwise, with EPERM).
 * The filter: no inet, packet or netlink sockets (unix sockets stay), no ptrace or process_vm
 * access, no mount, namespaces, keyrings, bpf, perf, no kill(-1) (every process it may signal);
 * clone3 answered ENOSYS so that glibc falls back to clone (EPERM there would break thread creation).
 */
const TOOL_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static scmp_filter_ctx filter(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 0;
  int deny[] = { AF_INET, AF_INET6, AF_PACKET, AF_NETLINK };
  for (unsigned i = 0; i < sizeof deny / sizeof deny[0]; i++)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, deny[i])) < 0) return 0;
  int eperm[] = { SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(kexec_load), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd) };
  for (unsigned i = 0; i < sizeof eperm / sizeof eperm[0]; i++)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), eperm[i], 0) < 0) return 0;
  /* kill(-1, ...): every process the candidate may signal (all of the user's, without a pid namespace) */
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, 0xffffffffu)) < 0) return 0;
#ifdef __NR_clone3
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0) return 0;
#endif
  return ctx;
}
int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "check")) {
    errno = 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s >= 0 || errno != EACCES) { fprintf(stderr, "an inet socket was not refused (%s)\n", s >= 0 ? "opened" : strerror(errno)); return 10; }
    errno = 0;
    if (unshare(0) == 0 || errno != EPERM) { fprintf(stderr, "unshare was not refused (%s)\n", errno ? strerror(errno) : "allowed"); return 11; }
    errno = 0;
    if (kill(-1, 0) == 0 || errno != EPERM) { fprintf(stderr, "kill(-1) was not refused (%s)\n", errno ? strerror(errno) : "allowed"); return 12; }
    return 0;
  }
  scmp_filter_ctx ctx = filter();
  if (!ctx) { fprintf(stderr, "kloop seccomp: cannot build the filter\n"); return 2; }
  if (argc >= 3 && !strcmp(argv[1], "exec")) {
    int e = seccomp_load(ctx);
    if (e < 0) { fprintf(stderr, "kloop seccomp: cannot load the filter: %s\n", strerror(-e)); return 126; }
    execvp(argv[2], argv + 2);
    fprintf(stderr, "kloop seccomp: %s: %s\n", argv[2], strerror(errno));
    return 127;
  }
  if (argc == 2 && !strcmp(argv[1], "gen")) return seccomp_export_bpf(ctx, STDOUT_FILENO) < 0 ? 5 : 0;
  fprintf(stderr, "usage: %s gen | check | exec CMD [ARGS...]\n", argv[0]);
  return 2;
}
`;

export interface SeccompTool {
  /** The BPF program (bubblewrap reads it as fd 3). */
  bpf: string;
  /** The tool itself (`exec` and `check` modes). */
  tool: string;
}

const HASH = createHash('sha256').update(TOOL_SOURCE).digest('hex').slice(0, 10);

/**
 * A folder of ours to build in: `dir` when given, else `$TMPDIR/kloop-<uid>` (0711: others may
 * run the tool, e.g. a sandbox uid, but not list or change it). A folder someone else owns, or
 * that others can write, is never used.
 */
function cacheFolder(dir?: string): string {
  if (dir) {
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  const mine = join(tmpdir(), `kloop-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(mine, { mode: 0o711 });
  } catch {
    /* there already */
  }
  const st = lstatSync(mine);
  if (st.isDirectory() && st.uid === process.getuid?.() && !(st.mode & 0o022)) return mine;
  const fresh = mkdtempSync(join(tmpdir(), 'kloop-seccomp-'));
  chmodSync(fresh, 0o711);
  return fresh;
}

/** Build (once per filter version, cached in `dir`) and return the filter and the tool; throws with the compiler's message. */
export function seccompTool(dir?: string): SeccompTool {
  const out = join(cacheFolder(dir), `seccomp-${HASH}`);
  const bpf = join(out, 'seccomp.bpf');
  const tool = join(out, 'kloop-seccomp');
  if (existsSync(bpf) && existsSync(tool)) return { bpf, tool };
  mkdirSync(out, { recursive: true, mode: 0o755 });
  const src = join(out, `kloop-seccomp.${process.pid}.c`);
  writeFileSync(src, TOOL_SOURCE);
  const bin = `${tool}.${process.pid}`;
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', src, '-o', bin, '-lseccomp'], { stdio: 'pipe' });
  } finally {
    rmSync(src, { force: true });
  }
  const program = execFileSync(bin, ['gen'], { stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(`${bpf}.${process.pid}`, program);
  renameSync(bin, tool);
  renameSync(`${bpf}.${process.pid}`, bpf);
  return { bpf, tool };
}

/** The old entry point: the BPF program's path. */
export function seccompFilter(dir: string): string {
  return seccompTool(dir).bpf;
}
