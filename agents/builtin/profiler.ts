import { roofline } from '../../devices/index.js';
import { evalExpr } from '../../targets/index.js';
import type { BaselineProfile, Profiler, RoundContext } from '../roles.js';

/** Places the measured baseline on the device's roofline. Deterministic; no model. */
export class BuiltinProfiler implements Profiler {
  readonly name = 'builtin';

  async profile(ctx: RoundContext & { medianNs: number }): Promise<BaselineProfile> {
    const { target, medianNs } = ctx;
    const flops = evalExpr(target.flops, target.benchSize);
    const bytes = evalExpr(target.bytes, target.benchSize);
    const r = roofline(ctx.deviceProfile, target.real, flops, bytes, medianNs / 1e9);
    return {
      target: target.name,
      medianNs,
      roofline: r,
      vsReference: ctx.baseline.vsReference,
      summary: `${(medianNs / 1e6).toFixed(3)} ms, ${r.gflops.toFixed(2)} GFLOP/s, ${r.gbs.toFixed(2)} GB/s, ${r.pctOfRoof.toFixed(1)}% of the ${r.bound} roof (${r.roofGflops.toFixed(1)} GFLOP/s at ${r.intensity.toFixed(2)} flop/byte)`,
    };
  }
}
