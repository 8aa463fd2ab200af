import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceProfile } from '../devices/index.js';
import { FileLock, type FileLockOptions } from './file-lock.js';
import { FILES, isInsight, isObject, isReview, isTried, isWinner, memoryDir, pairKey, readState, winnerId, writeState, type State } from './file-format.js';
import { JsonlLog } from './jsonl-log.js';
import { legacyDelta, readLegacy, retireLegacy } from './migrate.js';
import { sameBaseline } from './size-key.js';
import type { Baseline, Insight, KeptPlan, MemoryStore, Review, Winner } from './types.js';

export interface FileStoreOptions extends FileLockOptions {
  /** A memory.json from an earlier kloop, imported into the folder on first use and then renamed `*.migrated`. */
  legacyFile?: string;
}

/**
 * Memory in a folder that any number of kloop processes share (runs, review, verify). What grows
 * with history (tried programs, insights, winners, reviews) is appended, one line per record, at a
 * cost that does not grow with the file; the small documents are read, changed and replaced under a
 * cross-process lock, re-read inside it. Readers pick up other processes' appends incrementally.
 * Layout: see file-format.ts.
 */
export class FileStore implements MemoryStore {
  private readonly lock: FileLock;
  private readonly stateFile: string;
  private readonly triedLog: JsonlLog;
  private readonly insightsLog: JsonlLog;
  private readonly winnersLog: JsonlLog;
  private readonly reviewsLog: JsonlLog;

  private triedIndex = new Map<string, Set<string>>();
  private insightList: Insight[] = [];
  private insightsByPair = new Map<string, Insight[]>();
  private winnerList: Winner[] = [];
  private winnerIds = new Set<string>();
  private reviewMap = new Map<string, Review>();
  private stateCache: { text: string; state: State } | undefined;

  /** This process's updates of state.json, in call order (each one also takes the file lock). */
  private chain: Promise<unknown> = Promise.resolve();
  private opened?: Promise<void>;

  constructor(
    readonly dir: string,
    private readonly opts: FileStoreOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.lock = new FileLock(join(dir, FILES.lock), opts);
    this.stateFile = join(dir, FILES.state);
    this.triedLog = new JsonlLog(join(dir, FILES.tried), {
      record: (v) => {
        if (!isTried(v)) return false;
        const k = pairKey(v.target, v.fingerprint);
        const set = this.triedIndex.get(k) ?? new Set<string>();
        for (const x of v.keys) set.add(String(x));
        this.triedIndex.set(k, set);
        return true;
      },
      reset: () => (this.triedIndex = new Map()),
    });
    this.insightsLog = new JsonlLog(join(dir, FILES.insights), {
      record: (v) => {
        if (!isInsight(v)) return false;
        this.insightList.push(v);
        const k = pairKey(v.target, v.fingerprint);
        const list = this.insightsByPair.get(k) ?? [];
        list.push(v);
        this.insightsByPair.set(k, list);
        return true;
      },
      reset: () => {
        this.insightList = [];
        this.insightsByPair = new Map();
      },
    });
    this.winnersLog = new JsonlLog(join(dir, FILES.winners), {
      record: (v) => {
        if (!isWinner(v)) return false;
        const id = winnerId(v);
        if (!this.winnerIds.has(id)) {
          this.winnerIds.add(id);
          this.winnerList.push(v);
        }
        return true;
      },
      reset: () => {
        this.winnerList = [];
        this.winnerIds = new Set();
      },
    });
    this.reviewsLog = new JsonlLog(join(dir, FILES.reviews), {
      record: (v) => {
        if (!isReview(v)) return false;
        this.reviewMap.delete(v.candidateId); // the last decision wins, and goes last
        this.reviewMap.set(v.candidateId, v);
        return true;
      },
      reset: () => (this.reviewMap = new Map()),
    });
  }

  /** The store for a configured memory path (`.kloop/memory.json` → folder `.kloop/memory/`, importing that file if an earlier kloop wrote it). */
  static open(memoryPath: string, opts: Omit<FileStoreOptions, 'legacyFile'> = {}): FileStore {
    return new FileStore(memoryDir(memoryPath), { ...opts, legacyFile: memoryPath });
  }

  /** Lines skipped so far as torn or foreign, per log. */
  skipped(): Record<'tried' | 'insights' | 'winners' | 'reviews', number> {
    return { tried: this.triedLog.skipped, insights: this.insightsLog.skipped, winners: this.winnersLog.skipped, reviews: this.reviewsLog.skipped };
  }

  private ready(): Promise<void> {
    const legacy = this.opts.legacyFile;
    this.opened ??= legacy && existsSync(legacy) ? this.locked(() => this.importLegacy(legacy)) : Promise.resolve();
    return this.opened;
  }

  private locked(fn: () => void): Promise<void> {
    const next = this.chain.then(() => this.lock.run(fn));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private state(): State {
    const read = readState(this.stateFile);
    if (read.text !== this.stateCache?.text) this.stateCache = read;
    return this.stateCache.state;
  }

  /** Read-modify-write of state.json; call only under the lock. */
  private changeState(fn: (s: State) => State): void {
    const next = fn(this.state());
    this.stateCache = { text: writeState(this.stateFile, next), state: next };
  }

  private importLegacy(file: string): void {
    if (!existsSync(file)) return; // another process imported it while we waited for the lock
    const old = readLegacy(file);
    for (const log of [this.triedLog, this.insightsLog, this.winnersLog, this.reviewsLog]) log.catchUp();
    const d = legacyDelta(old, {
      state: this.state(),
      tried: (t, f) => this.triedIndex.get(pairKey(t, f)) ?? new Set(),
      insights: this.insightList,
      winnerIds: this.winnerIds,
      reviewed: new Set(this.reviewMap.keys()),
    });
    this.triedLog.append(d.tried);
    this.insightsLog.append(d.insights);
    this.winnersLog.append(d.winners);
    this.reviewsLog.append(d.reviews);
    this.changeState(() => d.state);
    retireLegacy(file);
  }

  async getBaseline(target: string, fingerprint: string, size?: Record<string, number>): Promise<Baseline | undefined> {
    await this.ready();
    const b = this.state().baselines.find((x) => sameBaseline(x, target, fingerprint, size));
    return b && structuredClone(b);
  }

  async setBaseline(b: Baseline): Promise<void> {
    await this.ready();
    const copy = structuredClone(b);
    return this.locked(() => this.changeState((s) => ({ ...s, baselines: [...s.baselines.filter((x) => !sameBaseline(x, b.target, b.fingerprint, b.size)), copy] })));
  }

  async baselines(filter: { target?: string } = {}): Promise<Baseline[]> {
    await this.ready();
    return structuredClone(this.state().baselines.filter((b) => !filter.target || b.target === filter.target));
  }

  async addInsights(list: Insight[]): Promise<void> {
    await this.ready();
    this.insightsLog.append(list);
  }

  async insights(filter: { target?: string; fingerprint?: string; limit?: number }): Promise<Insight[]> {
    await this.ready();
    this.insightsLog.catchUp();
    const from = filter.target !== undefined && filter.fingerprint !== undefined ? (this.insightsByPair.get(pairKey(filter.target, filter.fingerprint)) ?? []) : this.insightList;
    const all = from.filter((i) => (!filter.target || i.target === filter.target) && (!filter.fingerprint || i.fingerprint === filter.fingerprint));
    return structuredClone(filter.limit ? all.slice(-filter.limit) : all);
  }

  async getProfile(fingerprint: string): Promise<DeviceProfile | undefined> {
    await this.ready();
    const p = this.state().profiles.find((x) => x.fingerprint.id === fingerprint);
    return p && structuredClone(p);
  }

  async putProfile(p: DeviceProfile): Promise<void> {
    await this.ready();
    const copy = structuredClone(p);
    return this.locked(() => this.changeState((s) => ({ ...s, profiles: [...s.profiles.filter((x) => x.fingerprint.id !== p.fingerprint.id), copy] })));
  }

  async tried(target: string, fingerprint: string): Promise<Set<string>> {
    await this.ready();
    this.triedLog.catchUp();
    return new Set(this.triedIndex.get(pairKey(target, fingerprint)));
  }

  async addTried(target: string, fingerprint: string, keys: string[]): Promise<void> {
    await this.ready();
    if (keys.length) this.triedLog.append([{ target, fingerprint, keys }]);
  }

  async getReferenceNs(target: string, fingerprint: string): Promise<number | undefined> {
    await this.ready();
    return this.state().referenceNs[pairKey(target, fingerprint)];
  }

  async setReferenceNs(target: string, fingerprint: string, ns: number): Promise<void> {
    await this.ready();
    return this.locked(() => this.changeState((s) => ({ ...s, referenceNs: { ...s.referenceNs, [pairKey(target, fingerprint)]: ns } })));
  }

  async getModel(fingerprint: string): Promise<unknown> {
    await this.ready();
    const models = this.state().models;
    const m = isObject(models) ? models[fingerprint] : undefined;
    return m === undefined ? undefined : structuredClone(m);
  }

  async putModel(fingerprint: string, model: unknown): Promise<void> {
    await this.ready();
    const copy = structuredClone(model);
    return this.locked(() => this.changeState((s) => ({ ...s, models: { ...(isObject(s.models) ? s.models : {}), [fingerprint]: copy } })));
  }

  async getPlan(workload: string, devices: string): Promise<KeptPlan | undefined> {
    await this.ready();
    const p = (this.state().plans ?? []).find((x) => x.workload === workload && x.devices === devices);
    return p && structuredClone(p);
  }

  async setPlan(p: KeptPlan): Promise<void> {
    await this.ready();
    const copy = structuredClone(p);
    return this.locked(() => this.changeState((s) => ({ ...s, plans: [...(Array.isArray(s.plans) ? s.plans : []).filter((x) => !(x.workload === p.workload && x.devices === p.devices)), copy] })));
  }

  async plans(): Promise<KeptPlan[]> {
    await this.ready();
    const list = this.state().plans;
    return structuredClone(Array.isArray(list) ? list : []);
  }

  async addWinner(w: Winner): Promise<void> {
    await this.ready();
    // Appending a duplicate another process raced in is harmless: readers keep the first.
    this.winnersLog.catchUp();
    if (!this.winnerIds.has(winnerId(w))) this.winnersLog.append([w]);
  }

  async winners(filter: { target?: string; runId?: string } = {}): Promise<Winner[]> {
    await this.ready();
    this.winnersLog.catchUp();
    return structuredClone(this.winnerList.filter((w) => (!filter.target || w.target === filter.target) && (!filter.runId || w.runId === filter.runId)));
  }

  async addReview(r: Review): Promise<void> {
    await this.ready();
    this.reviewsLog.append([r]);
  }

  async reviews(): Promise<Review[]> {
    await this.ready();
    this.reviewsLog.catchUp();
    return structuredClone([...this.reviewMap.values()]);
  }
}
