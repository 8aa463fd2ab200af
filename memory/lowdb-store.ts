import { Low, Memory, type Adapter } from 'lowdb';
import type { DeviceProfile } from '../devices/index.js';
import { sameBaseline } from './size-key.js';
import { emptyMemory, type Baseline, type Insight, type KeptPlan, type MemoryData, type MemoryStore, type Review, type Winner } from './types.js';

const key = (target: string, fp: string) => `${target}|${fp}`;

/**
 * Memory as one lowdb document, held in this process: the in-memory store for tests. It rewrites the
 * whole document on every update and never re-reads it, so it is not for a file that several
 * processes share (that is FileStore).
 */
export class LowdbStore implements MemoryStore {
  private readonly db: Low<MemoryData>;
  private loaded = false;
  /** Writes are serialised: lowdb writes the whole document. */
  private chain: Promise<void> = Promise.resolve();

  constructor(adapter: Adapter<MemoryData>) {
    this.db = new Low(adapter, emptyMemory());
  }

  static memory(): LowdbStore {
    return new LowdbStore(new Memory<MemoryData>());
  }

  private async data(): Promise<MemoryData> {
    if (!this.loaded) {
      await this.db.read();
      this.db.data = { ...emptyMemory(), ...(this.db.data ?? {}) };
      this.loaded = true;
    }
    return this.db.data;
  }

  private update(fn: (d: MemoryData) => void): Promise<void> {
    const next = this.chain.then(async () => {
      fn(await this.data());
      await this.db.write();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async getBaseline(target: string, fingerprint: string, size?: Record<string, number>): Promise<Baseline | undefined> {
    const b = (await this.data()).baselines.find((x) => sameBaseline(x, target, fingerprint, size));
    return b && structuredClone(b);
  }

  setBaseline(b: Baseline): Promise<void> {
    return this.update((d) => {
      d.baselines = d.baselines.filter((x) => !sameBaseline(x, b.target, b.fingerprint, b.size));
      d.baselines.push(structuredClone(b));
    });
  }

  async baselines(filter: { target?: string } = {}): Promise<Baseline[]> {
    return structuredClone((await this.data()).baselines.filter((b) => !filter.target || b.target === filter.target));
  }

  addInsights(list: Insight[]): Promise<void> {
    return this.update((d) => d.insights.push(...structuredClone(list)));
  }

  async insights(filter: { target?: string; fingerprint?: string; limit?: number }): Promise<Insight[]> {
    const all = (await this.data()).insights.filter((i) => (!filter.target || i.target === filter.target) && (!filter.fingerprint || i.fingerprint === filter.fingerprint));
    return structuredClone(filter.limit ? all.slice(-filter.limit) : all);
  }

  async getProfile(fingerprint: string): Promise<DeviceProfile | undefined> {
    const p = (await this.data()).profiles.find((x) => x.fingerprint.id === fingerprint);
    return p && structuredClone(p);
  }

  putProfile(p: DeviceProfile): Promise<void> {
    return this.update((d) => {
      d.profiles = d.profiles.filter((x) => x.fingerprint.id !== p.fingerprint.id);
      d.profiles.push(structuredClone(p));
    });
  }

  async tried(target: string, fingerprint: string): Promise<Set<string>> {
    return new Set((await this.data()).tried[key(target, fingerprint)] ?? []);
  }

  addTried(target: string, fingerprint: string, keys: string[]): Promise<void> {
    return this.update((d) => {
      const k = key(target, fingerprint);
      d.tried[k] = [...new Set([...(d.tried[k] ?? []), ...keys])];
    });
  }

  async getReferenceNs(target: string, fingerprint: string): Promise<number | undefined> {
    return (await this.data()).referenceNs[key(target, fingerprint)];
  }

  addWinner(w: Winner): Promise<void> {
    return this.update((d) => {
      if (!d.winners.some((x) => x.candidateId === w.candidateId && x.runId === w.runId)) d.winners.push(structuredClone(w));
    });
  }

  async winners(filter: { target?: string; runId?: string } = {}): Promise<Winner[]> {
    return structuredClone((await this.data()).winners.filter((w) => (!filter.target || w.target === filter.target) && (!filter.runId || w.runId === filter.runId)));
  }

  addReview(r: Review): Promise<void> {
    return this.update((d) => {
      d.reviews = d.reviews.filter((x) => x.candidateId !== r.candidateId);
      d.reviews.push(structuredClone(r));
    });
  }

  async reviews(): Promise<Review[]> {
    return structuredClone((await this.data()).reviews);
  }

  async getModel(fingerprint: string): Promise<unknown> {
    const m = (await this.data()).models?.[fingerprint];
    return m === undefined ? undefined : structuredClone(m);
  }

  putModel(fingerprint: string, model: unknown): Promise<void> {
    const copy = structuredClone(model);
    return this.update((d) => {
      d.models = { ...d.models, [fingerprint]: copy };
    });
  }

  async getPlan(workload: string, devices: string): Promise<KeptPlan | undefined> {
    const p = ((await this.data()).plans ?? []).find((x) => x.workload === workload && x.devices === devices);
    return p && structuredClone(p);
  }

  setPlan(p: KeptPlan): Promise<void> {
    const copy = structuredClone(p);
    return this.update((d) => {
      d.plans = [...(d.plans ?? []).filter((x) => !(x.workload === p.workload && x.devices === p.devices)), copy];
    });
  }

  async plans(): Promise<KeptPlan[]> {
    return structuredClone((await this.data()).plans ?? []);
  }

  setReferenceNs(target: string, fingerprint: string, ns: number): Promise<void> {
    return this.update((d) => {
      d.referenceNs[key(target, fingerprint)] = ns;
    });
  }
}
