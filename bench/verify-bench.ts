/**
 * `npm run bench:verify`: the verification gate's time as a share of a candidate's whole
 * evaluation on sgemm (build + gate + interleaved A/B timing against an i-k-j baseline), for the
 * legitimate sgemm kernels of the exploit corpus. Prints a table.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RwLock } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { abTiming } from '../loop/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { loadCorpus, makeInputs, prepareGateBench, Verifier } from '../verifiers/index.js';

const work = mkdtempSync(join(tmpdir(), 'kloop-verify-bench-'));
const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache'), threads: availableParallelism() });
const target = resolveTarget('sgemm');
const verifier = new Verifier({ device });
const lock = new RwLock();
let t = performance.now();
const plan = await verifier.prepare(target, 7, join(work, 'plan'));
const prepareMs = performance.now() - t;
t = performance.now();
await prepareGateBench(verifier, target, work);
const benchOracleMs = performance.now() - t;
const input = join(work, 'bench.in');
writeFileSync(input, makeInputs(target, target.benchSize, 1, 'normal').bytes);
const ikj = loadCorpus().find((c) => c.name === 'sgemm-ikj')!;
const base = await device.build({ target, source: ikj.source, flags: [], workDir: join(work, 'baseline') });

const rows: string[][] = [];
let gateTotal = 0;
let wholeTotal = 0;
for (const c of loadCorpus().filter((x) => x.kind === 'legit' && x.target === 'sgemm')) {
  const dir = join(work, c.name);
  const t0 = performance.now();
  const b = await device.build({ target, source: c.source, flags: c.flags, workDir: dir });
  const t1 = performance.now();
  const v = await verifier.verify(plan, { binary: b.binary!, source: c.source, flags: c.flags, workDir: dir });
  const t2 = performance.now();
  const timing = await abTiming({
    device,
    target,
    size: target.benchSize,
    input,
    workDir: dir,
    baseline: { id: 'b', binary: base.binary! },
    candidates: [{ id: c.name, binary: b.binary! }],
    config: { minPairs: 3, maxPairs: 7, minMs: 100, maxReps: 50, minSpeedup: 1.02 },
    exclusive: (fn) => lock.exclusive(fn),
  });
  const t3 = performance.now();
  const gate = t2 - t1;
  const whole = t3 - t0;
  gateTotal += gate;
  wholeTotal += whole;
  rows.push([c.name, v.status, (t1 - t0).toFixed(0), gate.toFixed(0), (t3 - t2).toFixed(0), `${((100 * gate) / whole).toFixed(1)}%`, v.proof ? `${v.proof.ms.toFixed(0)}` : '-', timing.get(c.name)!.speedup.toFixed(2)]);
}
const head = ['candidate', 'verdict', 'build ms', 'gate ms', 'A/B timing ms', 'gate share', 'proof ms', 'speedup vs ikj'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log([head, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n'));
console.log(`\ngate share of the whole evaluation (all sgemm candidates): ${((100 * gateTotal) / wholeTotal).toFixed(1)}%`);
console.log(`once per round: check plan (oracle at ${plan.cases.length + 1} sizes) ${prepareMs.toFixed(0)} ms; once per run: bench-size oracle ${benchOracleMs.toFixed(0)} ms`);
