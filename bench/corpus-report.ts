/**
 * `npm run corpus`: every candidate of the exploit corpus through the whole gate at the shipped
 * sizes; prints the table (candidate, trick, verdict, layer, what the corpus says it must get), the
 * verdicts by deciding layer, the share of legitimate kernels that are proved, and the gate's
 * share of an accepted candidate's evaluation (build + gate + interleaved A/B timing against the
 * target's first legitimate kernel, as the loop times a candidate against its baseline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RwLock } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { abTiming } from '../loop/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { loadCorpus, prepareGateBench, runGate, Verifier } from '../verifiers/index.js';

const work = mkdtempSync(join(tmpdir(), 'kloop-corpus-'));
const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache') });
const verifier = new Verifier({ device });
const prepared = new Map<string, Promise<{ plan: Awaited<ReturnType<Verifier['prepare']>>; bench: Awaited<ReturnType<typeof prepareGateBench>> }>>();
const rows: string[] = ['| candidate | kind | trick / shape | verdict | layer or proof | expected | gate ms | eval ms | gate share |', '|---|---|---|---|---|---|---|---|---|'];
let legit = 0;
let proved = 0;
let wrong = 0;
let gateMs = 0;
let evalMs = 0;
const byLayer = new Map<string, number>();
const lock = new RwLock();
const baselines = new Map<string, { id: string; binary: string }>();
// `npm run corpus -- legit` (or `hostile`, or a candidate's name) runs part of the corpus.
const only = process.argv[2];
const corpus = loadCorpus().filter((c) => !only || c.kind === only || c.name === only);
const layerMs = new Map<string, number>();
const prepareMs = new Map<string, number>();
for (const c of corpus) {
  const target = resolveTarget(c.target);
  if (!prepared.has(c.target))
    prepared.set(
      c.target,
      (async () => {
        const t0 = performance.now();
        const plan = await verifier.prepare(target, 99, join(work, c.target));
        prepareMs.set(c.target, performance.now() - t0);
        return { plan, bench: await prepareGateBench(verifier, target, join(work, c.target)) };
      })(),
    );
  const { plan, bench } = await prepared.get(c.target)!;
  const workDir = join(work, 'cands', c.name);
  const { verdict: v, ms } = await runGate({ device, verifier, plan, bench, target, source: c.source, flags: c.flags, workDir });
  let timing = 0;
  if (v.status !== 'rejected') {
    // Timed as the loop would: interleaved against a baseline (the target's first legitimate kernel).
    const binary = join(workDir, 'kernel.bin');
    const base = baselines.get(c.target) ?? { id: c.name, binary };
    baselines.set(c.target, base);
    const t0 = performance.now();
    await abTiming({
      device,
      target,
      size: target.benchSize,
      input: bench.inputFile,
      workDir,
      baseline: base,
      candidates: [{ id: `${c.name}-cand`, binary }],
      config: { minPairs: 3, maxPairs: 7, minMs: 100, maxReps: 50, minSpeedup: 1.02 },
      exclusive: (fn) => lock.exclusive(fn),
    });
    timing = performance.now() - t0 + ms.timed;
    gateMs += ms.gate;
    for (const [l, t] of Object.entries(v.layerMs ?? {})) layerMs.set(l.replace(/ \(.*/, ''), (layerMs.get(l.replace(/ \(.*/, '')) ?? 0) + t);
    evalMs += ms.build + ms.gate + timing;
  }
  if (c.kind === 'legit') {
    legit++;
    if (v.status === 'proved') proved++;
  }
  const expected = c.kind === 'hostile' ? `rejected by ${c.layer}` : (c.verdict ?? '');
  const got = v.status === 'rejected' ? `rejected by ${v.layer}` : v.status;
  if (expected !== got) wrong++;
  const key = v.status === 'rejected' ? `rejected by ${v.layer}` : v.status;
  byLayer.set(key, (byLayer.get(key) ?? 0) + 1);
  const whole = ms.build + ms.gate + timing;
  rows.push(
    `| ${c.name} | ${c.kind} | ${c.label} | ${v.status} | ${v.status === 'rejected' ? v.layer : `proof ${v.proof?.status}${v.proof?.status === 'inapplicable' ? `: ${v.proof.reason}` : ''}`} | ${expected === got ? 'as expected' : `**expected ${expected}**`} | ${ms.gate.toFixed(0)} | ${whole.toFixed(0)} | ${v.status === 'rejected' ? '-' : `${((100 * ms.gate) / whole).toFixed(0)}%`} |`,
  );
}
console.log(rows.join('\n'));
console.log(
  `\n| verdict | candidates |\n|---|---|\n${[...byLayer]
    .sort()
    .map(([k, n]) => `| ${k} | ${n} |`)
    .join('\n')}`,
);
console.log(`\nhostile: ${corpus.filter((c) => c.kind === 'hostile').length}, legitimate: ${legit}; legitimate kernels proved: ${proved} of ${legit} (${((100 * proved) / legit).toFixed(0)}%); not as the corpus expects: ${wrong}`);
console.log(`gate share of an accepted candidate's evaluation (build + gate + A/B timing): ${((100 * gateMs) / evalMs).toFixed(1)}%`);
console.log(`once per target, not per candidate (the check plan: inputs and the oracle at every case; the reference's proof build): ${[...prepareMs].map(([t, ms]) => `${t} ${ms.toFixed(0)} ms`).join(', ')}`);
console.log(`\nwhere the gate's time goes, over accepted candidates:\n| layer | ms | share of the gate |\n|---|---|---|\n${[...layerMs].map(([l, t]) => `| ${l} | ${t.toFixed(0)} | ${((100 * t) / gateMs).toFixed(1)}% |`).join('\n')}`);
rmSync(work, { recursive: true, force: true });
process.exitCode = wrong ? 1 : 0;
