import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A seccomp filter for bubblewrap (`--seccomp FD`), built once with libseccomp: no inet or
 * packet sockets (unix sockets stay), no ptrace or process_vm access, clone3 answered ENOSYS so
 * that glibc falls back to clone (EPERM there would break thread creation).
 */
const FILTER_SOURCE = String.raw`
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  int deny[] = { AF_INET, AF_INET6, AF_PACKET, AF_NETLINK };
  for (unsigned i = 0; i < sizeof deny / sizeof deny[0]; i++)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, deny[i])) < 0) return 2;
  int eperm[] = { SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(kexec_load), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd) };
  for (unsigned i = 0; i < sizeof eperm / sizeof eperm[0]; i++)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), eperm[i], 0) < 0) return 3;
#ifdef __NR_clone3
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0) return 4;
#endif
  return seccomp_export_bpf(ctx, STDOUT_FILENO) < 0 ? 5 : 0;
}
`;

/** Path of the compiled BPF program (built on first use, cached in `dir`). */
export function seccompFilter(dir: string): string {
  const bpf = join(dir, 'seccomp.bpf');
  if (existsSync(bpf)) return bpf;
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'seccomp-filter.c');
  const bin = join(dir, 'seccomp-filter');
  writeFileSync(src, FILTER_SOURCE);
  execFileSync(process.env.CC || 'cc', [src, '-o', bin, '-lseccomp'], { stdio: 'pipe' });
  const out = execFileSync(bin, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tmp = `${bpf}.${process.pid}`;
  writeFileSync(tmp, out);
  renameSync(tmp, bpf);
  return bpf;
}
