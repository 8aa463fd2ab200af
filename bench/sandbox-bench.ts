/**
 * `npm run bench:sandbox`: the per-candidate overhead of each sandbox layer, as the set works here
 * (each layer that works, on top of the process layer; then all of them, as candidates get them),
 * against a plain spawn (median of 20 runs of /bin/true), plus a small compile inside the full set.
 * Run it as root and as an ordinary user: the layers differ.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { LayeredSandbox, layersLine, probeSandbox, spawnContained, type Layer } from '../sandboxes/index.js';
import { median } from '../loop/index.js';

const N = 20;
const probe = probeSandbox();
const cwd = mkdtempSync(join(tmpdir(), 'kloop-sbx-bench-'));
const time = async (fn: () => Promise<unknown> | unknown) => {
  const xs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
};
const rows: [string, number][] = [];
rows.push(['spawnSync (no sandbox)', await time(() => spawnSync('/bin/true'))]);
const plain = await time(() => spawnContained({ argv: ['/bin/true'], cwd, env: {}, timeoutMs: 5000 }));
rows.push(['plain spawn (process group, through the helper)', plain]);
const has = (l: Layer) => probe.available.includes(l);
const sets: Layer[][] = [['process']];
if (has('uid')) sets.push(['process', 'uid']);
if (has('namespaces')) sets.push(['process', 'namespaces']);
if (has('seccomp')) sets.push(has('namespaces') ? ['process', 'namespaces', 'seccomp'] : ['process', 'seccomp']);
if (has('seccomp') && has('namespaces')) sets.push(['process', 'seccomp']);
if (has('cgroups')) sets.push(['process', 'cgroups']);
// Last, the whole set candidates get (unless one of the rows above is it already).
if (!sets.some((x) => x.length === probe.available.length)) sets.push([...probe.available]);
let processOnly = plain;
for (const only of sets) {
  const sb = new LayeredSandbox({ probe, only });
  const note = only.includes('seccomp') && !only.includes('namespaces') ? ' (filter loaded by kloop-seccomp)' : '';
  const label = `${sb.level}${note}${sb.layers.length === probe.available.length && only.length > 1 ? ' (all in use)' : ''}`;
  await sb.run({ cmd: '/bin/true', args: [], cwd, limits: { timeoutMs: 5000 } });
  const ms = await time(() => sb.run({ cmd: '/bin/true', args: [], cwd, limits: { timeoutMs: 5000 } }));
  if (only.length === 1) processOnly = ms;
  rows.push([label, ms]);
}
writeFileSync(join(cwd, 'k.c'), 'float k(const float *x, int n) { float s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; }\n');
const full = new LayeredSandbox({ probe, cacheDir: join(cwd, 'cache') });
const cc = await time(() => full.run({ cmd: 'cc', args: ['-O2', '-c', 'k.c', '-o', 'k.o'], cwd, limits: { timeoutMs: 30000 } }));
const ccPlain = await time(() => spawnSync('cc', ['-O2', '-c', 'k.c', '-o', 'k.o'], { cwd }));
console.log(`as ${userInfo().username} (uid ${process.getuid?.()}): ${layersLine(probe.layers)} (probe ${probe.ms.toFixed(1)} ms)`);
for (const l of probe.layers) if (!l.ok) console.log(`  ${l.layer}: ${l.detail}`);
console.log('\n| layers | median ms | overhead vs plain spawn | over the process layer alone |\n|---|---|---|---|');
for (const [i, [name, ms]] of rows.entries()) console.log(`| ${name} | ${ms.toFixed(2)} | ${(ms - plain).toFixed(2)} ms | ${i < 3 ? '' : `${(ms - processOnly).toFixed(2)} ms`} |`);
console.log(`\ncc -O2 of a small file: ${ccPlain.toFixed(1)} ms plain, ${cc.toFixed(1)} ms inside the full set (${full.level})`);

// Spawn cost against kloop's own memory: a direct spawn forks kloop (page tables copied), the
// helper's spawns do not. Measured side by side while this process holds 0, 256 MB and 1 GB.
const held: Buffer[] = [];
const direct = () => new Promise((r) => spawn('/bin/true', [], { stdio: 'ignore' }).on('close', r));
console.log('\n| kloop holds | spawn from kloop (ms) | through the helper (ms) |\n|---|---|---|');
for (const mb of [0, 256, 1024]) {
  if (mb) held.push(Buffer.alloc((mb - held.reduce((n, b) => n + b.length, 0) / 2 ** 20) * 2 ** 20, 1));
  console.log(`| ${mb} MB | ${(await time(direct)).toFixed(2)} | ${(await time(() => spawnContained({ argv: ['/bin/true'], cwd, env: {}, timeoutMs: 5000 }))).toFixed(2)} |`);
}
