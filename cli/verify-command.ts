import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { formatSize, Verifier } from '../verifiers/index.js';

/** `kloop verify TARGET FILE.c`: build, check, print the evidence. Returns the exit code. */
export async function verifyCommand(targetArg: string, file: string, opts: { flags: string; json?: boolean }): Promise<number> {
  const target = resolveTarget(targetArg);
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const flags = opts.flags.split(/\s+/).filter(Boolean);
  for (const f of flags) if (!target.allow.flags.includes(f)) throw new UserError(`--flags: "${f}" is not allowed by ${target.file} (allowed: ${target.allow.flags.join(' ')})`);
  const work = mkdtempSync(join(tmpdir(), 'kloop-verify-'));
  const device = new CpuDevice({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(work, 'cache') });
  const build = await device.build({ target, source: readFileSync(file, 'utf8'), flags, workDir: join(work, 'build') });
  const verifier = new Verifier({ device });
  const verdict = build.ok
    ? await verifier.verify(await verifier.prepare(target, (Date.now() ^ process.pid) >>> 0, join(work, 'plan')), { binary: build.binary!, source: readFileSync(file, 'utf8'), flags, workDir: join(work, 'build') })
    : { status: 'rejected' as const, layer: 'build' as const, reason: 'does not compile', detail: build.log, cases: [], maxErrorRatio: 0 };
  if (opts.json) console.log(JSON.stringify(verdict, null, 2));
  else {
    console.log(`${target.name}: ${verdict.status.toUpperCase()}${verdict.layer ? ` by ${verdict.layer}` : ''}${verdict.reason ? ` — ${verdict.reason}` : ''}`);
    for (const c of verdict.cases) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${formatSize(c.size).padEnd(28)} ${c.distribution.padEnd(8)} seed ${c.seed}${c.hidden ? ' (verifier-chosen size)' : ''}`);
    if (verdict.status === 'tested') console.log(`  max error / tolerance: ${verdict.maxErrorRatio.toFixed(3)}`);
    if (verdict.detail && verdict.layer === 'build') console.log(verdict.detail);
  }
  return verdict.status === 'rejected' ? 1 : 0;
}
