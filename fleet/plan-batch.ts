import { randomBytes } from 'node:crypto';
import { UserError } from '../common/index.js';
import { PlanState, type BoundPlan, type NodeKernel, type RunRemote } from '../plans/index.js';
import type { WorkloadArray } from '../workloads/index.js';
import { PlanFleet } from './plan-client.js';
import { MAX_PLAN_JOB_BYTES, PLAN_JOB_VERSION, type PlanJob } from './plan-job.js';
import { targetDigest } from './result-key.js';
import { isShippedTarget, targetFiles } from './target-files.js';

type Rows = [number, number];

/** Rows [lo, hi) less the rows in `minus`. */
function subtract(lo: number, hi: number, minus: Rows[]): Rows[] {
  let parts: Rows[] = [[lo, hi]];
  for (const [a, b] of minus)
    parts = parts.flatMap(([x, y]): Rows[] =>
      b <= x || a >= y
        ? [[x, y]]
        : ([
            [x, Math.max(x, a)],
            [Math.min(y, b), y],
          ].filter(([p, q]) => p < q) as Rows[]),
    );
  return parts;
}

/** A set of row ranges merged into disjoint ones, lowest first. */
function merge(list: Rows[]): Rows[] {
  const out: Rows[] = [];
  for (const [a, b] of [...list].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The fleet's side of a plan executed in waves (plans/wave-executor.ts): a worker device's batch as
 * one plan job on that worker. The job carries the rows its copies bring (read from the source
 * device's memory in the wave's state), the rows of the worker's own memory its steps read that
 * earlier batches wrote there, the node kernels the coordinator chose for that device (memory's
 * best for its fingerprint, else the reference) and the steps in the plan's order; it returns the
 * rows its run steps wrote, which become that device's memory here. Nothing else moves: a row no
 * copy brought and no step wrote there is NaN on the worker, as on any device.
 */
export function fleetRemote(o: { fleet: PlanFleet; bound: BoundPlan; kernelsFor: (device: number) => Map<string, NodeKernel>; limitMs: number; run?: string }): RunRemote {
  const b = o.bound;
  const run = o.run ?? randomBytes(6).toString('hex');
  let seq = 0;
  return async (device, steps, state) => {
    const dev = b.devices[device];
    const width = b.workload.nodes[0].target.real === 'float' ? 4 : 8;
    const buffers: WorkloadArray[] = [];
    const bufferOf = (a: WorkloadArray) => {
      let i = buffers.indexOf(a);
      if (i < 0) i = buffers.push(a) - 1;
      return i;
    };
    const kernels: PlanJob['kernels'] = [];
    const kernelIndex = new Map<string, number>();
    const records: PlanJob['records'] = [];
    const data: Buffer[] = [];
    const pre: PlanJob['steps'] = [];
    const jobSteps: PlanJob['steps'] = [];
    const planStepOf: (number | undefined)[] = [];
    const copies: { a: WorkloadArray; lo: number; data: Buffer }[] = [];
    const writtenHere = new Map<string, Rows[]>();
    const needed = new Map<WorkloadArray, Rows[]>();
    const outputs = new Map<WorkloadArray, Rows[]>();
    const record = (a: WorkloadArray, lo: number, hi: number, from: number) => {
      const rows = Buffer.from(state.rows(from, a, lo, hi)); // a copy: the wave's snapshot
      records.push({ buffer: bufferOf(a), offset: lo * a.rowElements, elements: (hi - lo) * a.rowElements });
      data.push(rows);
      return { index: records.length - 1, rows };
    };
    for (const i of steps) {
      const s = b.steps[i];
      if (s.op === 'copy') {
        const r = record(s.array!, s.rows[0], s.rows[1], s.from!);
        copies.push({ a: s.array!, lo: s.rows[0], data: r.rows });
        jobSteps.push({ op: 'load', record: r.index });
      } else {
        for (const x of s.reads) {
          const missing = subtract(x.lo, x.hi, writtenHere.get(x.array.id) ?? []);
          if (missing.length) needed.set(x.array, [...(needed.get(x.array) ?? []), ...missing]);
        }
        const t = s.node!.target;
        let k = kernelIndex.get(t.name);
        if (k === undefined) {
          const nk = o.kernelsFor(device).get(t.name);
          if (!nk) throw new UserError(`plan device ${dev.name}: no kernel for ${t.name}`);
          k = kernels.push({ target: { name: t.name, digest: targetDigest(t), ...(isShippedTarget(t) ? {} : { files: targetFiles(t) }) }, source: nk.source, flags: nk.flags }) - 1;
          kernelIndex.set(t.name, k);
        }
        jobSteps.push({ op: 'run', kernel: k, sizes: s.sizes!, args: Object.fromEntries(s.args!.map((a) => [a.arg, { buffer: bufferOf(a.array), offset: a.offset }])) });
        for (const x of s.writes) outputs.set(x.array, [...(outputs.get(x.array) ?? []), [x.lo, x.hi]]);
      }
      planStepOf.push(i);
      for (const x of s.writes) writtenHere.set(x.array.id, [...(writtenHere.get(x.array.id) ?? []), [x.lo, x.hi]]);
    }
    // The worker's own memory that these steps read and earlier batches wrote: loaded first.
    for (const [a, rows] of needed)
      for (const [lo, hi] of merge(rows)) {
        pre.push({ op: 'load', record: record(a, lo, hi, device).index });
        planStepOf.unshift(undefined);
      }
    const out: { a: WorkloadArray; lo: number; hi: number }[] = [];
    for (const [a, rows] of outputs) for (const [lo, hi] of merge(rows)) out.push({ a, lo, hi });
    const input = Buffer.concat(data);
    const outBytes = out.reduce((n, r) => n + (r.hi - r.lo) * PlanState.rowBytes(r.a), 0);
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    if (input.length > MAX_PLAN_JOB_BYTES || outBytes > MAX_PLAN_JOB_BYTES)
      throw new UserError(
        `plan device ${dev.name} (worker ${dev.worker}): one wave moves ${mib(input.length)} to it and ${mib(outBytes)} back; a plan job carries at most ${mib(MAX_PLAN_JOB_BYTES)} each way: split the node's rows across more steps`,
      );
    const job: Omit<PlanJob, 'input'> = {
      v: PLAN_JOB_VERSION,
      kind: 'plan',
      id: `plan-${run}-${++seq}-${dev.name}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
      run,
      worker: dev.worker!,
      device: dev.acp,
      real: width === 4 ? 'float' : 'double',
      kernels,
      buffers: buffers.map((a) => ({ elements: a.elements })),
      records,
      steps: [...pre, ...jobSteps],
      outputs: out.map((r) => ({ buffer: bufferOf(r.a), offset: r.lo * r.a.rowElements, elements: (r.hi - r.lo) * r.a.rowElements })),
      limitMs: o.limitMs,
    };
    const { result, output, ms } = await o.fleet.run(job, input);
    if (result.outcome !== 'done') throw new UserError(`worker ${dev.worker} (plan device ${dev.name}): plan job ${job.id}: ${result.outcome}: ${(result.error ?? '').split('\n')[0]}`);
    if (output.length !== outBytes) throw new UserError(`worker ${dev.worker} returned ${output.length} bytes for plan job ${job.id}, expected ${outBytes}`);
    const stepNs = new Map<number, number>();
    result.stepNs.forEach((ns, k) => planStepOf[k] !== undefined && stepNs.set(planStepOf[k]!, ns));
    return {
      worker: dev.worker!,
      stepNs,
      bytesIn: input.length,
      bytesOut: output.length,
      ms,
      workerMs: result.finishedAt - result.startedAt,
      apply: (st) => {
        for (const c of copies) st.write(device, c.a, c.lo, c.data);
        let at = 0;
        for (const r of out) {
          const n = (r.hi - r.lo) * PlanState.rowBytes(r.a);
          st.write(device, r.a, r.lo, output.subarray(at, at + n));
          at += n;
        }
      },
    };
  };
}
