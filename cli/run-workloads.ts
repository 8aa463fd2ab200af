import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { tmpdir } from 'node:os';
import { createAgents } from '../agents/index.js';
import { openPlanRoundFleet } from '../fleet/index.js';
import { composeSandbox, createRun, openMemory, runsDirOf, runStopOf, type KloopEvent } from '../loop/index.js';
import { findGpu } from '../devices/index.js';
import {
  buildChecked,
  chooseNodeKernels,
  gpuExecutor,
  kernelBindings,
  kernelLines,
  measureNodes,
  planRecord,
  planRound,
  singleDevicePlan,
  weighedGpu,
  writePlanRecord,
  writeWorkloadInputs,
  type NodeKernel,
  type PlanRoundResult,
  type WeighedGpu,
} from '../plans/index.js';
import type { MemoryStore } from '../memory/index.js';
import type { Workflow } from '../workflow/index.js';
import { atSizes } from '../targets/index.js';
import { resolveWorkload, type Workload, type WorkloadNode } from '../workloads/index.js';
import { gpuKernelsText, gpuSourcesText, localContext, withWork, type LocalContext } from './plan-command.js';
import { summaryTable } from './summary-table.js';

export interface RunWorkloadsOptions {
  workloads: string[];
  minutes?: number;
  rounds?: number;
  memory?: string;
  json?: boolean;
  /** A fleet (Redis URL; default fleet.redis) whose live CPU workers each plan round offers GP1 beside this CPU. The kernel run stays on this machine. */
  fleet?: string;
  onEvent: (e: KloopEvent) => void;
}

/**
 * `kloop run --workload W ...`: first the loop on the workloads' nodes, one session per distinct
 * (target, node sizes), timed at the node's sizes (skipped with --rounds 0 or --minutes 0), then a
 * plan round per workload with the kernels memory now holds, each node bound to the kernel kept at
 * exactly its sizes where there is one (plans/node-kernels.ts; plans/plan-round.ts): GP1's plan
 * verified and timed against the single-device plan, kept in memory only if verified and its
 * interval clears accept.min_speedup. Prints each workload's node kernels and one line per
 * workload (JSON with --json).
 */
export async function runWorkloads(workflow: Workflow, o: RunWorkloadsOptions): Promise<void> {
  const workloads = o.workloads.map((w) => resolveWorkload(w));
  refuseMissingGpu(workflow);
  let runId = `plans-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  let runDir: string | undefined;
  // What the kernel run spent on models: the partitioner's calls come out of the same budget.usd / budget.tokens.
  const runSpent = { usd: 0, tokens: 0 };
  const memory = openMemory(workflow, process.cwd(), o.memory);
  if (o.minutes !== 0 && o.rounds !== 0) {
    // One session of the loop per distinct (target, node sizes): timed at the node's sizes, verified at the target's check sizes and those.
    const sessions = workloadSessions(workloads);
    // PO1 weighs each session by its nodes' share of their workload's time, measured now (the single-device plan, node by node, with the kernels each node runs now).
    const weights: Record<string, number> = {};
    for (const w of workloads) {
      const ctx = await localContext(workflow, memory, w);
      const nk = await chooseNodeKernels(memory, w, ctx.descriptor.fingerprint.id, ctx.kernels);
      const times = await withWork(async (dir) =>
        measureNodes({ executor: ctx.executor, dir, input: inputsOf(w, dir), reps: 5 }, await buildChecked(ctx.executor, nk.kernels, singleDevicePlan(nk.workload, ctx.descriptor), join(dir, 'single'))),
      );
      const total = [...times.values()].reduce((a, b) => a + b, 0);
      for (const s of sessions) {
        const mine = w.nodes.filter((n) => s.nodes.includes(n));
        if (mine.length) weights[s.name] = Math.max(weights[s.name] ?? 0, Math.min(1, Math.max(0.001, mine.reduce((a, m) => a + (times.get(m.name) ?? 0), 0) / total)));
      }
    }
    if (!o.json)
      console.log(
        `PO1 weights (each session's share of its workload's time, measured): ${Object.entries(weights)
          .map(([t, x]) => `${t} ${x.toFixed(3)}`)
          .join(', ')}`,
      );
    const runner = await createRun({
      workflow,
      targets: sessions.map((s) => s.dir),
      sizes: sessions.map((s) => s.sizes),
      minutes: o.minutes,
      rounds: o.rounds,
      memoryPath: o.memory,
      weights,
      onEvent: o.onEvent,
      onWarning: (m) => o.onEvent({ type: 'warning', message: m }),
    });
    const summary = await runner.run();
    runId = summary.runId;
    runDir = summary.dir;
    Object.assign(runSpent, { usd: summary.spend.total.usd, tokens: summary.spend.total.inputTokens + summary.spend.total.outputTokens });
    if (!o.json) console.log('\n' + summaryTable(summary));
  }
  const min = workflow.config.accept.min_speedup;
  // A model-backed partitioner (agents.partitioner and its "## partitioner" prompt) proposes beside GP1; its spend is counted here.
  const spend = { usd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
  const proposer =
    workflow.config.agents.partitioner.provider === 'builtin'
      ? undefined
      : createAgents({
          workflow,
          env: process.env,
          sandbox: composeSandbox(workflow, runsDirOf(workflow, process.cwd()).cacheDir).sandbox,
          scratchDir: tmpdir(),
          onUsage: (u) => Object.assign(spend, { usd: spend.usd + u.usd, inputTokens: spend.inputTokens + u.inputTokens, outputTokens: spend.outputTokens + u.outputTokens, calls: spend.calls + 1 }),
          warn: (m) => console.error(`kloop: ${m}`),
        }).partitioner;
  const overBudget = runStopOf({}, workflow.config.budget);
  // With a fleet, each round offers GP1 its live CPU workers too (or says in one line why not); a plan using them is measured in waves.
  const fleetUrl = o.fleet ?? workflow.config.fleet.redis;
  const sayFleet = (w: string) => (line: string) => console.log(o.json ? JSON.stringify({ type: 'plan.fleet', workload: w, line }) : `plan ${w}: ${line}`);
  const fleet = fleetUrl ? await openPlanRoundFleet(fleetUrl, sayFleet('(all)')) : undefined;
  for (const w of workloads) {
    const ctx = await localContext(workflow, memory, w);
    // Once the budget is spent, GP1 plans alone (it costs no model calls).
    const over = proposer && overBudget({ elapsedMs: 0, now: new Date(), spentUsd: runSpent.usd + spend.usd, spentTokens: runSpent.tokens + spend.inputTokens + spend.outputTokens });
    if (over) console.log(o.json ? JSON.stringify({ type: 'plan.partitioner-skipped', workload: w.name, why: over }) : `plan ${w.name}: the model partitioner is not asked (${over}); GP1's plans only`);
    const offered = await fleet?.offer(sayFleet(w.name));
    // Each node runs memory's best kept at exactly its sizes, else its target's default (plans/node-kernels.ts).
    // Plan jobs carry a target's own kernels to workers: with workers offered, every node runs its target's default.
    let nk = await chooseNodeKernels(memory, w, ctx.descriptor.fingerprint.id, ctx.kernels);
    if (offered && nk.workload.nodes.some((n, i) => n.target !== w.nodes[i].target)) {
      sayFleet(w.name)("fleet workers are offered, and plan jobs carry each target's own kernel: this round every node runs its target's default kernel, not one kept at its node's sizes");
      nk = await chooseNodeKernels(undefined, w, ctx.descriptor.fingerprint.id, ctx.kernels);
    }
    if (o.json) console.log(JSON.stringify({ type: 'plan.kernels', workload: w.name, kernels: kernelBindings(nk.workload) }));
    else console.log(`plan ${w.name} kernels: ${kernelLines(nk).join(' · ')}`);
    const sayGpu = (line: string) => console.log(o.json ? JSON.stringify({ type: 'plan.gpu', workload: w.name, line }) : `plan ${w.name}: ${line}`);
    const { r, gpu } = await withWork(async (dir) => {
      // This machine's GPU, where one and nvcc are found, weighed as kloop plan --measure weighs it; none: nothing said.
      const gpu = await roundGpu(workflow, memory, nk.workload, { ...ctx, kernels: nk.kernels }, join(dir, 'gpu'), sayGpu);
      const r = await planRound({
        workload: nk.workload,
        descriptor: ctx.descriptor,
        kernels: gpu?.kernels ?? nk.kernels,
        executor: ctx.executor,
        memory,
        dir: join(dir, w.name),
        runId,
        minSpeedup: min,
        pairs: 7,
        reps: 5,
        seed: (Date.now() ^ process.pid) >>> 0,
        now: () => new Date().toISOString(),
        proposer: over ? undefined : proposer,
        fleet: offered,
        gpu: gpu && { device: gpu.device, descriptor: gpu.descriptor, measured: gpu.measured, link: gpu.link, executor: gpuExecutor(workflow, ctx.descriptor.units.count, gpu.gpu) },
      });
      return { r, gpu };
    });
    if (gpu) sayGpu(`GPU offered to GP1: ${gpu.descriptor.model} (${gpu.device.acp}): ${gpuKernelsText(gpu)}; ${gpuSourcesText(gpu, r.plans)}`);
    if (runDir) writePlanRecord(runDir, planRecord(w, r));
    if (o.json) console.log(JSON.stringify(planEvent(r)));
    else console.log(`plan ${w.name}: ${r.why}${r.model ? ` (model partitioner: ${r.model})` : ''}`);
  }
  await fleet?.close();
  if (proposer) {
    const line = `partitioner spend: $${spend.usd.toFixed(4)} in ${spend.calls} calls (${spend.inputTokens} input, ${spend.outputTokens} output tokens)`;
    console.log(o.json ? JSON.stringify({ type: 'plan.spend', ...spend }) : line);
  }
}

/** A workflow that asks for the GPU (device: cuda) on a machine without a usable one (or without nvcc) is one line before anything runs, as kloop run says it. */
export function refuseMissingGpu(workflow: Workflow, env: NodeJS.ProcessEnv = process.env): void {
  if (workflow.config.device === 'cuda') findGpu(workflow.file, 'device is cuda', workflow.config.cuda.gpu, env);
}

/** The GPU a plan round offers GP1 (weighedGpu, its node times and copies measured now); none here: undefined, silently; its measurement failing: one line, and the round plans without it. */
async function roundGpu(workflow: Workflow, memory: MemoryStore, w: Workload, cpu: { descriptor: LocalContext['descriptor']; kernels: Map<string, NodeKernel> }, dir: string, say: (line: string) => void): Promise<WeighedGpu | undefined> {
  try {
    return await weighedGpu({ workflow, memory, workload: w, cpu, measure: { dir }, note: (line) => console.error(`kloop: ${line}`) });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    say(`the GPU is left out of this round: ${e.message.split('\n')[0]}`);
    return undefined;
  }
}

function planEvent(r: PlanRoundResult) {
  return {
    type: 'plan',
    workload: r.workload,
    kept: !!r.kept,
    why: r.why,
    predictedMs: r.chosen.sim.ms,
    model: r.model,
    singlePredictedMs: r.plans.single.candidate.sim.ms,
    measuredMs: r.timing?.ms[1],
    singleMs: r.timing?.ms[0],
    kernels: r.chosen.plan.predicted?.kernels,
    speedup: r.timing?.speedup,
    verdict: r.verdict && (r.verdict.ok ? 'verified' : `rejected (${r.verdict.stage})`),
  };
}

/** --workload and --target together: one of them (a workload's targets are tuned by --workload itself). */
export function refuseTargetsWithWorkloads(targets: string[] | undefined, workloads: string[] | undefined): void {
  if (targets?.length && workloads?.length) throw new UserError('--target and --workload: give one of them (a run on workloads tunes their targets first)');
}

/** A session of the loop for `kloop run --workload`: a target at one node size (null: its bench size), and the nodes that run it so. */
export interface WorkloadSession {
  /** The run's name for it: the target's, or `TARGET@SIZES` (targets/sized.ts). */
  name: string;
  dir: string;
  sizes: Record<string, number> | null;
  nodes: WorkloadNode[];
}

/** The distinct (target, node sizes) of the workloads, in node order: each is one session of the loop. */
export function workloadSessions(workloads: Workload[]): WorkloadSession[] {
  const out = new Map<string, WorkloadSession>();
  for (const w of workloads)
    for (const n of w.nodes) {
      const t = atSizes(n.target, n.sizes);
      const key = `${n.target.dir}\u0000${t.name}`;
      const s = out.get(key) ?? { name: t.name, dir: n.target.dir, sizes: t.session ? t.session.size : null, nodes: [] };
      s.nodes.push(n);
      out.set(key, s);
    }
  return [...out.values()];
}

function inputsOf(w: Workload, dir: string): string {
  const file = join(dir, 'inputs.bin');
  writeWorkloadInputs(w, 1, file);
  return file;
}
