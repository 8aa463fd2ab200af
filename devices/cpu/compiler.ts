import { execFileSync } from 'node:child_process';
import { UserError } from '../../common/index.js';

export interface Compiler {
  cc: string;
  cxx: string;
  version: string;
  /** What -march=native resolves to (part of the fingerprint). */
  nativeArch: string;
}

function firstLine(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return undefined;
  }
}

/** Find the system C and C++ compilers ($CC / $CXX, else cc / c++). */
export function detectCompiler(env: NodeJS.ProcessEnv = process.env): Compiler {
  const cc = env.CC || 'cc';
  const cxx = env.CXX || 'c++';
  const version = firstLine(cc, ['--version']);
  if (!version) throw new UserError(`no C compiler: "${cc} --version" failed; install gcc (apt-get install gcc g++) or set CC`);
  if (!firstLine(cxx, ['--version'])) throw new UserError(`no C++ compiler: "${cxx} --version" failed; install g++ (apt-get install g++) or set CXX`);
  let nativeArch = 'unknown';
  try {
    const out = execFileSync(cc, ['-march=native', '-Q', '--help=target'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    nativeArch = /-march=\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    /* clang has no -Q --help=target */
  }
  return { cc, cxx, version, nativeArch };
}
