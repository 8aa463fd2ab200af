/**
 * The harness's lockdown: a seccomp filter every check and timed run loads before its first call
 * (`kl_lockdown`, C), so that from then on the process (the kernel in it) has threads only and no
 * new code, and writes no file it did not hold open:
 *   - no process: fork, vfork, clone without CLONE_THREAD (EPERM); clone3 (ENOSYS: the C library
 *     falls back to clone); no exec (execve, execveat);
 *   - no executable memory: mmap, mprotect, pkey_mprotect with PROT_EXEC;
 *   - no file opened for writing (open, openat with a write, create, truncate or append flag; creat,
 *     openat2, open_by_handle_at), renamed, linked, unlinked or truncated by name, no device node;
 *     no io_uring (its requests would bypass the filter). Output files are opened before it loads;
 *     inputs are opened for reading.
 * Nothing a kernel starts can outlive its process, no machine code kept as data can run (red team 6
 * ran such code from an exit handler: it rewrote the finished output files), and a case of a
 * "cases" process cannot touch an earlier case's output. x86-64 and AArch64; others get no filter.
 *
 * The program is assembled here, its jumps counted from labels, so that no offset is counted by hand.
 * Syscalls an architecture lacks (x86-64's legacy fork, open, creat...) are compared with a number
 * no syscall has.
 */

type Ins = { label: string } | { ld: string } | { jeq: string; to: string } | { jge: string; to: string } | { jset: string; yes: string; no: string } | { ret: string };

const DENIED = [
  'fork',
  'vfork',
  'execve',
  'execveat',
  'creat',
  'openat2',
  'open_by_handle_at',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'unlink',
  'unlinkat',
  'truncate',
  'mknod',
  'mknodat',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
];
const PROT_CHECKED = ['mmap', 'mprotect', 'pkey_mprotect'];
const SYSCALLS = [...DENIED, ...PROT_CHECKED, 'clone', 'clone3', 'open', 'openat'];

const PROGRAM: Ins[] = [
  { ld: 'offsetof(struct seccomp_data, arch)' },
  { jeq: 'KL_AUDIT_ARCH', to: 'nr' },
  { ret: 'SECCOMP_RET_KILL_PROCESS' },
  { label: 'nr' },
  { ld: 'offsetof(struct seccomp_data, nr)' },
  { jge: '0x40000000u', to: 'deny' }, // x86-64's x32 ABI numbers (none on AArch64)
  ...DENIED.map((s) => ({ jeq: `KL_NR_${s}`, to: 'deny' })),
  { jeq: 'KL_NR_clone3', to: 'nosys' },
  ...PROT_CHECKED.map((s) => ({ jeq: `KL_NR_${s}`, to: 'prot' })),
  { jeq: 'KL_NR_clone', to: 'clone' },
  { jeq: 'KL_NR_openat', to: 'openat' },
  { jeq: 'KL_NR_open', to: 'open' },
  { ret: 'SECCOMP_RET_ALLOW' },
  { label: 'prot' },
  { ld: 'offsetof(struct seccomp_data, args[2])' },
  { jset: 'PROT_EXEC', yes: 'deny', no: 'allow' },
  { label: 'clone' },
  { ld: 'offsetof(struct seccomp_data, args[0])' },
  { jset: 'CLONE_THREAD', yes: 'allow', no: 'deny' },
  { label: 'openat' },
  { ld: 'offsetof(struct seccomp_data, args[2])' },
  { jset: 'KL_WRITE_FLAGS', yes: 'deny', no: 'allow' },
  { label: 'open' },
  { ld: 'offsetof(struct seccomp_data, args[1])' },
  { jset: 'KL_WRITE_FLAGS', yes: 'deny', no: 'allow' },
  { label: 'allow' },
  { ret: 'SECCOMP_RET_ALLOW' },
  { label: 'deny' },
  { ret: 'SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)' },
  { label: 'nosys' },
  { ret: 'SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)' },
];

/** The program as C initialisers of `struct sock_filter`, jumps resolved (forward only, as BPF needs). */
export function assemble(program: Ins[]): string[] {
  const at = new Map<string, number>();
  let n = 0;
  for (const i of program) {
    if ('label' in i) at.set(i.label, n);
    else n++;
  }
  const out: string[] = [];
  const skip = (from: number, label: string) => {
    const to = at.get(label);
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`seccomp program: bad jump from ${from} to ${label}`);
    return to - from - 1;
  };
  for (const i of program) {
    const k = out.length;
    if ('label' in i) continue;
    if ('ld' in i) out.push(`BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ${i.ld})`);
    else if ('ret' in i) out.push(`BPF_STMT(BPF_RET | BPF_K, ${i.ret})`);
    else if ('jeq' in i) out.push(`BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ${i.jeq}, ${skip(k, i.to)}, 0)`);
    else if ('jge' in i) out.push(`BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, ${i.jge}, ${skip(k, i.to)}, 0)`);
    else out.push(`BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ${i.jset}, ${skip(k, i.yes)}, ${skip(k, i.no)})`);
  }
  return out;
}

/** C: `kl_lockdown()`, 0 once the filter is in force (or where there is none to load). */
export function cLockdown(): string {
  const numbers = SYSCALLS.map((s) => `#ifdef __NR_${s}\n#define KL_NR_${s} __NR_${s}\n#else\n#define KL_NR_${s} 0xffffffffu\n#endif`).join('\n');
  return `
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sched.h>
#include <errno.h>
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#define KL_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define KL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
${numbers}
#define KL_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#endif
/* No new process, exec, executable memory or file written by name from here on (harness-lockdown.ts). */
static int kl_lockdown(void) {
#if defined(__x86_64__) || defined(__aarch64__)
  struct sock_filter f[] = {
    ${assemble(PROGRAM).join(',\n    ')},
  };
  struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
  return 0;
#endif
}
`;
}
