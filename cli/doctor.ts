import { detectCompiler, detectCudaToolkit, formatCurve, formatLevels, isCurrentProfile, listGpus, smArch, type DeviceProfile } from '../devices/index.js';
import { DEFAULT_MODELS } from '../agents/index.js';
import { composeDevice, composeSandbox, openMemory } from '../loop/index.js';
import { layersLine } from '../sandboxes/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fleetStatus } from '../fleet/index.js';
import { fleetLines } from './fleet-commands.js';

/** `kloop doctor`: what kloop finds on this machine and what to install or change. Returns an exit code. */
export async function doctor(opts: { workflow?: string; memory?: string; fleet?: string }): Promise<number> {
  let problems = 0;
  const line = (ok: boolean | 'warn', what: string, detail: string) => {
    if (ok === false) problems++;
    console.log(`${ok === true ? 'ok  ' : ok === 'warn' ? 'warn' : 'FAIL'}  ${what.padEnd(22)} ${detail}`);
  };
  console.log('kloop doctor\n');
  let compiler;
  try {
    compiler = detectCompiler();
    line(true, 'C compiler', `${compiler.cc}: ${compiler.version} (-march=native = ${compiler.nativeArch})`);
  } catch (e) {
    line(false, 'C compiler', (e as Error).message);
  }
  const workflow = loadWorkflow(opts.workflow);
  const c = workflow.config;
  // The layers candidates would get under this workflow, each missing one with why and the fix.
  const cacheDir = join(tmpdir(), 'kloop-doctor');
  const plan = composeSandbox(workflow, cacheDir);
  const { probe, layers: sandbox, required } = plan;
  line(sandbox.every((l) => l.ok) ? true : 'warn', 'sandbox', `${layersLine(sandbox)} (probed in ${probe.ms.toFixed(1)} ms)`);
  for (const l of sandbox) line(l.ok ? true : required.includes(l.layer) ? false : 'warn', `  ${l.layer}`, l.detail);
  if (compiler) {
    const { device } = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir, kind: 'cpu', compiler });
    const fp = await device.fingerprint();
    const profile = await openMemory(workflow, process.cwd(), opts.memory).getProfile(fp.id);
    line(
      isCurrentProfile(profile) ? true : 'warn',
      'device profile',
      isCurrentProfile(profile)
        ? `${fp.model}, ${fp.cores} cores: fp32 ${profile.gflops.fp32.all.toFixed(0)} GFLOP/s, fp64 ${profile.gflops.fp64.all.toFixed(0)} GFLOP/s (measured ${profile.measuredAt})`
        : `${fp.model}, ${fp.cores} cores (${fp.id}): ${notCurrent(profile, 'kloop run')}`,
    );
    if (isCurrentProfile(profile)) line(true, '  memory levels', formatLevels(profile.levels));
    if (isCurrentProfile(profile) && profile.curve?.length) line(true, '  bandwidth curve', formatCurve(profile.curve));
  }
  const cuda = c.device === 'cuda';
  let toolkit;
  try {
    const tk = (toolkit = detectCudaToolkit());
    line(true, 'CUDA compiler', `${tk.nvcc}: nvcc ${tk.version}; compute-sanitizer: ${tk.sanitizer ?? 'not found (the GPU sanitizer layer will be skipped)'}`);
  } catch (e) {
    line(cuda ? false : 'warn', 'CUDA compiler', (e as Error).message);
  }
  const { gpus, why } = listGpus();
  for (const g of gpus) line(true, `GPU ${g.index}`, `${g.name}, compute capability ${g.computeCapability} (${smArch(g.computeCapability)}), ${g.memoryMb} MiB, driver ${g.driver}`);
  const chosen = gpus.find((g) => g.index === c.cuda.gpu);
  if (chosen && toolkit && compiler) {
    const fp = await composeDevice({ workflow, sandbox: plan.sandbox, cacheDir, kind: 'cuda', compiler }).device.fingerprint();
    const p = await openMemory(workflow, process.cwd(), opts.memory).getProfile(fp.id);
    line(
      isCurrentProfile(p) ? true : 'warn',
      'GPU profile',
      isCurrentProfile(p)
        ? `${fp.model}: ${p.gpu?.sms ?? '?'} SMs, fp32 ${p.gflops.fp32.all.toFixed(0)} GFLOP/s, fp64 ${p.gflops.fp64.all.toFixed(0)} GFLOP/s, ${formatLevels(p.levels)} (measured ${p.measuredAt})`
        : `${fp.model} (${fp.id}): ${notCurrent(p, 'kloop run with device: cuda')}`,
    );
  }
  if (!gpus.length) line(cuda ? false : 'warn', 'GPUs', `none found: ${why}${cuda ? `; ${workflow.file} says device: cuda` : '; device: cpu is used'}`);
  for (const role of ['profiler', 'analyzer', 'writer'] as const) {
    const r = c.agents[role];
    if (r.provider === 'builtin') {
      line(true, `agent ${role}`, 'builtin (no model)');
      continue;
    }
    const key = r.provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : r.provider === 'openai' ? 'OPENAI_API_KEY' : undefined;
    const has = !key || !!process.env[key] || (r.provider === 'openai' && !!r.base_url);
    line(
      has,
      `agent ${role}`,
      `${r.provider}/${r.model ?? DEFAULT_MODELS[r.provider] ?? r.command?.argv[0]}${key ? (has ? ` (${process.env[key] ? key : 'base_url'} set)` : `: ${key} is not set; export it or choose another provider in ${workflow.file}`) : ''}`,
    );
  }
  const fleet = opts.fleet ?? c.fleet.redis;
  if (fleet) {
    try {
      for (const l of fleetLines(fleet, await fleetStatus(fleet))) line(l.ok, l.what, l.detail);
    } catch (e) {
      line(false, 'fleet', (e as Error).message);
    }
  }
  console.log(
    `\n${problems ? `${problems} problem(s)` : 'no problems'}; sandbox layers required by ${workflow.file}: ${required.join(', ') || 'none (missing layers are warnings; sandbox.require: [namespaces, seccomp] refuses to run without them)'}`,
  );
  return problems ? 1 : 0;
}

/** Why a device profile cannot be used yet, and what measures it. */
function notCurrent(p: DeviceProfile | undefined, by: string): string {
  return p ? `measured ${p.measuredAt} without the memory levels or bandwidth curve of the hierarchical roofline; the next ${by} measures it again` : `not measured yet; the first ${by} measures it`;
}
