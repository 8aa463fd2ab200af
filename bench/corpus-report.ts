/**
 * `npm run corpus`: every candidate of the exploit corpus through the whole gate at the shipped
 * sizes; prints the table (candidate, trick, verdict, layer) and the share of legitimate kernels
 * that are proved.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { loadCorpus, prepareGateBench, runGate, Verifier } from '../verifiers/index.js';

const work = mkdtempSync(join(tmpdir(), 'kloop-corpus-'));
const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache') });
const verifier = new Verifier({ device });
const prepared = new Map<string, Promise<{ plan: Awaited<ReturnType<Verifier['prepare']>>; bench: Awaited<ReturnType<typeof prepareGateBench>> }>>();
const rows: string[] = ['| candidate | kind | trick / shape | verdict | layer or proof |', '|---|---|---|---|---|'];
let legit = 0;
let proved = 0;
let wrong = 0;
for (const c of loadCorpus()) {
  const target = resolveTarget(c.target);
  if (!prepared.has(c.target)) prepared.set(c.target, (async () => ({ plan: await verifier.prepare(target, 99, join(work, c.target)), bench: await prepareGateBench(verifier, target, join(work, c.target)) }))());
  const { plan, bench } = await prepared.get(c.target)!;
  const { verdict: v } = await runGate({ device, verifier, plan, bench, target, source: c.source, flags: c.flags, workDir: join(work, 'cands', c.name) });
  if (c.kind === 'legit') {
    legit++;
    if (v.status === 'proved') proved++;
  }
  if ((c.kind === 'hostile') !== (v.status === 'rejected')) wrong++;
  rows.push(`| ${c.name} | ${c.kind} | ${c.label} | ${v.status} | ${v.layer ?? `proof ${v.proof?.status}${v.proof?.status === 'inapplicable' ? `: ${v.proof.reason}` : ''}`} |`);
}
console.log(rows.join('\n'));
console.log(`\nlegitimate kernels proved: ${proved} of ${legit} (${((100 * proved) / legit).toFixed(0)}%); misjudged: ${wrong}`);
process.exitCode = wrong ? 1 : 0;
