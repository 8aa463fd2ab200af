import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { composeSandbox } from '../loop/compose.js';
import { resolveTarget } from '../targets/index.js';
import { Verifier, type CheckPlan } from '../verifiers/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';

/**
 * Size-path cases with few output elements get a measured tolerance: the reference, built in the
 * target's precision, runs on the case's input and on shuffled copies (calibration). Under the
 * sandbox a run sees its own folder writable and little else: the reference binary and its input
 * are copied there. Before, a micro-kernel whose blocking put a boundary at K=1024 (so a case at
 * M=1 N=1 K=1024) was rejected fail-closed: "the reference cannot be run at the sizes this
 * kernel's paths need" (bwrap: the binary was in another folder).
 */
it('size-path cases with a measured tolerance run under the sandbox candidates get, many at once', async () => {
  const dir = tmp('kloop-path-sbx-');
  const { sandbox } = composeSandbox(loadWorkflow(DEFAULT_WORKFLOW), join(dir, 'cache'));
  const device = new CpuDevice({ sandbox, compiler: detectCompiler(), cacheDir: join(dir, 'cache') });
  const v = new Verifier({ device });
  const plan = await v.prepare(resolveTarget('sgemm'), 7, join(dir, 'plan'));
  const pathCase = (v as unknown as { pathCase: (p: CheckPlan, s: Record<string, number>) => Promise<{ measured?: unknown }> }).pathCase.bind(v);
  const cases = await Promise.all([1023, 1024, 1025, 2048].flatMap((K) => [pathCase(plan, { M: 1, N: 1, K }), pathCase(plan, { M: 2, N: 1, K }), pathCase(plan, { M: 1, N: 3, K })]));
  expect(cases.every((k) => k.measured)).toBe(true);
}, 120_000);
