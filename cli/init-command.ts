import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initTarget } from '../init/index.js';
import { composeDevice, composeSandbox, composeVerifier, refuseMissingLayers } from '../loop/index.js';
import { loadWorkflow } from '../workflow/index.js';

/**
 * `kloop init FILE.c [--function NAME] [--out DIR]`: write a target folder from a C kernel, measure
 * its bench size, run its checks; print what it could not infer (TODO), then "ready: kloop run
 * --target DIR" or the one thing to fix. Returns the exit code (0 ready, 2 not).
 */
export async function initCommand(file: string, opts: { function?: string; out?: string }): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'kloop-init-'));
  try {
    // Built as kloop run and kloop verify build them (compose.ts): the workflow's sandbox, device and gate settings.
    const workflow = loadWorkflow();
    const plan = composeSandbox(workflow, join(work, 'cache'));
    refuseMissingLayers(plan);
    const { device } = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir: join(work, 'cache'), readOnly: [work], kind: 'cpu' });
    const r = await initTarget({ file, fn: opts.function, out: opts.out, cwd: process.cwd(), device, verifier: composeVerifier(workflow, device), workDir: work, say: (l) => console.log(`  ${l}`) });
    const dir = relative(process.cwd(), r.dir) || '.';
    console.log(`wrote ${join(dir, 'target.yaml')} and ${join(dir, 'reference.c')} (function ${r.inferred.fn})`);
    for (const a of r.inferred.args) if (a.role && a.shape) console.log(`  ${a.name.padEnd(10)} ${a.role.padEnd(5)} [${a.shape.join(', ')}]`);
    if (r.inferred.flops) console.log(`  flops ${r.inferred.flops}; bytes ${r.inferred.bytes ?? 'TODO'}`);
    for (const t of r.todos) console.log(`TODO ${t.key}: ${t.why}`);
    if (r.problem) {
      console.log(`not ready: ${r.problem}`);
      return 2;
    }
    console.log(`ready: kloop run --target ${dir}`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
