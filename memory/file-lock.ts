import { pidAlive } from '../common/index.js';
import { closeSync, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { MemoryLockError } from './errors.js';

export interface FileLockOptions {
  /** Give up with a MemoryLockError after waiting this long (ms). Default 60 s. */
  lockTimeoutMs?: number;
  /**
   * A lock whose holder cannot be checked (another host, or a file its creator never got to write)
   * is stale after this long (ms). On this host a lock is stale as soon as its holder's pid is dead.
   * Default 30 s; a holder keeps the lock for a few milliseconds.
   */
  staleLockMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  at: string;
}

/** What a waiter saw of the lock file: takeover removes it only if it is still that file. */
interface Seen {
  ino: number;
  mtimeMs: number;
  size: number;
  holder?: Holder;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * A cross-process exclusive lock: a file created with O_EXCL holding the holder's pid and host.
 * The work under it is synchronous, so a holder keeps it for milliseconds; a lock left by a dead
 * process is taken over (under a second O_EXCL guard, and only if it is still the file seen dead).
 */
export class FileLock {
  private readonly timeoutMs: number;
  private readonly staleMs: number;
  private heldIno?: number;

  constructor(
    readonly path: string,
    opts: FileLockOptions = {},
  ) {
    this.timeoutMs = opts.lockTimeoutMs ?? 60_000;
    this.staleMs = opts.staleLockMs ?? 30_000;
  }

  /** Takes the lock (waiting for it), runs `fn` without yielding, releases. */
  async run<T>(fn: () => T): Promise<T> {
    const start = Date.now();
    let delay = 1;
    while (!this.tryAcquire()) {
      const seen = this.inspect();
      if (!seen) continue; // released meanwhile
      if (this.stale(seen) && this.takeOver(seen)) continue;
      if (Date.now() - start > this.timeoutMs) throw new MemoryLockError(this.path, seen.holder ? `pid ${seen.holder.pid} on ${seen.holder.host} since ${seen.holder.at}` : 'an unknown process', Date.now() - start);
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, 50);
    }
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  private tryAcquire(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx');
    } catch (e) {
      if (code(e) === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() } satisfies Holder));
      this.heldIno = fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
    return true;
  }

  private release(): void {
    // Only our own file: had a waiter wrongly judged us dead and taken over, the lock is theirs now.
    const st = statSync(this.path, { throwIfNoEntry: false });
    if (st && st.ino === this.heldIno) unlinkSync(this.path);
    this.heldIno = undefined;
  }

  private inspect(): Seen | undefined {
    try {
      const st = statSync(this.path);
      let holder: Holder | undefined;
      try {
        const h = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Holder>;
        if (typeof h.pid === 'number' && typeof h.host === 'string') holder = { pid: h.pid, host: h.host, at: String(h.at) };
      } catch {
        /* being written, or gone: judged by age */
      }
      return { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, holder };
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  private stale(seen: Seen): boolean {
    if (seen.holder && seen.holder.host === hostname()) return !pidAlive(seen.holder.pid);
    return Date.now() - seen.mtimeMs > this.staleMs;
  }

  /** Removes a dead holder's lock, if it is still the one seen; false if another waiter is at it. */
  private takeOver(seen: Seen): boolean {
    const guard = `${this.path}.takeover`;
    let fd: number;
    try {
      fd = openSync(guard, 'wx');
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
      // A guard is held for microseconds: one this old was left by a process that died holding it.
      const st = statSync(guard, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > Math.min(this.staleMs, 5_000)) unlinkSync(guard);
      return false;
    }
    closeSync(fd);
    try {
      const now = statSync(this.path, { throwIfNoEntry: false });
      if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs && now.size === seen.size) unlinkSync(this.path);
    } finally {
      try {
        unlinkSync(guard);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
      }
    }
    return true;
  }
}
