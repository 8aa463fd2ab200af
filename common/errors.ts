/**
 * Errors a person must act on. The CLI prints `message` as one line (no stack) and exits 2.
 * Everything that is not a UserError is our own bug and shows its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A bad value in a file: names the file and the key path inside it. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${problem}`);
  }
}

/** A model provider's failure: `retryable` for 408/409/429/5xx, timeouts and dropped connections. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: string,
    message: string,
    readonly opts: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(`${provider}: ${message}`, { cause: opts.cause });
  }
  get status(): number | undefined {
    return this.opts.status;
  }
  get retryable(): boolean {
    return this.opts.retryable;
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }
}

/** A role whose provider stayed down: it is paused for a while, other work goes on. */
export class ProviderPausedError extends ProviderError {
  constructor(
    provider: string,
    readonly untilMs: number,
  ) {
    super(provider, `paused after repeated failures until ${new Date(untilMs).toISOString()}`, { retryable: false });
  }
}

export const isRetryableStatus = (status: number | undefined): boolean => status === 408 || status === 409 || status === 429 || (status !== undefined && status >= 500);
