import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildResult } from './device.js';

export type Make = (out: string) => Promise<{ ok: boolean; log: string; ms: number }>;

/**
 * Shared, trusted build products (harness objects, oracles) keyed by content hash: built once,
 * written to a temporary name and renamed into place; concurrent requests for the same product
 * share one build (they may run as different uids).
 */
export class BuildCache {
  private readonly inFlight = new Map<string, Promise<BuildResult>>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  get(name: string, key: string, make: Make): Promise<BuildResult> {
    const dir = join(this.dir, `${name}-${key}`);
    const product = join(dir, name);
    const running = this.inFlight.get(product);
    if (running) return running;
    const p = (async (): Promise<BuildResult> => {
      if (existsSync(product)) return { ok: true, binary: product, log: '', ms: 0 };
      mkdirSync(dir, { recursive: true });
      const tmp = `${product}.tmp${process.pid}${Math.floor(Math.random() * 1e9)}`;
      const r = await make(tmp);
      if (r.ok) renameSync(tmp, product);
      return { ok: r.ok, binary: r.ok ? product : undefined, log: r.log, ms: r.ms };
    })().finally(() => this.inFlight.delete(product));
    this.inFlight.set(product, p);
    return p;
  }
}
