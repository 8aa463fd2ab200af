import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuDevice, detectCompiler, EXIT_STATE } from '../devices/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';

const work = mkdtempSync(join(tmpdir(), 'kloop-stack-residue-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache'), threads: 2 });
const target = resolveTarget('sum');
const size = { N: 1000 };

/**
 * A kernel that keeps state where no static symbol shows: in its own uninitialised locals, which a
 * later call finds at the same place on the stack. Once it finds its mark it answers 42 (a memo that
 * hit would answer what it kept): every call after the first then differs from the first.
 */
const mainThread = `#include <stdint.h>
void sum(int N, const real *X, real *S) {
  volatile uint64_t pad[2048];
  int seen = pad[700] == 0x6b6c6f6f70ull;
  pad[700] = 0x6b6c6f6f70ull;
  if (seen) { S[0] = 42; return; }
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
`;

/** The same in 1 KiB of locals at the top of its frame (where the harness's own frames are while it scrubs), the mark in every word. */
const smallLocals = `#include <stdint.h>
void sum(int N, const real *X, real *S) {
  volatile uint64_t pad[128];
  int seen = 0;
  for (int i = 0; i < 128; i++) seen |= pad[i] == 0x6b6c6f6f70ull;
  for (int i = 0; i < 128; i++) pad[i] = 0x6b6c6f6f70ull;
  if (seen) { S[0] = 42; return; }
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
`;

/**
 * An honest kernel with a 1 MiB stack buffer that reports, as its output, how many page faults its
 * call took: the scrub must leave its stack pages resident (zeroed, not unmapped), or every timed
 * call would pay their faults again.
 */
const stackBuffer = `#include <sys/resource.h>
void sum(int N, const real *X, real *S) {
  struct rusage a, b;
  getrusage(RUSAGE_SELF, &a);
  volatile char buf[1 << 20];
  for (int i = 0; i < (1 << 20); i += 4096) buf[i] = (char)i;
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i] + 0 * buf[(i * 4096) % (1 << 20)];
  getrusage(RUSAGE_SELF, &b);
  S[0] = (real)(b.ru_minflt - a.ru_minflt);
  (void)s;
}
`;

/** The same on the threads of an OpenMP team: each keeps its mark on its own stack. */
const workers = `#include <stdint.h>
void sum(int N, const real *X, real *S) {
  int seen = 0;
#pragma omp parallel num_threads(8) reduction(| : seen)
  {
    volatile uint64_t pad[2048];
    seen |= pad[900] == 0x6b6c6f6f70ull;
    pad[900] = 0x6b6c6f6f70ull;
  }
  if (seen) { S[0] = 42; return; }
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
`;

async function repeated(name: string, source: string, flags: string[], threads: number) {
  const dir = join(work, name);
  const b = await device.build({ target, source, flags, workDir: dir });
  expect(b.ok, b.ok ? '' : b.log).toBe(true);
  const input = join(dir, 'x.in');
  writeFileSync(input, makeInputs(target, size, 7, 'normal').bytes);
  const check = await device.check({ binary: b.binary!, target, size, input: `${input}*20`, output: join(dir, 'x.out'), workDir: dir, timeoutMs: 30_000, threads });
  const timed = await device.time({ binary: b.binary!, target, size, input, minMs: 1, maxReps: 20, workDir: dir, timeoutMs: 30_000 });
  return { check, timed };
}

describe('the harness drops the stack below its frame before every call', () => {
  it('so a kernel finds nothing of its previous call in its uninitialised locals', async () => {
    const r = await repeated('main', mainThread, [], 1);
    expect(r.check.exitCode, r.check.stderr).toBe(0);
    expect(r.check.exitCode).not.toBe(EXIT_STATE);
    expect(r.timed.ok, r.timed.run.stderr).toBe(true);
    // ...except in the checks run as a user's process would (the stale-state and repeated-calls
    // checks): there, as in a user's program, such a kernel's later calls give other outputs
    const dir = join(work, 'main');
    const plain = await device.check({ binary: join(dir, 'kernel.bin'), target, size, input: `${join(dir, 'x.in')}*20`, output: join(dir, 'plain.out'), workDir: dir, timeoutMs: 30_000, threads: 1, plainHeap: true });
    expect(plain.exitCode, plain.stderr).toBe(EXIT_STATE);
  });

  it('nor in a few locals at the top of its frame', async () => {
    const r = await repeated('small', smallLocals, [], 1);
    expect(r.check.exitCode, r.check.stderr).toBe(0);
    expect(r.timed.ok, r.timed.run.stderr).toBe(true);
  });

  it('and leaves the stack resident: a later call does not fault its stack pages in again', async () => {
    const dir = join(work, 'faults');
    const b = await device.build({ target, source: stackBuffer, flags: [], workDir: dir });
    expect(b.ok, b.ok ? '' : b.log).toBe(true);
    const input = join(dir, 'x.in');
    writeFileSync(input, makeInputs(target, size, 7, 'normal').bytes);
    const out = join(dir, 'x.out');
    // (a long min_ms, so the warm-up is never the only call: five calls, the last one read)
    const timed = await device.time({ binary: b.binary!, target, size, input, output: out, minMs: 60_000, maxReps: 5, workDir: dir, timeoutMs: 30_000 });
    expect(timed.ok, timed.run.stderr).toBe(true);
    // the last timed call's S (after X in the file): its own page faults (256 pages of buffer if they had been dropped)
    const bytes = readFileSync(out);
    expect(bytes.readFloatLE(bytes.length - 4)).toBeLessThan(16);
  });

  it('nor on the threads of its OpenMP team, whatever their count', async () => {
    const r = await repeated('workers', workers, ['-fopenmp'], 2);
    expect(r.check.exitCode, r.check.stderr).toBe(0);
    expect(r.timed.ok, r.timed.run.stderr).toBe(true);
  });
});
