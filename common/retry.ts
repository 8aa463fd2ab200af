import { ProviderError } from './errors.js';

export interface RetryOptions {
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The one retry helper: exponential backoff, honouring a server's retry-after, retrying only
 * errors marked retryable (408, 409, 429, 5xx, timeouts). Anything else is thrown at once.
 */
export async function retryWithBackoff<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? defaultSleep;
  let delay = o.initialDelayMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ProviderError) || !e.retryable || attempt >= o.maxRetries) throw e;
      const wait = Math.min(o.maxDelayMs, Math.max(delay, e.retryAfterMs ?? 0));
      o.onRetry?.(e, attempt + 1, wait);
      await sleep(wait);
      delay = Math.min(o.maxDelayMs, delay * (o.factor ?? 2));
    }
  }
}

/** Parse retry-after (seconds or an HTTP date) and retry-after-ms headers. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const v = headers.get('retry-after');
  if (!v) return undefined;
  if (Number.isFinite(Number(v))) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
