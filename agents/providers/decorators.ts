import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import PQueue from 'p-queue';
import { ProviderError, ProviderPausedError, retryWithBackoff, UserError, type RetryOptions } from '../../common/index.js';
import type { GenerateRequest, GenerateResult, ModelProvider } from './provider.js';

/** A decorator: the same interface, the inner provider's name and model. */
abstract class ProviderDecorator implements ModelProvider {
  constructor(protected readonly inner: ModelProvider) {}
  get name() {
    return this.inner.name;
  }
  get model() {
    return this.inner.model;
  }
  abstract generate(req: GenerateRequest): Promise<GenerateResult>;
}

/** Retries retryable failures with exponential backoff (the one helper). */
export class RetryingProvider extends ProviderDecorator {
  constructor(
    inner: ModelProvider,
    private readonly opts: RetryOptions,
  ) {
    super(inner);
  }
  generate(req: GenerateRequest): Promise<GenerateResult> {
    return retryWithBackoff(() => this.inner.generate(req), this.opts);
  }
}

/** At most `concurrency` requests in flight to one provider (the queue is shared by its roles). */
export class LimitedProvider extends ProviderDecorator {
  constructor(
    inner: ModelProvider,
    private readonly queue: PQueue,
  ) {
    super(inner);
  }
  generate(req: GenerateRequest): Promise<GenerateResult> {
    return this.queue.add(() => this.inner.generate(req)) as Promise<GenerateResult>;
  }
}

/**
 * A provider that stays down (retryable failures even after retries, `threshold` times in a row)
 * is paused for `cooldownMs`: calls fail fast with ProviderPausedError, and the loop says so.
 */
export class PausingProvider extends ProviderDecorator {
  private failures = 0;
  private pausedUntil = 0;
  constructor(
    inner: ModelProvider,
    private readonly o: { threshold: number; cooldownMs: number; now?: () => number; onPause?: (until: number, cause: Error) => void },
  ) {
    super(inner);
  }
  /** Epoch ms until which the provider is paused (0 = not paused). */
  pausedUntilMs(): number {
    return this.pausedUntil > (this.o.now ?? Date.now)() ? this.pausedUntil : 0;
  }
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const now = (this.o.now ?? Date.now)();
    if (this.pausedUntil > now) throw new ProviderPausedError(this.name, this.pausedUntil);
    try {
      const r = await this.inner.generate(req);
      this.failures = 0;
      return r;
    } catch (e) {
      if (e instanceof ProviderError && e.retryable && ++this.failures >= this.o.threshold) {
        this.failures = 0;
        this.pausedUntil = (this.o.now ?? Date.now)() + this.o.cooldownMs;
        this.o.onPause?.(this.pausedUntil, e);
      }
      throw e;
    }
  }
}

/** Reports each call's usage (tokens, USD) to a callback: the cost ledger and the journal. */
export class MeteredProvider extends ProviderDecorator {
  constructor(
    inner: ModelProvider,
    private readonly onUsage: (req: GenerateRequest, res: GenerateResult, provider: string) => void,
  ) {
    super(inner);
  }
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const r = await this.inner.generate(req);
    this.onUsage(req, r, this.inner.name);
    return r;
  }
}

/** What `--record` writes, one JSON line per model call (no keys: requests carry none). */
export interface Recorded {
  key: string;
  meta: GenerateRequest['meta'];
  provider: string;
  model: string;
  request: { system?: string; messages: GenerateRequest['messages'] };
  response: GenerateResult;
}

export const replayKey = (m: GenerateRequest['meta']) => [m.role, m.target ?? '', m.round ?? '', m.candidate ?? '', m.turn ?? ''].join('|');

/** Appends every successful call to a file, for `--replay`. */
export class RecordingProvider extends ProviderDecorator {
  constructor(
    inner: ModelProvider,
    private readonly file: string,
  ) {
    super(inner);
  }
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const r = await this.inner.generate(req);
    const rec: Recorded = { key: replayKey(req.meta), meta: req.meta, provider: this.inner.name, model: this.inner.model, request: { system: req.system, messages: req.messages }, response: r };
    appendFileSync(this.file, JSON.stringify(rec) + '\n');
    return r;
  }
}

/**
 * Serves recorded replies with no network: by the request's place in the loop (role, target,
 * round, candidate, turn); when the loop took another path, the next unused reply of that role.
 */
export class ReplayProvider implements ModelProvider {
  private readonly byKey = new Map<string, Recorded[]>();
  private readonly byRole = new Map<string, Recorded[]>();
  private readonly used = new Set<Recorded>();
  readonly name: string;
  readonly model: string;

  constructor(file: string, role: string) {
    if (!existsSync(file)) throw new UserError(`--replay ${file}: no such file`);
    const all = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Recorded)
      .filter((r) => r.meta.role === role || (role === 'analyzer' && r.meta.role === 'reflect'));
    for (const r of all) {
      (this.byKey.get(r.key) ?? this.byKey.set(r.key, []).get(r.key)!).push(r);
      (this.byRole.get(r.meta.role) ?? this.byRole.set(r.meta.role, []).get(r.meta.role)!).push(r);
    }
    this.name = all[0]?.provider ?? 'replay';
    this.model = all[0]?.model ?? 'replay';
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const pick = (list: Recorded[] | undefined) => list?.find((r) => !this.used.has(r));
    const r = pick(this.byKey.get(replayKey(req.meta))) ?? pick(this.byRole.get(req.meta.role));
    if (!r) throw new ProviderError('replay', `no recorded reply left for ${replayKey(req.meta)}`, { retryable: false });
    this.used.add(r);
    return r.response;
  }
}
