import { lstatSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';

/** lstat, or undefined when the path is gone (never follows a symlink). */
export function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** A folder's entries, or none when it cannot be read. */
export function entries(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Bytes under a path (apparent sizes, folders included, like `du -sb`); symlinks are not followed. */
export function diskUsage(path: string): number {
  const st = lstat(path);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return entries(path).reduce((n, e) => n + diskUsage(join(path, e.name)), st.size);
}
