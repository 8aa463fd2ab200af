import { basename } from 'node:path';
import { ConfigError } from '../common/index.js';
import type { Size, Target } from '../targets/index.js';

/** The compiler's or linker's first complaint in a build log, on one line, without kloop's scratch paths. */
export function firstCompilerError(log: string): string {
  const lines = log.split('\n').filter((l) => !l.startsWith('$ '));
  const pick = lines.find((l) => /undefined reference to/.test(l)) ?? lines.find((l) => /\berror\b/i.test(l)) ?? lines.find((l) => l.trim()) ?? 'the compiler gave no message';
  return pick
    .replace(/^\S*\/(reference\.c(?:pp)?|kernel\.c):/, '$1:')
    .replace(/^\/usr\/bin\/ld: \S+: /, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/**
 * The target's reference does not build (as the oracle: C++ in double with error bounds; or as the
 * first baseline: C). One line naming reference.c, the compiler's first error, and what to do.
 */
export function referenceBuildError(target: Target, log: string, as: 'oracle' | 'baseline'): ConfigError {
  const first = firstCompilerError(log);
  // kloop's harness is generated from target.yaml alone: an error there is the signature's (a parameter name that clashes).
  if (/^harness\.(c|cpp|cu):\d+:\d+: error/.test(first)) return harnessBuildError(target, log);
  const name = basename(target.referencePath);
  const what = /undefined reference to/.test(first)
    ? `does not define ${target.fn} with the signature of target.yaml (${target.signature})`
    : as === 'oracle'
      ? 'does not compile as the oracle (kloop builds it as C++ in double, so it must be valid C and C++)'
      : 'does not compile';
  return new ConfigError(target.referencePath, '', `${what}: ${first.replace(/^reference\.cpp:/, `${name}:`)}; fix ${name} (or leave the target out)`);
}

/** The reference failed when run (crash, timeout, bad exit) at a size: one line naming reference.c. */
export function referenceRunError(target: Target, size: Size, how: string, stderr: string, as: 'oracle' | 'baseline'): ConfigError {
  const sz = Object.entries(size)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const first = stderr
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  const name = basename(target.referencePath);
  return new ConfigError(
    target.referencePath,
    '',
    `the reference ${how} at ${sz} when run as the ${as === 'oracle' ? 'oracle (in double with error bounds)' : 'first baseline'}${first ? ` (${first.slice(0, 200)})` : ''}; fix ${name} or the sizes in target.yaml`,
  );
}

/** kloop's generated harness does not compile for this target: its signature's names clash with C, C++ or the harness. */
export function harnessBuildError(target: Target, log: string): ConfigError {
  return new ConfigError(target.file, 'signature', `kloop's generated harness does not compile for this signature (${firstCompilerError(log)}); rename the parameters or the function`);
}
