import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuDevice, detectCompiler, type DeviceProfile } from '../devices/index.js';
import { FileStore } from '../memory/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import type { WriteContext } from '../agents/index.js';
import { CATALOG_DIR, type Target } from '../targets/index.js';

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

/** A writer's context for a target at its reference, on a stand-in 2-core CPU profile (writer tests). */
export function writeContext(target: Target, more: Partial<WriteContext> = {}): WriteContext {
  const profile = {
    gflops: { fp32: { one: 1, all: 2 }, fp64: { one: 1, all: 2 } },
    bandwidthGBs: { one: 1, all: 2 },
    levels: [],
    measuredAt: '',
    fingerprint: { id: 'fp', kind: 'cpu' as const, model: 'cpu', cores: 2, flagsHash: '', compiler: 'cc' },
  };
  return {
    target,
    baseline: { target: target.name, fingerprint: 'fp', source: target.referenceSource, flags: [], vsReference: 1, verdict: 'reference', description: 'reference', lineage: [], updatedAt: '' },
    deviceProfile: profile as unknown as WriteContext['deviceProfile'],
    insights: [],
    history: [],
    round: 1,
    candidates: 4,
    cores: 2,
    seed: 1,
    profile: { target: target.name, medianNs: 1e6, vsReference: 1, summary: '', roofline: { gflops: 1, gbs: 4, intensity: 0.25, roofGflops: 5, pctOfRoof: 20, bound: 'memory' } },
    diagnosis: { bottleneck: 'memory', summary: '', ideas: [] },
    tried: new Set(),
    slots: [1, 2, 3, 4].map((i) => ({ id: `${target.name}-c${i}`, dir: `/nonexistent/c${i}` })),
    ...more,
  };
}

/**
 * Seeds a fresh memory file with this CPU's profile as test/global-setup.ts measured it once in
 * this test run, so that a `kloop run` on it measures no profile (as on any memory that holds one).
 * Returns the memory path. Without the global setup (a file run on its own) nothing is seeded.
 */
export async function seedProfile(memoryPath: string): Promise<string> {
  const file = process.env.KLOOP_TEST_PROFILE;
  if (!file) return memoryPath;
  mkdirSync(dirname(memoryPath), { recursive: true });
  await FileStore.open(memoryPath).putProfile(JSON.parse(readFileSync(file, 'utf8')) as DeviceProfile);
  return memoryPath;
}
