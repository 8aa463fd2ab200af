/**
 * The hostile suite: each program of sandboxes/hostile/ is built and run as a check through the
 * sandbox, the way a candidate is, and what it tried is looked for afterwards. Used by
 * test/sandbox-hostile.test.ts (in process) and test/sandbox-nonroot.test.ts (as an ordinary user:
 * `node dist/bench/hostile-suite.js [--work DIR] [--json]` prints the table, and one JSON line).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { claimUidBlock, describeExit, LayeredSandbox, layersLine, probeSandbox, type Layer, type SandboxProbe } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';

export const HOSTILE = ['fork-bomb', 'memory-bomb', 'infinite-loop', 'sleep-forever', 'fill-disk', 'tcp-connect', 'write-outside', 'read-secret', 'kill-parent', 'tamper-later-candidates', 'background-process'] as const;
export type Hostile = (typeof HOSTILE)[number];

export interface Outcome {
  name: string;
  contained: boolean;
  /** What was seen (the evidence either way). */
  why: string;
  verdict: string;
  ms: number;
}

const MARKERS = ['/tmp/kloop-hostile-escaped.marker', '/tmp/kloop-hostile-daemon.marker'];
const SECRET = 'S3CRET';
const UID_BASE = 64300;
const target = resolveTarget('sum');
const clearMarkers = () => {
  for (const m of MARKERS) {
    try {
      rmSync(m, { force: true });
    } catch {
      /* another user's: the caller clears it */
    }
  }
};

/** Live (non-zombie) processes whose first argument is `argv0`. */
function runningAs(argv0: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[0] !== argv0) continue;
      if (!/^State:\s+Z/m.test(readFileSync(`/proc/${d}/status`, 'utf8'))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Live processes of these uids. */
export function processesOf(uids: number[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(s);
      if (m && uids.includes(Number(m[1])) && !/^State:\s+Z/m.test(s)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const outValue = (cwd: string): number | undefined => {
  try {
    return readFileSync(join(cwd, 'out.bin')).readFloatLE(16 * 4);
  } catch {
    return undefined;
  }
};

export class HostileSuite {
  private connections = 0;
  private readonly secretFile = join(homedir(), '.kloop-hostile-secret');

  private constructor(
    readonly probe: SandboxProbe,
    /** Folder the runs are made in (it may be under the user's home: only the work folder is mounted). */
    private readonly work: string,
    private readonly server: Server,
    private readonly port: number,
  ) {}

  static async open(o: { probe?: SandboxProbe; work?: string } = {}): Promise<HostileSuite> {
    const probe = o.probe ?? probeSandbox();
    clearMarkers();
    let suite: HostileSuite | undefined;
    const server = createServer((s) => {
      if (suite) suite.connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      writeFileSync('/tmp/kloop-hostile-port', String(port));
    } catch {
      /* another user's: the attempt reads port.txt first */
    }
    const work = o.work ?? tmpdir();
    mkdirSync(work, { recursive: true });
    suite = new HostileSuite(probe, work, server, port);
    writeFileSync(suite.secretFile, SECRET, { mode: 0o600 });
    return suite;
  }

  async close(): Promise<void> {
    rmSync(this.secretFile, { force: true });
    await new Promise((r) => this.server.close(r));
  }

  /** Build a hostile kernel and run it as a check inside a sandbox with these layers (default: every one that works). */
  async attempt(name: Hostile, only?: readonly Layer[]) {
    const root = mkdtempSync(join(this.work, 'kloop-hostile-'));
    const runs = join(root, 'runs');
    const cwd = join(runs, `cand-${name}`);
    mkdirSync(cwd, { recursive: true });
    mkdirSync(join(runs, 'victim'));
    writeFileSync(join(runs, 'victim', 'kernel.c'), 'original');
    // What a hostile kernel would guess or find: where the secret is, which port to call.
    writeFileSync(join(cwd, 'secret-path.txt'), this.secretFile);
    writeFileSync(join(cwd, 'port.txt'), String(this.port));
    const sandbox = new LayeredSandbox({ probe: this.probe, only, cacheDir: join(runs, 'cache'), uidBase: UID_BASE, memoryMb: 1024 });
    const device = new CpuDevice({ sandbox, compiler: detectCompiler(), cacheDir: join(runs, 'cache'), threads: 2, memoryMb: 1024, readOnly: [runs] });
    const source = readFileSync(join(packageRoot(), 'sandboxes', 'hostile', `${name}.c`), 'utf8');
    const build = await device.build({ target, source, flags: [], workDir: cwd });
    if (!build.ok) throw new Error(`hostile ${name} did not build:\n${build.log}`);
    const cacheHarness = readdirSync(join(runs, 'cache')).find((d) => d.startsWith('harness.o-'))!;
    const harnessBefore = readFileSync(join(runs, 'cache', cacheHarness, 'harness.c'), 'utf8');
    const input = join(cwd, 'in.bin');
    writeFileSync(input, makeInputs(target, { N: 16 }, 1, 'normal').bytes);
    const t0 = performance.now();
    const r = await device.check({ binary: build.binary!, target, size: { N: 16 }, input, output: join(cwd, 'out.bin'), workDir: cwd, timeoutMs: 3000 });
    const ms = performance.now() - t0;
    return { r, ms, root, runs, cwd, sandbox, binary: build.binary!, harnessIntact: () => readFileSync(join(runs, 'cache', cacheHarness, 'harness.c'), 'utf8') === harnessBefore };
  }

  /** What the attempt achieved: [contained, evidence]. */
  private async judge(name: Hostile, a: Awaited<ReturnType<HostileSuite['attempt']>>): Promise<[boolean, string]> {
    const { r, cwd, runs } = a;
    const ended = r.exitCode === 0 && !r.timedOut ? 'ran to completion' : describeExit(r);
    switch (name) {
      case 'fork-bomb':
      case 'memory-bomb':
        return [!(r.exitCode === 0 && !r.timedOut), ended];
      case 'infinite-loop':
        return [r.timedOut || r.signal === 'SIGKILL' || r.signal === 'SIGXCPU', ended];
      case 'sleep-forever':
        return [r.timedOut, ended];
      case 'fill-disk': {
        const f = join(cwd, 'fill.bin');
        const size = existsSync(f) ? readFileSync(f).length : 0;
        return [r.exitCode !== 0 && size <= 256 * 1024 * 1024, `${ended}, fill.bin ${(size / 2 ** 20).toFixed(0)} MB`];
      }
      case 'tcp-connect':
        return [this.connections === 0 && outValue(cwd) !== 1, `${this.connections} connection(s) reached the server`];
      case 'write-outside': {
        const out = ['/tmp/kloop-hostile-escaped.marker', join(runs, 'kloop-hostile-sibling.marker')].filter((f) => existsSync(f));
        return [!out.length, out.length ? `wrote ${out.join(', ')}` : 'nothing written outside its folder'];
      }
      case 'read-secret': {
        const leaked = r.stderr.includes(`secret first byte: ${SECRET.charCodeAt(0)}`) || outValue(cwd) === SECRET.charCodeAt(0);
        return [!leaked, leaked ? `read ${this.secretFile}` : `${this.secretFile} not readable (${/secret first byte: -?\d+/.exec(r.stderr)?.[0] ?? ended})`];
      }
      case 'kill-parent':
        return [true, 'kloop and the spawner still run'];
      case 'tamper-later-candidates': {
        const victim = readFileSync(join(runs, 'victim', 'kernel.c'), 'utf8') === 'original';
        return [victim && a.harnessIntact(), `${victim ? 'later candidate intact' : 'later candidate changed'}, ${a.harnessIntact() ? 'harness cache intact' : 'harness cache changed'}`];
      }
      case 'background-process': {
        await new Promise((res) => setTimeout(res, 2500));
        const marks = [join(cwd, 'daemon.marker'), '/tmp/kloop-hostile-daemon.marker'].filter((f) => existsSync(f));
        return [!marks.length, marks.length ? `a process left behind wrote ${marks.join(', ')}` : 'nothing left behind wrote its marker'];
      }
    }
  }

  /** One hostile program under every layer that works (or `only` these): contained, and kloop still runs candidates afterwards. */
  async run(name: Hostile, only?: readonly Layer[]): Promise<Outcome> {
    clearMarkers();
    this.connections = 0;
    const a = await this.attempt(name, only);
    let [contained, why] = await this.judge(name, a);
    // Nothing of it left running (its binary, and, as root, the block of sandbox uids).
    const left = runningAs(a.binary);
    if (a.sandbox.layers.includes('uid')) {
      const base = claimUidBlock(UID_BASE, 16);
      left.push(...processesOf(Array.from({ length: 16 }, (_, i) => base + i)));
    }
    if (left.length) [contained, why] = [false, `${why}; ${left.length} process(es) left running`];
    // The spawner and the sandbox still start candidates.
    const next = await a.sandbox.run({ cmd: '/bin/sh', args: ['-c', 'echo alive'], cwd: a.cwd, limits: { timeoutMs: 10_000 } });
    if (next.stdout.trim() !== 'alive') [contained, why] = [false, `${why}; the next run failed (${describeExit(next)} ${next.stderr.trim()})`];
    rmSync(a.root, { recursive: true, force: true });
    return { name, contained, why, verdict: a.r.exitCode === 0 && !a.r.timedOut ? `ran to completion${contained ? ' (attempt failed inside)' : ''}` : describeExit(a.r), ms: a.ms };
  }
}

export function outcomeTable(rows: (Outcome & { control?: boolean })[]): string {
  return [
    '| attempt | contained | verdict | time to verdict | seen |',
    '|---|---|---|---|---|',
    ...rows.map((o) => `| ${o.name}${o.control ? ' (control: process layer only)' : ''} | ${o.contained ? 'yes' : o.control ? 'no (as expected)' : 'NO'} | ${o.verdict} | ${o.ms.toFixed(0)} ms | ${o.why} |`),
  ].join('\n');
}

/** The whole suite, plus two controls under the process layer alone (so the attempts are seen to work). */
export async function runHostileSuite(o: { work?: string; probe?: SandboxProbe } = {}): Promise<{ user: string; layers: string; outcomes: Outcome[]; controls: Outcome[] }> {
  const suite = await HostileSuite.open(o);
  try {
    const outcomes: Outcome[] = [];
    for (const name of HOSTILE) outcomes.push(await suite.run(name));
    const controls: Outcome[] = [];
    for (const name of ['read-secret', 'tcp-connect'] as const) controls.push(await suite.run(name, ['process']));
    const layers = new LayeredSandbox({ probe: suite.probe, uidBase: UID_BASE }).report().layers;
    return { user: `${userInfo().username} (uid ${process.getuid?.()})`, layers: layersLine(layers), outcomes, controls };
  } finally {
    await suite.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (k: string) => {
    const i = process.argv.indexOf(k);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const res = await runHostileSuite({ work: arg('--work') });
  console.log(`hostile suite as ${res.user}: ${res.layers}\n`);
  console.log(outcomeTable([...res.outcomes, ...res.controls.map((c) => ({ ...c, control: true }))]));
  if (process.argv.includes('--json')) console.log(`KLOOP_HOSTILE_JSON ${JSON.stringify(res)}`);
  process.exit(res.outcomes.every((x) => x.contained) ? 0 : 1);
}
