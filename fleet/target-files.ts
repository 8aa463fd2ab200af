import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { shortHash, UserError } from '../common/index.js';
import { catalogNames, CATALOG_DIR, loadTarget, type Target } from '../targets/index.js';
import { targetDigest } from './result-key.js';

/**
 * A target that is not shipped with kloop travels with its jobs: the files of its folder that the
 * loader reads (target.yaml, the references, a starter, headers they include), by path relative to
 * the folder. A worker writes them into a folder named by their content's hash and loads them with
 * the same strict loader as a local run; the job's digest must match what it loaded.
 */
export const TARGET_FILE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?\.(ya?ml|c|h|cu|cuh)$/;
/** All of a target's files together, at most. */
export const MAX_TARGET_FILES_BYTES = 2 * 1024 * 1024;

/** A target folder's files as they travel (target.yaml, C and CUDA sources and headers, one level of subfolders). */
export function targetFiles(target: Target): Record<string, string> {
  const files: Record<string, string> = {};
  let bytes = 0;
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) {
        if (depth === 0) walk(path, 1);
        continue;
      }
      const rel = relative(target.dir, path).split(sep).join('/');
      if (!st.isFile() || !TARGET_FILE_PATTERN.test(rel)) continue;
      bytes += st.size;
      if (bytes > MAX_TARGET_FILES_BYTES)
        throw new UserError(`${target.file}: the fleet ships a target's folder with its jobs, and ${target.dir} holds more than ${MAX_TARGET_FILES_BYTES >> 20} MiB of sources; keep only the target's files there`);
      files[rel] = readFileSync(path, 'utf8');
    }
  };
  walk(target.dir, 0);
  for (const [field, path] of [
    ['reference', target.referencePath],
    ['cuda.reference', target.cuda?.referencePath],
    ['cuda.starter', target.cuda?.starterPath],
  ] as const) {
    if (!path) continue;
    const rel = relative(target.dir, path).split(sep).join('/');
    if (!(rel in files)) throw new UserError(`${target.file}: ${field}: ${path} must lie in the target's folder (at most one subfolder down, named like a C source) for the fleet to ship it with its jobs`);
  }
  return files;
}

/** Whether the workers ship this very target (same name and contract): then its jobs name it only. */
export function isShippedTarget(target: Target): boolean {
  if (!catalogNames().includes(target.name)) return false;
  try {
    return targetDigest(loadTarget(join(CATALOG_DIR, target.name))) === targetDigest(target);
  } catch {
    return false;
  }
}

/** The target a job's files define, written once per content under `root` and loaded there. */
export function materializeTarget(root: string, files: Record<string, string>, loaded: Map<string, Target>): Target {
  const id = shortHash(JSON.stringify(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))));
  const known = loaded.get(id);
  if (known) return known;
  const dir = join(root, id);
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, ...rel.split('/'));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  const t = loadTarget(dir);
  loaded.set(id, t);
  return t;
}
