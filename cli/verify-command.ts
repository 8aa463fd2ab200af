import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { cudaFlagsAllowed, isCurrentProfile } from '../devices/index.js';
import { composeDevice, composeSandbox, composeVerifier, openMemory, refuseMissingLayers, type DeviceKind } from '../loop/compose.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { formatSize, prepareGateBench, runGate } from '../verifiers/index.js';
import { loadWorkflow } from '../workflow/index.js';

/**
 * `kloop verify TARGET FILE [--device cpu|cuda|cuda-emulated]`: the whole gate on one file, with its
 * evidence. Returns the exit code. `cuda-emulated` runs a CUDA file under kloop's CPU emulation of
 * CUDA (logic only: no GPU, no timing).
 */
export async function verifyCommand(targetArg: string, file: string, opts: { flags: string; json?: boolean; memory: string; device: string }): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'kloop-verify-'));
  try {
    return await verifyIn(work, targetArg, file, opts);
  } finally {
    // Everything it wrote (plan, bench input and oracle, builds: hundreds of MB at the bench size) goes; the evidence was printed.
    rmSync(work, { recursive: true, force: true });
  }
}

async function verifyIn(work: string, targetArg: string, file: string, opts: { flags: string; json?: boolean; memory: string; device: string }): Promise<number> {
  const target = resolveTarget(targetArg);
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  if (!['cpu', 'cuda', 'cuda-emulated'].includes(opts.device)) throw new UserError(`--device ${opts.device}: use cpu, cuda or cuda-emulated`);
  const flags = opts.flags.split(/\s+/).filter(Boolean);
  const allowed = opts.device === 'cpu' ? target.allow.flags : cudaFlagsAllowed(target);
  for (const f of flags) if (!allowed.includes(f)) throw new UserError(`--flags: "${f}" is not allowed for ${target.name} on ${opts.device} (allowed: ${allowed.join(' ') || 'none'})`);
  const source = readFileSync(file, 'utf8');
  // Built as kloop run builds them (compose.ts): the workflow's sandbox layers, device and gate settings.
  const workflow = loadWorkflow();
  const emulated = opts.device === 'cuda-emulated';
  const sandboxPlan = composeSandbox(workflow, join(work, 'cache'));
  if (!emulated) refuseMissingLayers(sandboxPlan);
  // The CUDA emulation runs each GPU thread as a host thread (thousands): more than a contained
  // candidate may start, so it runs under the process layer only (it checks logic, it is not a run).
  const sandbox = emulated ? new ProcessSandbox() : sandboxPlan.sandbox;
  // Everything the gate writes for this file (plan, inputs, oracle outputs) is under work/: readable inside the sandbox.
  const { device } = composeDevice({ workflow, sandbox, cacheDir: join(work, 'cache'), readOnly: [work], kind: opts.device as DeviceKind, origin: `--device ${opts.device}` });
  const memory = openMemory(workflow, process.cwd(), opts.memory);
  const fp = await device.fingerprint();
  // The emulation has no GPU peaks and its timings mean nothing: no profile, no bench-size timed run.
  let profile = emulated ? undefined : await memory.getProfile(fp.id);
  if (!isCurrentProfile(profile) && !emulated) await memory.putProfile((profile = await device.measureProfile(join(work, 'profile'))));
  const verifier = composeVerifier(workflow, device);
  const plan = await verifier.prepare(target, (Date.now() ^ process.pid) >>> 0, join(work, 'plan'));
  const bench = emulated ? undefined : await prepareGateBench(verifier, target, work);
  const { verdict: v, ms, gflops } = await runGate({ device, verifier, plan, bench, profile, target, source, flags, workDir: join(work, 'build') });
  if (opts.json) console.log(JSON.stringify({ ...v, ms, gflops }, null, 2));
  else {
    const no = v.status === 'rejected' ? v : undefined;
    console.log(`${target.name}: ${v.status.toUpperCase()}${no ? ` by ${no.layer} — ${no.reason}` : ''}${no?.line ? ` (line ${no.line})` : ''}`);
    console.log(`  layers: ${(v.layers ?? []).join(' → ')}`);
    for (const c of v.cases) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${formatSize(c.size).padEnd(28)} ${c.distribution.padEnd(8)} seed ${c.seed}${c.hidden ? ' (verifier-chosen size)' : ''}`);
    const repro = no?.reproducer;
    if (repro?.index) console.log(`  reproducer: size ${formatSize(repro.size)}, seed ${repro.seed} (${repro.distribution}), first differing element ${repro.array}[${repro.index.join('][')}]`);
    if (v.status !== 'rejected') console.log(`  max error / tolerance: ${v.maxErrorRatio.toFixed(3)}${gflops ? `; ${gflops.toFixed(2)} GFLOP/s at the bench size` : ''}`);
    if (v.proof) console.log(`  proof: ${v.proof.status} — ${v.proof.reason}${v.proof.sizes.length ? ` (${v.proof.sizes.length} sizes)` : ''}`);
    if (no?.detail && (no.layer === 'build' || no.layer === 'sanitizer')) console.log(no.detail.slice(0, 3000));
    console.log(`  time: build ${ms.build.toFixed(0)} ms, gate ${ms.gate.toFixed(0)} ms, timed run ${ms.timed.toFixed(0)} ms`);
  }
  return v.status === 'rejected' ? 1 : 0;
}
