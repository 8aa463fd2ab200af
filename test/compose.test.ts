import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../common/index.js';
import { composeDevice, composeSandbox, composeVerifier, openMemory, runsDirOf } from '../loop/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';

/** The composition root: run, verify, doctor and review build their parts here, from the workflow. */
describe('compose', () => {
  const workflow = loadWorkflow(DEFAULT_WORKFLOW);

  it('builds the CPU device, or CUDA under the CPU emulation, on the sandbox it is given; a GPU that is not there is one line', async () => {
    const cacheDir = tmp();
    const sandbox = new ProcessSandbox();
    const cpu = composeDevice({ workflow, sandbox, cacheDir, kind: 'cpu' }).device;
    expect(cpu.language).toBe('c');
    // Two commands composing the CPU device see one fingerprint (one device profile in memory).
    expect((await cpu.fingerprint()).id).toBe((await composeDevice({ workflow, sandbox, cacheDir: tmp(), kind: 'cpu' }).device.fingerprint()).id);
    expect(composeDevice({ workflow, sandbox, cacheDir, kind: 'cuda-emulated' }).device.language).toBe('cuda');
    const noGpu = () => composeDevice({ workflow, sandbox, cacheDir, kind: 'cuda', env: { ...process.env, PATH: '/nonexistent' }, origin: '--device cuda' });
    expect(noGpu).toThrow(UserError);
    expect(noGpu).toThrow(/--device cuda: asked for a GPU but this machine has no usable NVIDIA GPU/);
  });

  it('the sandbox plan lists the layers candidates get and what the workflow requires; the verifier takes the workflow gate settings', () => {
    const plan = composeSandbox(workflow, tmp());
    expect(plan.layers.map((l) => l.layer)).toContain('process');
    expect(plan.layers.find((l) => l.layer === 'process')?.ok).toBe(true);
    expect(plan.refused).toBeUndefined();
    const v = composeVerifier(workflow, composeDevice({ workflow, sandbox: plan.sandbox, cacheDir: tmp(), kind: 'cpu' }).device);
    expect(v.pathBudget(resolveTarget('sum')).maxCases).toBeGreaterThan(0);
  });

  it('memory and runs resolve against the working folder', async () => {
    const cwd = tmp();
    const m = openMemory(workflow, cwd);
    await m.addTried('sum', 'fp', ['k']);
    expect(existsSync(join(cwd, '.kloop', 'memory'))).toBe(true);
    expect(runsDirOf(workflow, cwd)).toEqual({ runsDir: join(cwd, 'runs'), cacheDir: join(cwd, 'runs', '.cache') });
  });
});
