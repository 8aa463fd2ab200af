import type { WorkloadArray } from '../workloads/index.js';
import type { BoundPlan } from './bind.js';
import { usedBuffers } from './compare.js';

const width = (a: WorkloadArray) => (a.real === 'float' ? 4 : 8);

/**
 * Every device's memory of a plan executed in waves, as one buffer in the check dump's layout
 * (devices in order, each its arrays in order: compare.ts reads it as it is). Every buffer starts
 * as NaN (all bits set); the workload's inputs start on home. A fleet worker's buffers here are
 * what its jobs left there: the rows copied to it and the rows its steps wrote, nothing else.
 */
export class PlanState {
  readonly buf: Buffer;
  private readonly at = new Map<string, number>();

  constructor(
    readonly plan: BoundPlan,
    inputs: Buffer,
  ) {
    const arrays = [...plan.workload.arrays.values()];
    const used = usedBuffers(plan);
    let off = 0;
    plan.devices.forEach((_, d) =>
      arrays.forEach((a, k) => {
        if (!used[d][k]) return;
        this.at.set(`${d}|${a.id}`, off);
        off += a.elements * width(a);
      }),
    );
    this.buf = Buffer.alloc(off, 0xff);
    let i = 0;
    for (const id of plan.workload.inputs) {
      const a = plan.workload.arrays.get(id)!;
      const n = a.elements * width(a);
      if (inputs.length < i + n) throw new Error(`the workload's inputs end inside ${id}`);
      inputs.copy(this.buf, this.offset(plan.home, a), i, i + n);
      i += n;
    }
  }

  private offset(device: number, a: WorkloadArray): number {
    const o = this.at.get(`${device}|${a.id}`);
    if (o === undefined) throw new Error(`device ${this.plan.devices[device].name} has no buffer for ${a.id}`);
    return o;
  }

  /** Bytes of one row of an array. */
  static rowBytes(a: WorkloadArray): number {
    return a.rowElements * width(a);
  }

  /** Rows [lo, hi) of an array on a device (a view into the state). */
  rows(device: number, a: WorkloadArray, lo: number, hi: number): Buffer {
    const o = this.offset(device, a);
    const rb = PlanState.rowBytes(a);
    return this.buf.subarray(o + lo * rb, o + hi * rb);
  }

  /** Write rows [lo, lo + data's rows) of an array on a device. */
  write(device: number, a: WorkloadArray, lo: number, data: Buffer): void {
    const o = this.offset(device, a);
    const rb = PlanState.rowBytes(a);
    if (data.length % rb !== 0 || lo * rb + data.length > a.elements * width(a)) throw new Error(`${data.length} bytes do not fit rows of ${a.id} from row ${lo}`);
    data.copy(this.buf, o + lo * rb);
  }
}
