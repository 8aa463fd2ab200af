import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { CATALOG_DIR } from '../targets/index.js';

export function tmp(prefix = 'kloop-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cpuDevice(dir = tmp()): CpuDevice {
  return new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(dir, 'cache'), threads: 2 });
}

/** A copy of a shipped target with its bench size replaced (fast end-to-end runs). */
export function smallTarget(name: string, bench: string, into = tmp()): string {
  const dir = join(into, name);
  cpSync(join(CATALOG_DIR, name), dir, { recursive: true });
  const yaml = readFileSync(join(dir, 'target.yaml'), 'utf8').replace(/^  bench: .*$/m, `  bench: ${bench}`);
  writeFileSync(join(dir, 'target.yaml'), yaml);
  return dir;
}

/** The built CLI (npm test builds dist/ first). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

/** Run the built `kloop` in `cwd`: its exit code and what it printed. */
export function kloop(cwd: string, args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync('node', [CLI, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: x.stdout + x.stderr };
  }
}
