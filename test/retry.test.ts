import { describe, expect, it } from 'vitest';
import { ProviderError, retryAfterMs, retryWithBackoff } from '../common/index.js';

const err = (retryable: boolean, retryAfter?: number) => new ProviderError('p', 'x', { retryable, retryAfterMs: retryAfter });

describe('retryWithBackoff', () => {
  it('backs off exponentially up to the cap, honouring retry-after', async () => {
    const sleeps: number[] = [];
    let n = 0;
    const r = await retryWithBackoff(
      async () => {
        n++;
        if (n === 1) throw err(true);
        if (n === 2) throw err(true, 7000);
        if (n === 3) throw err(true);
        if (n === 4) throw err(true);
        return 'done';
      },
      { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 5000, sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(r).toBe('done');
    expect(sleeps).toEqual([100, 5000, 400, 800]);
  });

  it('gives up after maxRetries and rethrows the last error', async () => {
    let n = 0;
    await expect(retryWithBackoff(async () => (n++, Promise.reject(err(true))), { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined })).rejects.toBeInstanceOf(ProviderError);
    expect(n).toBe(3);
  });

  it('never retries what is not retryable, nor our own bugs', async () => {
    let n = 0;
    await expect(retryWithBackoff(async () => (n++, Promise.reject(err(false))), { maxRetries: 5, initialDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow();
    await expect(retryWithBackoff(async () => (n++, Promise.reject(new TypeError('bug'))), { maxRetries: 5, initialDelayMs: 1, maxDelayMs: 1 })).rejects.toBeInstanceOf(TypeError);
    expect(n).toBe(2);
  });

  it('reads retry-after in seconds, as a date, and retry-after-ms', () => {
    const h = (m: Record<string, string>) => ({ get: (k: string) => m[k] ?? null });
    expect(retryAfterMs(h({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(h({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(h({}))).toBeUndefined();
  });
});
