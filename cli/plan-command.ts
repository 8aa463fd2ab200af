import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { detectCompiler, type AcpDescriptor } from '../devices/index.js';
import { composeDevice, composeSandbox, localDevices, openMemory, refuseMissingLayers, runsDirOf } from '../loop/index.js';
import type { KeptPlan, MemoryStore } from '../memory/index.js';
import {
  allowedCores,
  bindPlan,
  buildChecked,
  checkPlan,
  chooseKernels,
  chooseNodeKernels,
  kernelBindings,
  kernelLines,
  measureDeviceSizes,
  parsePlan,
  PlanExecutor,
  planWorkload,
  singleDevicePlan,
  timePlans,
  verifyPlan,
  weighedGpu,
  writeWorkloadInputs,
  type BoundPlan,
  type NodeKernel,
  type WeighedGpu,
  type WorkloadPlans,
} from '../plans/index.js';
import { loadWorkflow, type Workflow } from '../workflow/index.js';
import { fleetPlanDevices, runFleetPlan } from './plan-fleet.js';
import { planGpu, runGpuPlan } from './plan-gpu.js';
import { resolveWorkload, workloadCatalogNames, type Workload } from '../workloads/index.js';

/** `kloop workloads`: each shipped workload, its graph (node: target at its sizes, split along which rows) and its outputs. */
export function workloadsList(): string {
  return workloadCatalogNames()
    .map((n) => describeWorkload(resolveWorkload(n)))
    .join('\n\n');
}

export function describeWorkload(w: Workload): string {
  const lines = [`${w.name.padEnd(18)} ${w.description}`];
  for (const n of w.nodes) {
    const sizes = Object.entries(n.sizes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const reads = Object.entries(n.source)
      .filter(([arg, src]) => src !== `${n.name}.${arg}` && n.target.arrays.find((a) => a.name === arg)?.role === 'in')
      .map(([arg, src]) => `${arg} <- ${src}`);
    lines.push(`${''.padEnd(18)} ${n.name}: ${n.target.name} ${sizes}${n.rows ? ` (rows split along ${n.rows.symbol})` : ''}${reads.length ? `; ${reads.join(', ')}` : ''}`);
  }
  lines.push(`${''.padEnd(18)} outputs: ${w.outputs.join(', ')}`);
  return lines.join('\n');
}

export interface PlanCommandOptions {
  json?: boolean;
  out?: string;
  check?: string;
  run?: string;
  workload?: string;
  memory?: string;
  measure?: boolean;
  pairs?: number;
  kept?: boolean;
  /** A fleet (Redis URL) whose workers run a plan's worker devices (default: fleet.redis). */
  fleet?: string;
  /** --run: a plan's GPU device under kloop's CPU emulation of CUDA (verified, never timed). */
  emulateGpu?: boolean;
}

/**
 * `kloop plan WORKLOAD [--json] [--out FILE] [--measure]`: GP1's plan for a workload on this
 * machine, with its predicted time; `--check FILE` validates a plan (exit 1 if refused);
 * `--run FILE` verifies it (static check, then one execution against the graph oracle) and times
 * it against the single-device plan, interleaved. Returns the exit code.
 */
export async function planCommand(workloadArg: string | undefined, opts: PlanCommandOptions): Promise<number> {
  const planFile = opts.check ?? opts.run;
  if (opts.check && opts.run) throw new UserError('--check and --run: give one of them');
  if (!planFile && !workloadArg && !opts.kept) throw new UserError('kloop plan: name a workload (kloop workloads lists them), or give --check FILE or --run FILE');
  const workflow = loadWorkflow();
  const memory = openMemory(workflow, process.cwd(), opts.memory);
  if (opts.kept) {
    console.log(keptPlansList(await memory.plans(), workloadArg));
    return 0;
  }
  if (planFile) {
    if (!existsSync(planFile)) throw new UserError(`${planFile}: no such file`);
    const plan = parsePlan(readFileSync(planFile, 'utf8'), planFile);
    const named = opts.workload ?? workloadArg;
    let w: Workload;
    try {
      w = resolveWorkload(named ?? plan.workload.name);
    } catch (e) {
      if (named || !(e instanceof UserError)) throw e;
      throw new UserError(`${planFile}: the plan is for workload "${plan.workload.name}", which is not shipped; give its folder with --workload PATH`);
    }
    const bound = bindPlan(plan, w, planFile);
    const verdict = checkPlan(bound);
    if (!verdict.ok) {
      console.log(`${planFile}: REJECTED: ${verdict.reason}`);
      return 1;
    }
    if (opts.check) {
      console.log(
        `${planFile}: valid CEP plan for ${w.name}: ${plan.steps.length} steps (${plan.steps.filter((s) => s.op === 'copy').length} copies) on ${plan.devices.map((d) => d.name).join(', ')}${plan.predicted ? `; predicted ${plan.predicted.ms.toFixed(2)} ms by ${plan.predicted.by}` : ''}`,
      );
      return 0;
    }
    return runPlanFile(bound, workflow, memory, opts, planFile);
  }
  const loaded = resolveWorkload(workloadArg!);
  const plain = await localContext(workflow, memory, loaded);
  // Each node runs memory's best kept at exactly its sizes, else its target's default (plans/node-kernels.ts); plan jobs carry a target's own kernels to fleet workers, so not with --fleet.
  const nk = await chooseNodeKernels(opts.fleet ? undefined : memory, loaded, plain.descriptor.fingerprint.id, plain.kernels);
  const w = nk.workload;
  const ctx = { ...plain, kernels: nk.kernels };
  const measuredByThreads = opts.measure ? await withWork((dir) => measureSingle(ctx, w, dir)) : undefined;
  const fleetUrl = opts.fleet;
  const workers = fleetUrl ? await fleetPlanDevices(fleetUrl) : undefined;
  const gpu = await withWork((dir) => weighedGpu({ workflow, memory, workload: w, cpu: ctx, measure: opts.measure ? { dir } : undefined, note: (line) => console.error(`kloop: ${line}`) }));
  const p = planWorkload({ workload: w, descriptor: ctx.descriptor, kernels: gpu?.kernels ?? ctx.kernels, measuredByThreads, workers, gpu });
  const text = JSON.stringify(p.best.candidate.plan, null, 2) + '\n';
  if (opts.out) writeFileSync(opts.out, text);
  if (opts.json) process.stdout.write(text);
  else console.log(describePlans(w, ctx, p, opts.out, workers));
  if (gpu && !opts.json) console.log(describeGpu(gpu, p));
  return 0;
}

function describeGpu(g: WeighedGpu, p: WorkloadPlans): string {
  return [`  gpu       ${g.descriptor.model} (${g.device.acp}): ${gpuKernelsText(g)}`, `            ${gpuSourcesText(g, p)}`].join('\n');
}

/** Which kernel each target runs on the GPU: "layernorm: reference.cu · sum: none (stays on the CPU)". */
export function gpuKernelsText(g: WeighedGpu): string {
  return [...g.kernels].map(([t, k]) => `${t}: ${k.gpu ? (k.gpu.origin === 'memory' ? `memory's best CUDA kernel (${k.gpu.verdict})` : 'reference.cu') : 'none (stays on the CPU)'}`).join(' · ');
}

/** Where GP1's GPU node and copy times came from, and the CPU + GPU set's predicted time. */
export function gpuSourcesText(g: WeighedGpu, p: WorkloadPlans): string {
  const set = p.sets.find((s) => s.devices.some((d) => d.kind === 'cuda'));
  const link = g.link
    ? `copies measured now: to the GPU ${g.link.h2d.gbs.toFixed(1)} GB/s + ${(g.link.h2d.latencyMs * 1000).toFixed(0)} us, back ${g.link.d2h.gbs.toFixed(1)} GB/s + ${(g.link.d2h.latencyMs * 1000).toFixed(0)} us`
    : "copies to and from it not measured (--measure measures them): costed at this CPU's one-core memcpy bandwidth, an optimistic bound";
  return `node times ${g.measured ? 'measured now on the GPU' : "from memory's CUDA kernels or the GPU's roofline"}; ${link}${set ? `; CPU + GPU ${set.candidate.sim.ms.toFixed(3)} ms predicted` : ''}`;
}

export interface LocalContext {
  descriptor: AcpDescriptor;
  kernels: Map<string, NodeKernel>;
  executor: PlanExecutor;
}

/** This CPU's ACP descriptor (its profile measured first if memory has none), the kernels memory holds for it, and an executor sandboxed like candidates. */
export async function localContext(workflow: Workflow, memory: MemoryStore, w: Workload): Promise<LocalContext> {
  const { cacheDir } = runsDirOf(workflow, process.cwd());
  const list = () => localDevices({ workflow, cwd: process.cwd(), cacheDir, memory });
  let cpu = (await list())[0];
  if (!('descriptor' in cpu)) {
    console.error(`kloop: measuring this CPU's profile first (HP1, a few seconds): ${cpu.why}`);
    const sandbox = composeSandbox(workflow, cacheDir);
    const { device } = composeDevice({ workflow, sandbox: sandbox.sandbox, cacheDir, kind: 'cpu' });
    await memory.putProfile(await device.measureProfile(join(cacheDir, 'plan-profile')));
    cpu = (await list())[0];
    if (!('descriptor' in cpu)) throw new UserError(`this CPU has no measured profile: ${cpu.why}`);
  }
  const descriptor = cpu.descriptor;
  const plan = composeSandbox(workflow, cacheDir);
  refuseMissingLayers(plan);
  const executor = new PlanExecutor({ sandbox: plan.sandbox, compiler: detectCompiler(), cacheDir: join(cacheDir, 'plans'), threads: descriptor.units.count });
  return { descriptor, kernels: await chooseKernels(memory, w, descriptor.fingerprint.id), executor };
}

export async function withWork<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-plan-'));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function singlePlan(w: Workload, ctx: LocalContext): BoundPlan {
  return singleDevicePlan(w, ctx.descriptor);
}

export function built(ctx: LocalContext, b: BoundPlan, dir: string): Promise<{ bound: BoundPlan; binary: string }> {
  return buildChecked(ctx.executor, ctx.kernels, b, dir);
}

/** Each node's time on every device size GP1 weighs (the whole CPU, a core group alone), measured now. */
export async function measureSingle(ctx: LocalContext, w: Workload, dir: string): Promise<Map<number, Map<string, number>>> {
  const input = join(dir, 'inputs.bin');
  writeWorkloadInputs(w, 1, input);
  return measureDeviceSizes({ executor: ctx.executor, kernels: ctx.kernels, workload: w, descriptor: ctx.descriptor, dir, input, reps: 5 });
}

/** Devices of a plan this machine can run: its CPU, whole or as groups of the cores it may use (its GPU is checked by planGpu). */
function refuseForeignDevices(b: BoundPlan, d: AcpDescriptor): void {
  const cores = new Set(allowedCores());
  for (const dev of b.devices) {
    if (dev.kind === 'cuda') continue;
    if (dev.acp !== d.fingerprint.id) throw new UserError(`plan device ${dev.name} is ${dev.acp}, not this machine's CPU (${d.fingerprint.id}); make the plan here with kloop plan`);
    for (const c of dev.cores ?? []) if (!cores.has(c)) throw new UserError(`plan device ${dev.name} names core ${c}, which this process may not use (allowed: ${[...cores].join(', ')})`);
  }
}

async function runPlanFile(b: BoundPlan, workflow: Workflow, memory: MemoryStore, opts: PlanCommandOptions, file: string): Promise<number> {
  // A GPU device is checked first: on a machine without one, one line and nothing measured.
  const gpu = await planGpu(b, workflow, file, opts.emulateGpu);
  const ctx = await localContext(workflow, memory, b.workload);
  const worker = b.devices.find((d) => d.worker);
  if (worker && gpu) throw new UserError(`${file}: a plan with a GPU device and fleet workers is not supported; run the GPU's part on its host, or leave the fleet out`);
  if (worker) {
    const url = opts.fleet ?? workflow.config.fleet.redis;
    if (!url) throw new UserError(`plan device ${worker.name} is fleet worker ${worker.worker}: give the fleet with --fleet redis://… (or fleet: {redis: URL} in WORKFLOW.md)`);
    return withWork((dir) => runFleetPlan({ bound: b, ctx, memory, url, dir, pairs: opts.pairs ?? 5, single: singlePlan(b.workload, ctx), say: (line) => console.log(line) }));
  }
  refuseForeignDevices(b, ctx.descriptor);
  if (gpu) return withWork((dir) => runGpuPlan({ bound: b, gpu, workflow, memory, cpu: ctx, dir, pairs: opts.pairs ?? 5, say: (line) => console.log(line) }));
  // Each node runs memory's best kept at exactly its sizes, else its target's default, as kloop plan and the plan rounds bind it (plans/node-kernels.ts).
  const nk = await chooseNodeKernels(memory, b.workload, ctx.descriptor.fingerprint.id, ctx.kernels);
  const cpu = { ...ctx, kernels: nk.kernels };
  const bound = bindPlan(b.plan, nk.workload, file);
  console.log(`kernels: ${kernelLines(nk).join(' · ')}`);
  return withWork(async (dir) => {
    const v = await verifyPlan(bound, { executor: cpu.executor, kernels: cpu.kernels, dir: join(dir, 'verify'), seed: (Date.now() ^ process.pid) >>> 0 });
    if (!v.ok) {
      console.log(`REJECTED (${v.stage}): ${v.reason}`);
      return 1;
    }
    console.log(`verified: ${v.checked}`);
    const pairs = opts.pairs ?? 5;
    const single = await built(cpu, singlePlan(nk.workload, cpu), join(dir, 'single'));
    const mine = await built(cpu, bound, join(dir, 'plan'));
    const t = await timePlans({ executor: ctx.executor, dir, input: join(dir, 'verify', 'inputs.bin'), oracleOut: join(dir, 'verify', 'oracle.out'), pairs, reps: 5 }, [single, mine]);
    const s = t.speedup;
    console.log(
      `measured: ${t.ms[1].toFixed(3)} ms; the single-device plan (whole CPU) ${t.ms[0].toFixed(3)} ms; speedup ${s.speedup.toFixed(2)}x [95% CI ${s.ciLow.toFixed(2)}-${s.ciHigh.toFixed(2)}, ${s.pairs} interleaved pairs]${b.plan.predicted ? `; predicted ${b.plan.predicted.ms.toFixed(3)} ms by ${b.plan.predicted.by}` : ''}`,
    );
    return 0;
  });
}

const SOURCE_WORDS: Record<string, string> = { measured: 'measured now on the whole CPU', memory: "memory's measured time at the bench size, scaled", roofline: 'roofline estimates from the ACP profile' };

export function describePlans(w: Workload, ctx: LocalContext, p: WorkloadPlans, out?: string, workers?: { device: { name: string }; jobMs?: number }[]): string {
  const d = ctx.descriptor;
  const lines = [`${w.name} on ${d.model} (${d.fingerprint.id}, ${d.units.count} ${d.units.name})`];
  const byKernel = [...ctx.kernels].map(([t, k]) => `${t}: ${k.origin === 'memory' ? `memory's best (${k.verdict}${k.flags.length ? `, ${k.flags.join(' ')}` : ''})` : 'reference'}`);
  lines.push(`  kernels   ${(kernelBindings(w) ? kernelLines({ workload: w, kernels: ctx.kernels }) : byKernel).join(' · ')}`);
  for (const s of p.sets)
    lines.push(`  ${s.set.padEnd(16)} ${s.candidate.sim.ms.toFixed(3)} ms predicted (GP1: ${s.candidate.plan.steps.filter((x) => x.op === 'run').length} runs, ${s.candidate.plan.steps.filter((x) => x.op === 'copy').length} copies)`);
  const best = p.best.candidate;
  const sources = [...new Set(Object.values(best.plan.predicted!.sources))].map((s) => SOURCE_WORDS[s]).join('; ');
  const gain = p.single.candidate.sim.ms / best.sim.ms;
  lines.push(
    p.best.set === p.single.set && best.plan.devices.length === 1
      ? `  chosen    the whole CPU, ${best.sim.ms.toFixed(3)} ms predicted: splitting into core groups${p.sets.some((x) => x.devices.some((d) => d.worker)) ? ' or onto fleet workers' : ''} is not predicted to win here (node times: ${sources})`
      : `  chosen    ${p.best.set}, ${best.sim.ms.toFixed(3)} ms predicted, ${gain.toFixed(2)}x the single-device plan (predicted; node times: ${sources})`,
  );
  best.plan.steps.forEach((s, i) => {
    const what = s.op === 'run' ? `run ${s.node}${s.rows ? ` rows ${s.rows[0]}..${s.rows[1] - 1}` : ''}` : `copy ${s.array}${s.rows ? ` rows ${s.rows[0]}..${s.rows[1] - 1}` : ''} from ${s.from}`;
    lines.push(`    ${s.device.padEnd(8)} ${what.padEnd(40)} ${best.sim.start[i].toFixed(3).padStart(9)} -> ${best.sim.finish[i].toFixed(3)} ms`);
  });
  if (workers?.length)
    lines.push(
      `  fleet     a worker's node time is this CPU's scaled by the two devices' rooflines, plus a plan job's round trip measured now (${workers.map((x) => `${x.device.name} ${(x.jobMs ?? 0).toFixed(1)} ms`).join(', ')}) once per run step; copies cost its measured link; kloop plan --run FILE --fleet URL measures the plan`,
    );
  if (out) lines.push(`  written   ${out} (check it with kloop plan --check ${out}, run it with kloop plan --run ${out})`);
  return lines.join('\n');
}

/** `kloop plan --kept [WORKLOAD]`: the plans memory keeps, with what was measured when each was kept. */
export function keptPlansList(plans: KeptPlan[], workload?: string): string {
  const list = plans.filter((p) => !workload || p.workload === workload);
  if (!list.length) return `no kept plans${workload ? ` for ${workload}` : ''} (kloop run --workload keeps a plan that is verified and faster than the single-device plan)`;
  return list
    .map((p) => {
      const plan = p.plan as { devices?: { name: string }[]; predicted?: { by?: string } };
      return [
        `${p.workload} on ${(plan.devices ?? []).map((d) => d.name).join(', ')} (${p.devices}), kept by run ${p.runId} at ${p.at}`,
        `  ${p.speedup.toFixed(2)}x over the single-device plan [95% CI ${p.ciLow.toFixed(2)}-${p.ciHigh.toFixed(2)}, ${p.pairs} interleaved pairs]: ${p.measuredMs.toFixed(3)} ms against ${p.singleMs.toFixed(3)} ms, measured; ${p.predictedMs.toFixed(3)} ms predicted by ${plan.predicted?.by ?? 'GP1'}`,
        `  ${p.verification}`,
      ].join('\n');
    })
    .join('\n');
}
