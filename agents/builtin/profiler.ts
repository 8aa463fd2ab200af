import { roofPhrase, targetRoofline } from '../../devices/index.js';
import type { BaselineProfile, Profiler, RoundContext } from '../roles.js';

/** Places the measured baseline on the device's hierarchical roofline. Deterministic; no model. */
export class BuiltinProfiler implements Profiler {
  readonly name = 'builtin';

  async profile(ctx: RoundContext & { medianNs: number }): Promise<BaselineProfile> {
    const { target, medianNs } = ctx;
    const r = targetRoofline(ctx.deviceProfile, target, medianNs / 1e9);
    const raised = r.outran ? `; it moved data faster than that, so it is at the roof of ${r.level}, which holds its working set` : '';
    return {
      target: target.name,
      medianNs,
      roofline: r,
      vsReference: ctx.baseline.vsReference,
      summary: `${(medianNs / 1e6).toFixed(3)} ms, ${r.gflops.toFixed(2)} GFLOP/s, ${r.gbs.toFixed(2)} GB/s, ${roofPhrase(r)} (${r.roofGflops.toFixed(1)} GFLOP/s at ${r.intensity.toFixed(2)} flop/byte, ${r.level} ${r.levelGBs.toFixed(0)} GB/s${raised})`,
    };
  }
}
