export { UserError, ConfigError, ProviderError, ProviderPausedError, isRetryableStatus } from './errors.js';
export { retryAfterMs, retryWithBackoff, type RetryOptions } from './retry.js';
export { Rng } from './rng.js';
export { shortHash } from './hash.js';
export { configErrorFromZod, didYouMean, editDistance, formatPath } from './config-error.js';
export { RwLock } from './rw-lock.js';
export { kloopVersion, packageRoot } from './package-root.js';
export { faultPoint } from './fault.js';
export { pidAlive } from './pid.js';
