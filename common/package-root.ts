import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** kloop's own folder (the one with its package.json), from sources or from dist/ alike. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kloop') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find kloop package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** kloop's version, from its package.json. */
export function kloopVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
