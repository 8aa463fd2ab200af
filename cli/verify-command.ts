import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { LowdbStore } from '../memory/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { formatSize, prepareGateBench, runGate, Verifier } from '../verifiers/index.js';

/** `kloop verify TARGET FILE.c`: the whole gate on one file, with its evidence. Returns the exit code. */
export async function verifyCommand(targetArg: string, file: string, opts: { flags: string; json?: boolean; memory: string }): Promise<number> {
  const target = resolveTarget(targetArg);
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const flags = opts.flags.split(/\s+/).filter(Boolean);
  for (const f of flags) if (!target.allow.flags.includes(f)) throw new UserError(`--flags: "${f}" is not allowed by ${target.file} (allowed: ${target.allow.flags.join(' ')})`);
  const source = readFileSync(file, 'utf8');
  const work = mkdtempSync(join(tmpdir(), 'kloop-verify-'));
  const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache') });
  const memory = LowdbStore.file(opts.memory);
  const fp = await device.fingerprint();
  let profile = await memory.getProfile(fp.id);
  if (!profile) await memory.putProfile((profile = await device.measureProfile(join(work, 'profile'))));
  const verifier = new Verifier({ device });
  const plan = await verifier.prepare(target, (Date.now() ^ process.pid) >>> 0, join(work, 'plan'));
  const bench = await prepareGateBench(verifier, target, work);
  const { verdict: v, ms, gflops } = await runGate({ device, verifier, plan, bench, profile, target, source, flags, workDir: join(work, 'build') });
  if (opts.json) console.log(JSON.stringify({ ...v, ms, gflops }, null, 2));
  else {
    console.log(`${target.name}: ${v.status.toUpperCase()}${v.layer ? ` by ${v.layer}` : ''}${v.reason ? ` — ${v.reason}` : ''}${v.line ? ` (line ${v.line})` : ''}`);
    console.log(`  layers: ${(v.layers ?? []).join(' → ')}`);
    for (const c of v.cases) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${formatSize(c.size).padEnd(28)} ${c.distribution.padEnd(8)} seed ${c.seed}${c.hidden ? ' (verifier-chosen size)' : ''}`);
    if (v.reproducer?.index) console.log(`  reproducer: size ${formatSize(v.reproducer.size)}, seed ${v.reproducer.seed} (${v.reproducer.distribution}), first differing element ${v.reproducer.array}[${v.reproducer.index.join('][')}]`);
    if (v.status !== 'rejected') console.log(`  max error / tolerance: ${v.maxErrorRatio.toFixed(3)}${gflops ? `; ${gflops.toFixed(2)} GFLOP/s at the bench size` : ''}`);
    if (v.proof) console.log(`  proof: ${v.proof.status} — ${v.proof.reason}${v.proof.sizes.length ? ` (${v.proof.sizes.length} sizes)` : ''}`);
    if (v.detail && (v.layer === 'build' || v.layer === 'sanitizer')) console.log(v.detail.slice(0, 3000));
    console.log(`  time: build ${ms.build.toFixed(0)} ms, gate ${ms.gate.toFixed(0)} ms, timed run ${ms.timed.toFixed(0)} ms`);
  }
  return v.status === 'rejected' ? 1 : 0;
}
