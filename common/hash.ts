import { createHash } from 'node:crypto';

/** Short stable content hash (hex) used for cache keys and fingerprints. */
export function shortHash(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}
