import { Redis } from 'ioredis';
import { UserError } from '../common/index.js';

/**
 * A connection to the fleet's Redis. The URL goes to ioredis as it is: `redis://host:port/db`,
 * `redis://:PASSWORD@host:port` or `redis://USER:PASSWORD@host:port` (Redis ACLs), and
 * `rediss://…` for TLS. Commands wait while the connection is down and ioredis reconnects (with a
 * growing delay, at most 5 s), so a worker or coordinator rides out a Redis restart; `failFast`
 * connections (heartbeats) fail at once instead.
 */
export function connectRedis(url: string, o: { name: string; failFast?: boolean }): Redis {
  checkUrl(url);
  return new Redis(url, {
    connectionName: o.name,
    // BullMQ's blocking commands need this (a command waits for the reconnection instead of failing after N tries).
    maxRetriesPerRequest: null,
    enableOfflineQueue: !o.failFast,
    retryStrategy: (attempt) => Math.min(100 * attempt, 5000),
  });
}

/** A fleet URL that is not a Redis URL is one line, with the password hidden. */
export function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`fleet: "${redactUrl(url)}" is not a URL; expected redis://[user:password@]host:port[/db] or rediss://… (TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UserError(`fleet: ${redactUrl(url)}: expected a redis:// or rediss:// URL, got ${u.protocol}`);
}

/** The URL as it may be printed: any password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

/** Wait until a connection is ready, or fail with one line naming the (redacted) URL. */
export async function whenReady(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      cleanup();
      reject(new UserError(`fleet: cannot reach Redis at ${redactUrl(url)} within ${timeoutMs / 1000} s${last ? `: ${last.message}` : ''}`));
    }, timeoutMs);
    let last: Error | undefined;
    const onError = (e: Error) => (last = e);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(t);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}
