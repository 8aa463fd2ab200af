import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { composeDevice } from '../loop/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';

/**
 * Once per test run, before any test file: this CPU's device profile, measured now (HP1's
 * microbenchmark, as `kloop run` measures it on a fresh memory), in a file whose path the test files
 * find in KLOOP_TEST_PROFILE. End-to-end tests whose subject is not the profile seed their fresh
 * memory with it (`seedProfile`, test/helpers.ts) instead of measuring it again in every run: the
 * same figures, from the same machine, in the same test run.
 */
export async function setup(): Promise<void> {
  if (process.env.KLOOP_TEST_PROFILE) return; // (the second project of the same run)
  const dir = mkdtempSync(join(tmpdir(), 'kloop-test-profile-'));
  const { device } = composeDevice({ workflow: loadWorkflow(DEFAULT_WORKFLOW), sandbox: new ProcessSandbox(), cacheDir: join(dir, 'cache'), kind: 'cpu' });
  const profile = await device.measureProfile(join(dir, 'work'));
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  rmSync(join(dir, 'work'), { recursive: true, force: true });
  writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile));
  process.env.KLOOP_TEST_PROFILE = join(dir, 'profile.json');
}

export function teardown(): void {
  const file = process.env.KLOOP_TEST_PROFILE;
  if (file) rmSync(dirname(file), { recursive: true, force: true });
}
