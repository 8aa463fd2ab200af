import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessSeed, splitCases } from '../devices/index.js';
import type { RunResult } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';
import { runCases } from '../verifiers/check-cases.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * Check cases in one process (devices/cpu/harness-cases.ts): each case in a fork of its own, as if
 * it had a process of its own; a case cannot start a process that outlives it; a case that fails
 * stops its process, and every result says what happened to its case.
 */

const run = (over: Partial<RunResult>): RunResult => ({ exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', truncated: false, wallMs: 5, ...over });

describe('splitCases: one result per case from a cases process', () => {
  it('gives each case its end and its stderr', () => {
    const rs = splitCases(run({ stdout: '\nKLOOP_CASE_END 0 0 0 0 1.5\n\nKLOOP_CASE_END 1 0 0 0 2.5\n', stderr: '\nKLOOP_CASE 0\nfirst says\n\nKLOOP_CASE 1\nsecond says\n' }), 2);
    expect(rs.map((r) => [r.exitCode, r.wallMs, r.stderr.trim()])).toEqual([
      [0, 1.5, 'first says'],
      [0, 2.5, 'second says'],
    ]);
  });

  it('fails the case the process ended in, and runs none after it', () => {
    const rs = splitCases(run({ exitCode: null, signal: 'SIGKILL', stdout: '\nKLOOP_CASE_END 0 0 0 0 1\n', stderr: '\nKLOOP_CASE 0\n\nKLOOP_CASE 1\n' }), 3);
    expect(rs[0].exitCode).toBe(0);
    expect(rs[1].signal).toBe('SIGKILL');
    expect(rs[2].stderr).toMatch(/did not run/);
  });

  it('names the signal and the timeout of a case', () => {
    const rs = splitCases(run({ exitCode: 11, stdout: '\nKLOOP_CASE_END 0 -1 11 0 3\n' }), 2);
    expect(rs[0]).toMatchObject({ exitCode: null, signal: 'SIGSEGV', timedOut: false });
    expect(rs[1].stderr).toMatch(/did not run/);
    expect(splitCases(run({ exitCode: 1, stdout: '\nKLOOP_CASE_END 0 -1 9 1 10000\n' }), 1)[0].timedOut).toBe(true);
  });

  it('takes the last end line of a case (the parent writes it after its child is gone)', () => {
    const forged = '\nKLOOP_CASE_END 0 0 0 0 1\n';
    const rs = splitCases(run({ exitCode: 3, stdout: `${forged}\nKLOOP_CASE_END 0 3 0 0 2\n` }), 1);
    expect(rs[0].exitCode).toBe(3);
  });

  it('passes no case of a process that did not exit cleanly, whatever lines were printed', () => {
    // Lines for every case, written by a case itself, then the process killed: the last case fails.
    const rs = splitCases(run({ exitCode: null, signal: 'SIGKILL', stdout: '\nKLOOP_CASE_END 0 0 0 0 1\n\nKLOOP_CASE_END 1 0 0 0 1\n' }), 2);
    expect(rs[0].exitCode).toBe(0);
    expect(rs[1].signal).toBe('SIGKILL');
  });
});

describe('CpuDevice.checkCases: the harness runs the cases', () => {
  const t = resolveTarget('sum');
  // A check's output holds every array after the call, in parameter order: X, then S.
  const sizes = [{ N: 1 }, { N: 17 }, { N: 1000 }];

  const setup = async (source: string) => {
    const dir = tmp();
    const device = cpuDevice(dir);
    const b = await device.build({ target: t, source, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const inputs = sizes.map((z, i) => {
      const f = join(dir, `in${i}`);
      writeFileSync(f, makeInputs(t, z, 100 + i, 'normal').bytes);
      return f;
    });
    return { dir, device, binary: b.binary!, inputs };
  };

  it('writes what one process per case writes, byte for byte, for the same seeds', async () => {
    const { dir, device, binary, inputs } = await setup('void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; }');
    const seeds = sizes.map((_, i) => harnessSeed(i));
    const rs = await device.checkCases!({
      binary,
      target: t,
      workDir: join(dir, 'c'),
      timeoutMs: 10_000,
      cases: sizes.map((size, i) => ({ size, input: [inputs[i], inputs[i], inputs[i]], output: join(dir, 'c', `batch${i}.out`), seed: seeds[i] })),
    });
    expect(rs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    for (const [i, size] of sizes.entries()) {
      const r = await device.check({ binary, target: t, size, input: [inputs[i], inputs[i], inputs[i]], output: join(dir, 'c', `alone${i}.out`), workDir: join(dir, 'c'), timeoutMs: 10_000, seed: seeds[i] });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(dir, 'c', `batch${i}.out`)).equals(readFileSync(join(dir, 'c', `alone${i}.out`)))).toBe(true);
    }
  });

  it('gives every case a fresh process image: static state does not carry from one case to the next', async () => {
    const { dir, device, binary, inputs } = await setup('void sum(int N, const real *X, real *S) { static int calls; (void)X; S[0] = (real)(++calls) + 1000 * N; }');
    const rs = await device.checkCases!({ binary, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: sizes.map((size, i) => ({ size, input: inputs[i], output: join(dir, 'c', `o${i}.out`) })) });
    expect(rs.every((r) => r.exitCode === 0)).toBe(true);
    expect(sizes.map((z, i) => readFileSync(join(dir, 'c', `o${i}.out`)).readFloatLE(4 * z.N) - 1000 * z.N)).toEqual([1, 1, 1]);
  });

  it('refuses a case any new process (fork, posix_spawn, system): nothing it starts can outlive it', async () => {
    const source = `#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
void sum(int N, const real *X, real *S) {
  (void)N; (void)X;
  pid_t p = fork();
  if (p == 0) { sleep(30); _exit(0); }
  int forked = p >= 0, denied = p < 0 && errno == EPERM;
  int sys = system("exit 7");
  S[0] = (real)(forked * 100 + denied * 10 + (sys == 7 << 8));
}`;
    const { dir, device, binary, inputs } = await setup(source);
    const rs = await device.checkCases!({ binary, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: [{ size: sizes[0], input: inputs[0], output: join(dir, 'c', 'f.out') }] });
    expect(rs[0].exitCode).toBe(0);
    expect(readFileSync(join(dir, 'c', 'f.out')).readFloatLE(4 * sizes[0].N)).toBe(10);
  });

  it('stops at a case that crashes or hangs: that case fails, the later ones did not run', async () => {
    const { dir, device, binary, inputs } = await setup(`void sum(int N, const real *X, real *S) {
  real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;
  if (N == 17) *(volatile int *)0 = 1;
  if (N == 1000) for (;;) ;
}`);
    const cases = (order: number[]) => order.map((i) => ({ size: sizes[i], input: inputs[i], output: join(dir, 'c', `s${i}.out`) }));
    const crash = await device.checkCases!({ binary, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: cases([0, 1, 2]) });
    expect(crash[0].exitCode).toBe(0);
    expect(crash[1].signal).toBe('SIGSEGV');
    expect(crash[2].stderr).toMatch(/did not run/);
    const t0 = Date.now();
    const hang = await device.checkCases!({ binary, target: t, workDir: join(dir, 'c'), timeoutMs: 1500, cases: cases([0, 2, 1]) });
    expect(hang[1].timedOut).toBe(true);
    expect(hang[2].stderr).toMatch(/did not run/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('runCases falls back to one process per case on a device without checkCases', async () => {
    const { dir, device, binary, inputs } = await setup('void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; if (N == 17) *(volatile int *)0 = 1; }');
    const plain = Object.assign(Object.create(Object.getPrototypeOf(device) as object) as typeof device, device, { checkCases: undefined });
    const rs = await runCases(plain, { binary, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: sizes.map((size, i) => ({ size, input: inputs[i], output: join(dir, 'c', `p${i}.out`) })) });
    expect(rs[0].exitCode).toBe(0);
    expect(rs[1].signal).toBe('SIGSEGV');
    expect(rs[2].stderr).toMatch(/did not run/);
  });
});

describe('many calls on one input (FILE*K): inputs loaded and protected once', () => {
  it('catches a kernel that makes an input writable again and changes it between calls', async () => {
    const t = resolveTarget('sum');
    const dir = tmp();
    const device = cpuDevice(dir);
    const source = `#include <sys/mman.h>
#include <stdint.h>
void sum(int N, const real *X, real *S) {
  static int calls;
  real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;
  if (++calls == 5) { uintptr_t p = (uintptr_t)X & ~(uintptr_t)4095; mprotect((void *)p, 8192, PROT_READ | PROT_WRITE); ((real *)X)[0] += 1; }
}`;
    const b = await device.build({ target: t, source, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const input = join(dir, 'in');
    writeFileSync(input, makeInputs(t, { N: 17 }, 3, 'normal').bytes);
    const r = await device.check({ binary: b.binary!, target: t, size: { N: 17 }, input: `${input}*100`, output: join(dir, 'c', 'o.out'), workDir: join(dir, 'c'), timeoutMs: 10_000, threads: 1, plainHeap: true });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toMatch(/wrote to its input X \(found changed after call 5 of 100/);
  });
});

describe('every check and timed run is locked down before its first call (kl_lockdown)', () => {
  it('no new process, no exec, no executable memory, no file written by name: in a check, a cases process and a timed run', async () => {
    const t = resolveTarget('sum');
    const dir = tmp();
    const device = cpuDevice(dir);
    // S[0]: one bit per refused request (1 fork, 2 mmap PROT_EXEC, 4 mprotect to PROT_EXEC, 8 execve, 16 a file opened
    // for writing by name), and 32: a file opened for reading (allowed).
    const source = `#include <unistd.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
void sum(int N, const real *X, real *S) {
  (void)N; (void)X;
  int bits = 0;
  pid_t p = fork();
  if (p == 0) _exit(0);
  if (p < 0 && errno == EPERM) bits |= 1;
  void *m = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED && errno == EPERM) bits |= 2;
  void *w = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (w != MAP_FAILED && mprotect(w, 4096, PROT_READ | PROT_EXEC) != 0 && errno == EPERM) bits |= 4;
  char *argv[] = { (char *)"/bin/true", 0 };
  if (execve("/bin/true", argv, 0) != 0 && errno == EPERM) bits |= 8;
  if (open("written-by-name", O_WRONLY | O_CREAT, 0644) < 0 && errno == EPERM) bits |= 16;
  if (open("/proc/self/stat", O_RDONLY) >= 0) bits |= 32;
  S[0] = (real)bits;
}`;
    const b = await device.build({ target: t, source, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const size = { N: 5 };
    const input = join(dir, 'in');
    writeFileSync(input, makeInputs(t, size, 1, 'normal').bytes);
    const bits = (file: string) => readFileSync(file).readFloatLE(4 * size.N);
    const one = await device.check({ binary: b.binary!, target: t, size, input, output: join(dir, 'c', 'one.out'), workDir: join(dir, 'c'), timeoutMs: 10_000 });
    expect(one.exitCode, one.stderr).toBe(0);
    expect(bits(join(dir, 'c', 'one.out'))).toBe(63);
    const many = await device.checkCases!({ binary: b.binary!, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: [{ size, input, output: join(dir, 'c', 'many.out') }] });
    expect(many[0].exitCode, many[0].stderr).toBe(0);
    expect(bits(join(dir, 'c', 'many.out'))).toBe(63);
    const timed = await device.time({ binary: b.binary!, target: t, size, input, output: join(dir, 'c', 'timed.out'), minMs: 0, maxReps: 1, workDir: join(dir, 'c'), timeoutMs: 10_000 });
    expect(timed.ok, timed.run.stderr).toBe(true);
    expect(bits(join(dir, 'c', 'timed.out'))).toBe(63);
  });
});

describe('no exit handler runs after the outputs are written', () => {
  it('a handler a kernel registers with atexit never runs (the harness ends with _exit)', async () => {
    const t = resolveTarget('sum');
    const dir = tmp();
    const device = cpuDevice(dir);
    const source = `#include <stdlib.h>
#include <stdio.h>
static void after(void) { FILE *f = fopen("exit-handler-ran", "w"); if (f) fclose(f); }
void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; atexit(after); }`;
    const b = await device.build({ target: t, source, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const input = join(dir, 'in');
    writeFileSync(input, makeInputs(t, { N: 5 }, 1, 'normal').bytes);
    const one = await device.check({ binary: b.binary!, target: t, size: { N: 5 }, input, output: join(dir, 'c', 'one.out'), workDir: join(dir, 'c'), timeoutMs: 10_000 });
    const many = await device.checkCases!({ binary: b.binary!, target: t, workDir: join(dir, 'c'), timeoutMs: 10_000, cases: [{ size: { N: 5 }, input, output: join(dir, 'c', 'many.out') }] });
    const timed = await device.time({ binary: b.binary!, target: t, size: { N: 5 }, input, minMs: 0, maxReps: 1, workDir: join(dir, 'c'), timeoutMs: 10_000 });
    expect([one.exitCode, many[0].exitCode, timed.ok]).toEqual([0, 0, true]);
    expect(existsSync(join(dir, 'c', 'exit-handler-ran'))).toBe(false);
  });
});
