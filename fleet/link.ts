import type { Redis } from 'ioredis';
import type { AcpDescriptor } from '../devices/index.js';

/**
 * The host's link to the coordinator, measured through the fleet's Redis (the only thing both
 * reach): the median round trip of 10 PINGs, and GB/s of writing and reading back 4 MiB.
 */
export async function measureLink(redis: Redis, id: string, now = () => new Date()): Promise<NonNullable<AcpDescriptor['link']>> {
  const rtts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await redis.ping();
    rtts.push(performance.now() - t);
  }
  rtts.sort((a, b) => a - b);
  const payload = Buffer.alloc(4 << 20, 0x6b);
  const key = `kloop:fleet:link:${id}`;
  const t0 = performance.now();
  await redis.set(key, payload, 'EX', 60);
  const back = await redis.getBuffer(key);
  const s = (performance.now() - t0) / 1000;
  await redis.del(key);
  return { gbs: Math.max(1e-6, (payload.length + (back?.length ?? 0)) / s / 1e9), rttMs: rtts[rtts.length >> 1], measuredAt: now().toISOString() };
}
