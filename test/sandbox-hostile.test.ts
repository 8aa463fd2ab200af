import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE, HostileSuite, outcomeTable, type Outcome } from '../bench/hostile-suite.js';
import { LAYERS, LayeredSandbox, layersLine, probeSandbox } from '../sandboxes/index.js';
import { tmp } from './helpers.js';

const probe = probeSandbox();
const strong = probe.available.includes('namespaces');
const inUse = layersLine(new LayeredSandbox({ probe, uidBase: 64300 }).report().layers);

describe.skipIf(!strong)(`hostile suite under every layer that works here (${inUse})`, () => {
  let suite: HostileSuite;
  const rows: Outcome[] = [];
  beforeAll(async () => {
    suite = await HostileSuite.open({ probe });
  });
  afterAll(async () => {
    await suite?.close();
    console.log(`as uid ${process.getuid?.()}: ${inUse}\n${outcomeTable(rows)}`);
  });

  it.each(HOSTILE)('%s is contained and ends as a verdict; nothing of it is left and the next candidate runs', async (name) => {
    const o = await suite.run(name);
    rows.push(o);
    expect(o.contained, o.why).toBe(true);
  });

  it('the attempts work when the sandbox is not there (controls under the process layer alone)', async () => {
    for (const name of ['read-secret', 'tcp-connect'] as const) {
      const o = await suite.run(name, ['process']);
      expect(o.contained, `${name}: ${o.why}`).toBe(false);
    }
  });
});

describe.skipIf(!strong)('device nodes for a GPU run', () => {
  it('are bound into the namespace with device access, with /sys read-only; absent otherwise', async () => {
    // /dev/loop-control stands in for /dev/nvidia*: a host character device that bwrap's minimal /dev lacks.
    const node = existsSync('/dev/loop-control') ? '/dev/loop-control' : '/dev/kmsg';
    const sandbox = new LayeredSandbox({ probe, upTo: 'seccomp', uidBase: 64300 });
    const run = (devices?: string[]) => sandbox.run({ cmd: '/bin/sh', args: ['-c', `test -c ${node} && echo node; test -d /sys/class && echo sys; true`], cwd: tmp(), limits: { timeoutMs: 10_000 }, devices });
    expect((await run([node])).stdout.split('\n').filter(Boolean)).toEqual(['node', 'sys']);
    expect((await run()).stdout.trim()).toBe('');
  });
});

describe('degraded path: the process layer alone still contains runaway candidates', () => {
  let suite: HostileSuite;
  beforeAll(async () => {
    suite = await HostileSuite.open({ probe });
  });
  afterAll(() => suite?.close());

  it.each(['infinite-loop', 'sleep-forever', 'memory-bomb', 'fill-disk'] as const)('%s', async (name) => {
    const a = await suite.attempt(name, ['process']);
    expect(a.sandbox.layers).toEqual(['process']);
    expect(a.r.exitCode === 0 && !a.r.timedOut).toBe(false);
    expect(a.ms).toBeLessThan(30_000);
    rmSync(a.root, { recursive: true, force: true });
  });

  it('reports every layer, each on one line, and caps the layers used', () => {
    expect(probe.layers.map((l) => l.layer)).toEqual([...LAYERS]);
    for (const l of probe.layers) expect(l.detail.split('\n')).toHaveLength(1);
    for (const l of probe.layers) if (!l.ok) expect(l.detail).toMatch(/; fix: /);
    const capped = new LayeredSandbox({ probe, upTo: 'process' });
    expect(capped.level).toBe('process');
    // a capped layer that works here is reported as left out, with the fix
    for (const l of capped.report().layers.slice(1)) if (probe.available.includes(l.layer)) expect(l.detail).toMatch(/left out by sandbox\.level; fix: /);
  });

  it('probes in well under two seconds once the seccomp tool is built', () => {
    expect(probeSandbox().ms).toBeLessThan(2000);
  });
});
