import { isRetryableStatus, ProviderError, retryAfterMs } from '../../common/index.js';

/** Both SDKs raise APIError (status, headers), APIConnectionError and APIConnectionTimeoutError. */
export function fromSdkError(provider: string, e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = e as { status?: number; headers?: { get(n: string): string | null }; message?: string; name?: string; constructor?: { name?: string } };
  const kind = err?.constructor?.name ?? err?.name ?? '';
  if (/Timeout/i.test(kind)) return new ProviderError(provider, 'request timed out', { retryable: true, cause: e });
  if (/Connection/i.test(kind)) return new ProviderError(provider, `connection failed: ${err.message ?? ''}`, { retryable: true, cause: e });
  if (typeof err?.status === 'number') {
    const h = err.headers && typeof err.headers.get === 'function' ? err.headers : undefined;
    return new ProviderError(provider, `HTTP ${err.status}: ${(err.message ?? '').slice(0, 300)}`, { status: err.status, retryable: isRetryableStatus(err.status), retryAfterMs: retryAfterMs(h), cause: e });
  }
  return new ProviderError(provider, err?.message ?? String(e), { retryable: false, cause: e });
}
