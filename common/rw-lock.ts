/**
 * A read-write lock with writer preference. On a device, builds and checks share it; a timed run
 * takes it exclusively, so no compile competes with a measurement.
 */
export class RwLock {
  /** Wall time the lock was held exclusively (timed runs, on a device), ms. */
  exclusiveMs = 0;
  private readers = 0;
  private writer = false;
  private readonly waitingWriters: (() => void)[] = [];
  private readonly waitingReaders: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.waitingWriters.length) await new Promise<void>((r) => this.waitingReaders.push(r));
    else this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  /**
   * Called by a holder of the shared side at a point where it can stop (long CPU work in slices): it
   * lets the event loop run, and if a timed run waits for the lock, steps aside until that run is
   * done, then carries on holding the shared side again.
   */
  async yieldShared(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    if (!this.waitingWriters.length) return;
    this.readers--;
    this.wake();
    await new Promise<void>((r) => this.waitingReaders.push(r));
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers) await new Promise<void>((r) => this.waitingWriters.push(r));
    else this.writer = true;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.exclusiveMs += performance.now() - t0;
      this.writer = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.writer || this.readers) return;
    const w = this.waitingWriters.shift();
    if (w) {
      this.writer = true;
      w();
      return;
    }
    while (this.waitingReaders.length) {
      this.readers++;
      this.waitingReaders.shift()!();
    }
  }
}
