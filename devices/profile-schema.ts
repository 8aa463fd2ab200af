import { z } from 'zod';
import { configErrorFromZod } from '../common/index.js';
import type { DeviceProfile } from './device.js';

const gflops = z.number().positive().finite();
const pair = z.strictObject({ one: gflops, all: gflops });
const id = z.string().min(1).max(200);

/**
 * HP1's profile as it travels between machines (a fleet worker publishes its own with each
 * heartbeat; the coordinator uses it as the class's): every figure a positive number, every object
 * strict, so a profile that would put a wrong roof under a run is refused rather than half-read.
 */
export const profileSchema = z.strictObject({
  fingerprint: z.strictObject({ id, kind: z.enum(['cpu', 'cuda']), model: id, cores: z.number().int().min(1), flagsHash: z.string().max(64), compiler: z.string().max(500) }),
  measuredAt: z.iso.datetime(),
  gflops: z.strictObject({ fp32: pair, fp64: pair }),
  bandwidthGBs: pair,
  levels: z.array(z.strictObject({ name: id, bytes: z.number().int().positive(), shared: z.boolean(), gbs: pair })).min(1),
  curve: z.array(z.strictObject({ bytes: z.number().positive(), gbs: gflops })).optional(),
  gpu: z
    .strictObject({
      name: id,
      computeCapability: z.string().max(16),
      sms: z.number().int().min(1),
      l2Bytes: z.number().int().min(0),
      memoryMb: z.number().min(0),
      driver: z.string().max(100),
      runtime: z.string().max(100),
      nvcc: z.string().max(200),
    })
    .optional(),
});

/** A profile from `source` (e.g. "worker gpu-3"), or a ConfigError of one line naming the field. */
export function parseProfile(json: unknown, source: string): DeviceProfile {
  const parsed = profileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw configErrorFromZod(`${source}: device profile`, profileSchema, parsed.error);
}
