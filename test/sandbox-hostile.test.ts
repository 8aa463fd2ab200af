import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { claimUidBlock, describeExit, LayeredSandbox, levelRank, probeSandbox, type Level } from '../sandboxes/index.js';
import { packageRoot } from '../common/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';
import { tmp } from './helpers.js';

const probe = probeSandbox();
const strong = probe.root && levelRank(probe.level) >= levelRank('namespaces');
const HOSTILE = join(packageRoot(), 'sandboxes', 'hostile');
const target = resolveTarget('sum');
const MARKERS = ['/tmp/kloop-hostile-escaped.marker', '/tmp/kloop-hostile-daemon.marker'];
const SECRET = '/root/.kloop-hostile-secret';

function processesOf(uids: number[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      if (m && uids.includes(Number(m[1])) && !/^State:\s+Z/m.test(readFileSync(`/proc/${d}/status`, 'utf8'))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Build a hostile kernel and run it as a check, inside the sandbox; report what happened. */
async function attempt(name: string, level: Level) {
  const root = tmp('kloop-hostile-');
  const runs = join(root, 'runs');
  const cwd = join(runs, `cand-${name}`);
  mkdirSync(cwd, { recursive: true });
  mkdirSync(join(runs, 'victim'));
  writeFileSync(join(runs, 'victim', 'kernel.c'), 'original');
  const sandbox = new LayeredSandbox({ probe, upTo: level, cacheDir: join(runs, 'cache'), uidBase: 64300, memoryMb: 1024 });
  const device = new CpuDevice({ sandbox, compiler: detectCompiler(), cacheDir: join(runs, 'cache'), threads: 2, memoryMb: 1024, readOnly: [runs] });
  const source = readFileSync(join(HOSTILE, `${name}.c`), 'utf8');
  const build = await device.build({ target, source, flags: [], workDir: cwd });
  expect(build.ok, build.log).toBe(true);
  const cacheHarness = readdirSync(join(runs, 'cache')).find((d) => d.startsWith('harness.o-'))!;
  const harnessBefore = readFileSync(join(runs, 'cache', cacheHarness, 'harness.c'), 'utf8');
  const input = join(cwd, 'in.bin');
  writeFileSync(input, makeInputs(target, { N: 16 }, 1, 'normal').bytes);
  const t0 = performance.now();
  const r = await device.check({ binary: build.binary!, target, size: { N: 16 }, input, output: join(cwd, 'out.bin'), workDir: cwd, timeoutMs: 3000 });
  const ms = performance.now() - t0;
  return { r, ms, runs, cwd, harness: () => readFileSync(join(runs, 'cache', cacheHarness, 'harness.c'), 'utf8') === harnessBefore, root };
}

describe.skipIf(!strong)(`hostile suite under the strongest sandbox here (${probe.level})`, () => {
  let server: Server;
  let connections = 0;
  const rows: string[] = [];
  beforeAll(async () => {
    for (const m of MARKERS) rmSync(m, { force: true });
    writeFileSync(SECRET, 'S3CRET', { mode: 0o600 });
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    writeFileSync('/tmp/kloop-hostile-port', String((server.address() as { port: number }).port));
  });
  afterAll(async () => {
    rmSync(SECRET, { force: true });
    server.close();
    console.log(['| attempt | contained | verdict | time to verdict |', '|---|---|---|---|', ...rows].join('\n'));
  });

  const cases: [string, (a: Awaited<ReturnType<typeof attempt>>) => Promise<void> | void][] = [
    ['fork-bomb', (a) => expect(a.r.exitCode === 0 && !a.r.timedOut).toBe(false)],
    ['memory-bomb', (a) => expect(a.r.exitCode).not.toBe(0)],
    ['infinite-loop', (a) => expect(a.r.timedOut || a.r.signal === 'SIGKILL' || a.r.signal === 'SIGXCPU').toBe(true)],
    ['sleep-forever', (a) => expect(a.r.timedOut).toBe(true)],
    ['fill-disk', (a) => {
      expect(a.r.exitCode).not.toBe(0);
      const f = join(a.cwd, 'fill.bin');
      if (existsSync(f)) expect(readFileSync(f).length).toBeLessThanOrEqual(256 * 1024 * 1024);
    }],
    ['tcp-connect', (a) => {
      expect(connections).toBe(0);
      expect(readFileSync(join(a.cwd, 'out.bin')).readFloatLE(16 * 4)).toBe(-1);
    }],
    ['write-outside', (a) => {
      expect(existsSync('/tmp/kloop-hostile-escaped.marker')).toBe(false);
      expect(existsSync(join(a.runs, 'kloop-hostile-sibling.marker'))).toBe(false);
    }],
    ['read-secret', (a) => {
      expect(a.r.stderr).toContain('secret first byte: -1');
      expect(readFileSync(join(a.cwd, 'out.bin')).readFloatLE(16 * 4)).toBe(-1);
    }],
    ['kill-parent', () => expect(process.kill(process.pid, 0)).toBe(true)],
    ['tamper-later-candidates', (a) => {
      expect(readFileSync(join(a.runs, 'victim', 'kernel.c'), 'utf8')).toBe('original');
      expect(a.harness()).toBe(true);
    }],
    ['background-process', async () => {
      await new Promise((r) => setTimeout(r, 2500));
      expect(existsSync('/tmp/kloop-hostile-daemon.marker')).toBe(false);
    }],
  ];

  it.each(cases)('%s is contained and ends as a verdict', async (name, check) => {
    const a = await attempt(name, probe.level);
    await check(a);
    // nothing left running under this process's block of sandbox uids, and kloop still runs candidates
    const base = claimUidBlock(64300, 16);
    expect(processesOf(Array.from({ length: 16 }, (_, i) => base + i))).toEqual([]);
    rows.push(`| ${name} | yes | ${a.r.exitCode === 0 && !a.r.timedOut ? 'ran to completion (attempt failed inside)' : describeExit(a.r)} | ${a.ms.toFixed(0)} ms |`);
    const ok = await attempt('infinite-loop', probe.level);
    expect(ok.r.timedOut || ok.r.signal !== null).toBe(true);
  });
});

describe.skipIf(!strong)('device nodes for a GPU run', () => {
  it('are bound into the namespace with device access, with /sys read-only; absent otherwise', async () => {
    // /dev/loop-control stands in for /dev/nvidia*: a host character device that bwrap's minimal /dev lacks.
    const node = existsSync('/dev/loop-control') ? '/dev/loop-control' : '/dev/kmsg';
    const sandbox = new LayeredSandbox({ probe, upTo: 'seccomp', cacheDir: tmp(), uidBase: 64300 });
    const run = (devices?: string[]) => sandbox.run({ cmd: '/bin/sh', args: ['-c', `test -c ${node} && echo node; test -d /sys/class && echo sys; true`], cwd: tmp(), limits: { timeoutMs: 10_000 }, devices });
    expect((await run([node])).stdout.split('\n').filter(Boolean)).toEqual(['node', 'sys']);
    expect((await run()).stdout.trim()).toBe('');
  });
});

describe('degraded path: the process level alone still contains runaway candidates', () => {
  it.each(['infinite-loop', 'sleep-forever', 'memory-bomb', 'fill-disk'])('%s', async (name) => {
    const a = await attempt(name, 'process');
    expect(a.r.exitCode === 0 && !a.r.timedOut).toBe(false);
    expect(a.ms).toBeLessThan(30_000);
  });

  it('reports the level it has and one line per missing layer', () => {
    expect(probe.layers.map((l) => l.layer)).toEqual(['process', 'uid', 'namespaces', 'seccomp', 'cgroups']);
    for (const l of probe.layers) expect(l.detail.split('\n')).toHaveLength(1);
    const capped = new LayeredSandbox({ probe, upTo: 'process', cacheDir: tmp() });
    expect(capped.level).toBe('process');
    expect(probe.ms).toBeLessThan(2000);
  });
});
