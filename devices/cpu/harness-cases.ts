import { constants } from 'node:os';
import { describeExit, type RunResult } from '../../sandboxes/index.js';
import type { Target } from '../../targets/index.js';
import type { CheckCasesRequest } from '../device.js';
import { EXIT_USAGE, harnessArgs, harnessSeed } from '../harness-protocol.js';

/**
 * The harness's "cases" mode: many check cases in one sandboxed process, each in a fork of its own.
 *
 *   harness cases TIMEOUT_MS N  IN OUT SEED SIZE...  IN OUT SEED SIZE...  ...   (N groups)
 *
 * Every case runs as `harness check IN OUT SEED 0 1 SIZE...` would, in a child forked from a parent
 * that has called no kernel: each case is the first call of a fresh process image (statics, heap,
 * placement and poison its own), as when every case had a process of its own, without the sandbox's
 * start-up per case (about 30 ms here with every layer, most of a small case's cost).
 *
 * The child may start threads but no process, and open no file for writing (kl_lockdown, the seccomp
 * filter every check and timed run loads before its first call: harness-lockdown.ts): nothing a case
 * starts can outlive it, and no case can rewrite another's output or status.
 *
 * The parent writes "\nKLOOP_CASE i\n" to stderr before case i (what the case says follows it) and,
 * once the child is gone, "KLOOP_CASE_END i CODE SIGNAL TIMED_OUT MS" to stdout. It stops at the
 * first case that does not exit 0 (or runs past TIMEOUT_MS: killed), and exits 0 only when every
 * case did. kloop reads each case's end from the parent's line (the last for that case: the parent
 * writes it after its child is gone).
 */
export function cCases(sizeCount: number): string {
  const per = 3 + sizeCount;
  const sizeArgs = Array.from({ length: sizeCount }, (_, j) => `sub[7 + ${j}] = argv[4 + i * ${per} + 3 + ${j}];`).join(' ');
  return `
#include <sys/wait.h>
#include <sys/prctl.h>
#include <errno.h>

static int kl_case_main(int argc, char **argv);

static int kl_cases(int argc, char **argv) {
  if (argc < 4 || (argc - 4) % ${per} != 0 || atoi(argv[3]) != (argc - 4) / ${per}) { fprintf(stderr, "usage: %s cases TIMEOUT_MS N IN OUT SEED SIZES... (N times)\\n", argv[0]); return ${EXIT_USAGE}; }
  double timeout_ms = atof(argv[2]);
  int n = (argc - 4) / ${per};
  /* Not dumpable: a case (same user) cannot open this process's memory and rewrite what it records. */
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  for (int i = 0; i < n; i++) {
    char *sub[8 + ${sizeCount}];
    sub[0] = argv[0]; sub[1] = (char *)"check"; sub[2] = argv[4 + i * ${per}]; sub[3] = argv[5 + i * ${per}]; sub[4] = argv[6 + i * ${per}];
    sub[5] = (char *)"0"; sub[6] = (char *)"1"; ${sizeArgs} sub[7 + ${sizeCount}] = NULL;
    fprintf(stderr, "\\nKLOOP_CASE %d\\n", i);
    fflush(stderr);
    fflush(stdout);
    double t0 = kl_now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("kloop harness: fork"); return ${EXIT_USAGE}; }
    if (pid == 0) {
      sigprocmask(SIG_UNBLOCK, &chld, NULL);
      (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      /* (kl_case_main locks the case down before its first call: kl_lockdown) */
      int kl_r = kl_case_main(7 + ${sizeCount}, sub);
      fflush(NULL);
      _exit(kl_r);
    }
    int status = 0, timed = 0;
    for (;;) {
      if (waitpid(pid, &status, WNOHANG) == pid) break;
      double left = timeout_ms - (kl_now_ns() - t0) / 1e6;
      if (left <= 0) { kill(pid, SIGKILL); waitpid(pid, &status, 0); timed = 1; break; }
      struct timespec ts = { (time_t)(left / 1000), (long)((left - 1000.0 * (double)(time_t)(left / 1000)) * 1e6) };
      (void)sigtimedwait(&chld, NULL, &ts);
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1, sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    printf("\\nKLOOP_CASE_END %d %d %d %d %.3f\\n", i, code, sig, timed, (kl_now_ns() - t0) / 1e6);
    fflush(stdout);
    if (timed || code != 0) return code > 0 ? code : 1;
  }
  return 0;
}

/* _exit, not exit: no handler a kernel registered (atexit) runs after the outputs are written. */
int main(int argc, char **argv) {
  int r = argc >= 2 && strcmp(argv[1], "cases") == 0 ? kl_cases(argc, argv) : kl_case_main(argc, argv);
  fflush(NULL);
  _exit(r);
}
`;
}

/** The command line of a "cases" process (each case's arguments as `harnessArgs` gives them for one check). */
export function casesArgs(t: Target, req: Pick<CheckCasesRequest, 'timeoutMs' | 'cases'>): string[] {
  const per = req.cases.map((k) => {
    const [, input, output, seed, , , ...sizes] = harnessArgs(t, 'check', k.input, k.output, k.seed ?? harnessSeed(), 0, 1, k.size);
    return [input, output, seed, ...sizes];
  });
  return ['cases', String(req.timeoutMs), String(req.cases.length), ...per.flat()];
}

/** The result of a case that did not run: an earlier case of its process failed (or the process ended before it). */
export function notRun(why: string): RunResult {
  return { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: `kloop: the case did not run: ${why}`, truncated: false, wallMs: 0 };
}

const SIGNALS = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/**
 * One result per case from a "cases" process's output: each case's end from the parent's line (the
 * last one for that case), its stderr from the parent's marker on. A case with no end line is the
 * one the process was in when it ended: it gets the process's own end (a timeout of the whole run,
 * a crash); the cases after it did not run. A process that did not exit cleanly though every case
 * said it did fails its last case: only a clean exit of the whole process passes them all.
 */
export function splitCases(r: RunResult, n: number): RunResult[] {
  const ends = new Map<number, { code: number; sig: number; timed: boolean; ms: number }>();
  for (const m of r.stdout.matchAll(/^KLOOP_CASE_END (\d+) (-?\d+) (\d+) ([01]) ([\d.]+)$/gm)) ends.set(Number(m[1]), { code: Number(m[2]), sig: Number(m[3]), timed: m[4] === '1', ms: Number(m[5]) });
  const marks: { i: number; at: number }[] = [];
  for (const m of r.stderr.matchAll(/\nKLOOP_CASE (\d+)\n/g)) marks.push({ i: Number(m[1]), at: m.index + m[0].length });
  const stderrOf = (i: number) => {
    const k = marks.findIndex((m) => m.i === i);
    if (k < 0) return '';
    const next = marks.slice(k + 1).find((m) => m.i > i);
    return r.stderr.slice(marks[k].at, next ? next.at - `\nKLOOP_CASE ${next.i}\n`.length : undefined);
  };
  const clean = r.exitCode === 0 && !r.timedOut && !r.signal;
  const out: RunResult[] = [];
  for (let i = 0; i < n; i++) {
    const e = ends.get(i);
    if (!e) {
      out.push({
        exitCode: r.exitCode,
        signal: r.signal,
        timedOut: r.timedOut,
        stdout: '',
        stderr: stderrOf(i) + (r.timedOut ? '' : `\nkloop: the check process ended in this case (${describeExit(r)})`),
        truncated: r.truncated,
        wallMs: 0,
      });
      for (let j = i + 1; j < n; j++) out.push(notRun(`case ${i + 1} of its process did not finish`));
      return out;
    }
    const res: RunResult = { exitCode: e.code >= 0 ? e.code : null, signal: e.sig ? (SIGNALS.get(e.sig) ?? `signal ${e.sig}`) : null, timedOut: e.timed, stdout: '', stderr: stderrOf(i), truncated: r.truncated, wallMs: e.ms };
    const failed = res.exitCode !== 0 || res.timedOut || !!res.signal;
    if (!failed && i === n - 1 && !clean) {
      out.push({
        ...res,
        exitCode: r.exitCode,
        signal: r.signal,
        timedOut: r.timedOut,
        stderr: `${res.stderr}\nkloop: the check process did not exit cleanly after its cases (${describeExit(r)})`,
      });
      return out;
    }
    out.push(res);
    if (failed) {
      for (let j = i + 1; j < n; j++) out.push(notRun(`case ${i + 1} of its process failed`));
      return out;
    }
  }
  return out;
}
