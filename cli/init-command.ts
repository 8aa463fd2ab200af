import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initTarget, recheckTarget } from '../init/index.js';
import { composeDevice, composeSandbox, composeVerifier, refuseMissingLayers } from '../loop/index.js';
import { loadWorkflow } from '../workflow/index.js';

/**
 * `kloop init FILE.c [--function NAME] [--out DIR]`: write a target folder from a C kernel, measure
 * its bench size, run its checks; print what it could not infer (TODO), then "ready: kloop run
 * --target DIR" or the one thing to fix. `kloop init DIR` checks a folder it wrote once its TODOs are
 * resolved. Returns the exit code (0 ready, 2 not).
 */
export async function initCommand(file: string, opts: { function?: string; out?: string }): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'kloop-init-'));
  try {
    // Built as kloop run and kloop verify build them (compose.ts): the workflow's sandbox, device and gate settings.
    const workflow = loadWorkflow();
    const plan = composeSandbox(workflow, join(work, 'cache'));
    refuseMissingLayers(plan);
    const { device } = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir: join(work, 'cache'), readOnly: [work], kind: 'cpu' });
    const common = { cwd: process.cwd(), device, verifier: composeVerifier(workflow, device), workDir: work, say: (l: string) => console.log(`  ${l}`) };
    // A folder kloop init wrote, its TODOs since resolved: measure its bench size and run its checks.
    if (existsSync(file) && statSync(file).isDirectory()) {
      const c = await recheckTarget({ ...common, dir: file });
      return verdict(relative(process.cwd(), c.dir) || '.', c.problem);
    }
    const r = await initTarget({ ...common, file, fn: opts.function, out: opts.out });
    const dir = relative(process.cwd(), r.dir) || '.';
    console.log(`wrote ${join(dir, 'target.yaml')} and ${join(dir, 'reference.c')} (function ${r.inferred.fn})`);
    for (const a of r.inferred.args) if (a.role && a.shape) console.log(`  ${a.name.padEnd(10)} ${a.role.padEnd(5)} [${a.shape.join(', ')}]${a.renamedFrom ? `   (renamed from ${a.renamedFrom}: kloop's harness uses that name)` : ''}`);
    for (const [name, g] of r.inferred.scalarGuesses) if (g.range) console.log(`  ${name.padEnd(10)} scalar, range [${g.range.join(', ')}] (bench ${g.bench}): ${g.why}`);
    if (r.inferred.flops) console.log(`  flops ${r.inferred.flops}; bytes ${r.inferred.bytes ?? 'TODO'}`);
    for (const t of r.todos) console.log(`TODO ${t.key}: ${t.why}`);
    return verdict(dir, r.problem);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The last line: ready, or the one thing to fix (exit 2). */
function verdict(dir: string, problem?: string): number {
  if (problem) {
    console.log(`not ready: ${problem}`);
    return 2;
  }
  console.log(`ready: kloop run --target ${dir}`);
  return 0;
}
