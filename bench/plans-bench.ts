/**
 * `npm run bench:plans [-- --pairs 7] [--reps 5] [--workload NAME ...] [--memory FILE]`: per shipped workload on
 * this machine, measured in this run: each node's time on the whole CPU (GP1's inputs), GP1's best
 * plan per device set (the whole CPU, 2 core groups) with its predicted time, each verified against
 * the graph oracle and timed against the single-device plan, interleaved (A B A B …, each process
 * `reps` executions after a warm-up; every timed run's outputs compared with the oracle). The row
 * GP1 chose is marked `*`. Waits while /tmp/QUIET exists (someone is timing something).
 * `--fleet URL`: GP1 also weighs this CPU with the fleet's CPU workers; that row is verified and
 * timed in waves (its worker steps as plan jobs), against the single-device plan run the same way.
 * On a machine with an NVIDIA GPU and nvcc, GP1 also weighs the CPU + GPU set, from the GPU's node
 * times and host<->GPU copies measured in this run; that row runs in the plan's own program like the others.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { built, localContext, measureSingle, singlePlan, withWork } from '../cli/plan-command.js';
import { openMemory } from '../loop/index.js';
import { fleetPlanDevices } from '../cli/plan-fleet.js';
import { fleetRemoteFor, PlanFleet } from '../fleet/index.js';
import { bindPlan, buildChecked, gpuExecutor, measureInWaves, planWorkload, timePlans, verifyPlan, weighedGpu, type BoundPlan } from '../plans/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { resolveWorkload, workloadCatalogNames } from '../workloads/index.js';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '7' }, reps: { type: 'string', default: '5' }, workload: { type: 'string', multiple: true }, memory: { type: 'string' }, fleet: { type: 'string' } } });
const pairs = Number(values.pairs);
const reps = Number(values.reps);

while (existsSync('/tmp/QUIET')) {
  console.error('bench:plans: /tmp/QUIET exists (a measurement is running); waiting');
  await new Promise((r) => setTimeout(r, 30_000));
}

const workflow = loadWorkflow();
const memory = openMemory(workflow, process.cwd(), values.memory);
const rows: string[][] = [['workload', 'plan', 'devices', 'predicted ms', 'measured ms', 'vs single-device', 'verdict']];
let machine = '';
const kernelLines: string[] = [];
const workers = values.fleet ? await fleetPlanDevices(values.fleet) : undefined;
const fleet = values.fleet ? await PlanFleet.open(values.fleet) : undefined;

/** A plan with fleet workers: verified in waves, then timed against the single-device plan executed the same way (plans/fleet-plan.ts). */
async function fleetRow(
  ctx: Awaited<ReturnType<typeof localContext>>,
  bound: BoundPlan,
  single: BoundPlan,
  dir: string,
): Promise<{ ok: false; reason: string } | { ok: true; ms: number[]; speedup: { speedup: number; ciLow: number; ciHigh: number }; maxErrorRatio: number }> {
  const m = await measureInWaves({ bound, single, executor: ctx.executor, kernels: ctx.kernels, memory, remoteFor: fleetRemoteFor(fleet!), dir: join(dir, 'fleet'), pairs, seed: 17 });
  if (!m.verdict.ok) return { ok: false, reason: `REJECTED (${m.verdict.stage}): ${m.verdict.reason}` };
  if (!m.timing) return { ok: false, reason: `REJECTED (${m.failed!.stage}): ${m.failed!.reason}` };
  return { ok: true, ms: m.timing.ms, speedup: m.timing.speedup, maxErrorRatio: m.verdict.maxErrorRatio };
}
for (const name of values.workload ?? workloadCatalogNames()) {
  const w = resolveWorkload(name);
  const ctx = await localContext(workflow, memory, w);
  machine = `${ctx.descriptor.model} (${ctx.descriptor.fingerprint.id}, ${ctx.descriptor.units.count} ${ctx.descriptor.units.name})`;
  kernelLines.push(`kernels of ${w.name}: ${[...ctx.kernels].map(([t, k]) => `${t} ${k.origin === 'memory' ? `memory's best (${k.verdict}${k.parallel ? ', OpenMP' : ''})` : 'reference'}`).join(', ')}`);
  await withWork(async (dir) => {
    const measuredByThreads = await measureSingle(ctx, w, dir);
    const gpu = await weighedGpu({ workflow, memory, workload: w, cpu: ctx, measure: { dir: join(dir, 'gpu') }, note: (line) => console.error(`kloop: ${line}`) });
    const gpuEx = gpu && gpuExecutor(workflow, ctx.descriptor.units.count, gpu.gpu);
    if (gpu) kernelLines.push(`GPU ${gpu.descriptor.model} (${gpu.device.acp}): its node times and copies measured in this run (to the GPU ${gpu.link!.h2d.gbs.toFixed(1)} GB/s, back ${gpu.link!.d2h.gbs.toFixed(1)} GB/s)`);
    const p = planWorkload({ workload: w, descriptor: ctx.descriptor, kernels: gpu?.kernels ?? ctx.kernels, measuredByThreads, workers, gpu });
    const single = await built(ctx, singlePlan(w, ctx), join(dir, 'single'));
    for (const s of p.sets) {
      const bound = bindPlan(s.candidate.plan, w, `GP1 ${s.set}`);
      if (s.devices.some((d) => d.worker)) {
        const chosen = s.candidate.plan === p.best.candidate.plan;
        const f = await fleetRow(ctx, bound, singlePlan(w, ctx), dir);
        const devices = s.devices.map((d) => d.name).join(' ');
        if (!f.ok) rows.push([w.name, `${chosen ? '* ' : '  '}${s.set}`, devices, s.candidate.sim.ms.toFixed(2), '-', '-', f.reason]);
        else
          rows.push([
            w.name,
            `${chosen ? '* ' : '  '}${s.set}`,
            devices,
            s.candidate.sim.ms.toFixed(2),
            `${f.ms[1].toFixed(2)} (single ${f.ms[0].toFixed(2)}, in waves)`,
            `${f.speedup.speedup.toFixed(2)}x [${f.speedup.ciLow.toFixed(2)}, ${f.speedup.ciHigh.toFixed(2)}]`,
            `verified, max error ${f.maxErrorRatio.toFixed(2)} of bound`,
          ]);
        continue;
      }
      // A set with the GPU runs on an executor that builds its CUDA parts with nvcc.
      const onGpu = gpuEx && gpu && s.devices.some((d) => d.kind === 'cuda') ? { executor: gpuEx, kernels: gpu.kernels } : undefined;
      const vdir = join(dir, `verify-${s.devices.length}${onGpu ? '-gpu' : ''}`);
      const v = await verifyPlan(bound, { executor: onGpu?.executor ?? ctx.executor, kernels: onGpu?.kernels ?? ctx.kernels, dir: vdir, seed: 11 + s.devices.length });
      const chosen = s.candidate.plan === p.best.candidate.plan || (p.best.set === s.set && s.devices.length === 1);
      const label = `${chosen ? '* ' : '  '}${s.set}`;
      const devices = s.devices.map((d) => (d.cores ? `${d.name}[${d.cores.join(',')}]` : d.name)).join(' ');
      if (!v.ok) {
        rows.push([w.name, label, devices, s.candidate.sim.ms.toFixed(2), '-', '-', `REJECTED (${v.stage}): ${v.reason}`]);
        continue;
      }
      const mine = onGpu ? await buildChecked(onGpu.executor, onGpu.kernels, bound, join(dir, 'plan-gpu')) : await built(ctx, bound, join(dir, `plan-${s.devices.length}`));
      const t = await timePlans({ executor: onGpu?.executor ?? ctx.executor, dir, input: join(vdir, 'inputs.bin'), oracleOut: join(vdir, 'oracle.out'), pairs, reps }, [single, mine]);
      const sp = t.speedup;
      rows.push([
        w.name,
        label,
        devices,
        s.candidate.sim.ms.toFixed(2),
        `${t.ms[1].toFixed(2)} (single ${t.ms[0].toFixed(2)})`,
        `${sp.speedup.toFixed(2)}x [${sp.ciLow.toFixed(2)}, ${sp.ciHigh.toFixed(2)}]`,
        `verified, max error ${v.maxErrorRatio.toFixed(2)} of bound`,
      ]);
    }
  });
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`machine: ${machine}; load average at the end ${loadavg()[0].toFixed(1)} (other processes share the cores)`);
for (const l of kernelLines) console.log(l);
console.log(
  `each figure measured in this run; speedup: geometric mean of ${pairs} interleaved pairs (each process: the median of at least ${reps} executions, more for a short plan, ~50 ms), 95% t-interval; predicted: GP1 from node times measured in this run on the whole CPU and on one core group alone`,
);
if (fleet)
  console.log(
    "fleet rows: the plan and the single-device plan both executed in waves, each execution's wall clock a sample (every wave's local process and every plan job with its transfers); GP1 counts a plan job's round trip, measured in this run with nothing to compute, once per run step on a worker",
  );
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
await fleet?.close();
