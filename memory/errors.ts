import { UserError } from '../common/errors.js';

/** Another process has held the memory's lock for too long: a person must look at it. */
export class MemoryLockError extends UserError {
  override readonly name = 'MemoryLockError';
  constructor(
    readonly lockFile: string,
    readonly holder: string,
    readonly waitedMs: number,
  ) {
    super(`memory lock ${lockFile} held by ${holder} for over ${Math.round(waitedMs / 1000)} s: if that process is gone, delete the lock file`);
  }
}

/** A memory file that is not what kloop wrote (not JSON, or not a memory document). */
export class MemoryFormatError extends UserError {
  override readonly name = 'MemoryFormatError';
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}
