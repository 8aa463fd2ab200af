/**
 * `npm run bench:sandbox`: the per-candidate overhead of each sandbox level against a plain spawn
 * (median of 20 runs of /bin/true), plus the cost of a small compile inside the full stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayeredSandbox, LEVELS, levelRank, probeSandbox, spawnContained } from '../sandboxes/index.js';
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
rows.push(['plain spawn (process group)', plain]);
for (const level of LEVELS) {
  if (levelRank(level) > levelRank(probe.level)) break;
  const sb = new LayeredSandbox({ probe, upTo: level, cacheDir: join(cwd, 'cache') });
  await sb.run({ cmd: '/bin/true', args: [], cwd, limits: { timeoutMs: 5000 } });
  rows.push([`level ${level}`, await time(() => sb.run({ cmd: '/bin/true', args: [], cwd, limits: { timeoutMs: 5000 } }))]);
}
writeFileSync(join(cwd, 'k.c'), 'float k(const float *x, int n) { float s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; }\n');
const full = new LayeredSandbox({ probe, cacheDir: join(cwd, 'cache') });
const cc = await time(() => full.run({ cmd: 'cc', args: ['-O2', '-c', 'k.c', '-o', 'k.o'], cwd, limits: { timeoutMs: 30000 } }));
const ccPlain = await time(() => spawnSync('cc', ['-O2', '-c', 'k.c', '-o', 'k.o'], { cwd }));
console.log(`sandbox levels here: ${probe.layers.map((l) => `${l.layer} ${l.ok ? 'yes' : 'no'}`).join(', ')} (probe ${probe.ms.toFixed(1)} ms)\n`);
console.log('| how | median ms | overhead vs plain spawn |\n|---|---|---|');
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(2)} | ${(ms - plain).toFixed(2)} ms |`);
console.log(`\ncc -O2 of a small file: ${ccPlain.toFixed(1)} ms plain, ${cc.toFixed(1)} ms inside the ${full.level} sandbox`);

// Spawn cost against kloop's own memory: a direct spawn forks kloop (page tables copied), the
// helper's spawns do not. Measured side by side while this process holds 0, 256 MB and 1 GB.
const held: Buffer[] = [];
const direct = () => new Promise((r) => spawn('/bin/true', [], { stdio: 'ignore' }).on('close', r));
console.log('\n| kloop holds | spawn from kloop (ms) | through the helper (ms) |\n|---|---|---|');
for (const mb of [0, 256, 1024]) {
  if (mb) held.push(Buffer.alloc((mb - held.reduce((n, b) => n + b.length, 0) / 2 ** 20) * 2 ** 20, 1));
  console.log(`| ${mb} MB | ${(await time(direct)).toFixed(2)} | ${(await time(() => spawnContained({ argv: ['/bin/true'], cwd, env: {}, timeoutMs: 5000 }))).toFixed(2)} |`);
}
