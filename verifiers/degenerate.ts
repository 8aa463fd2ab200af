import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/index.js';
import type { Target } from '../targets/index.js';
import type { CheckCase, CheckPlan } from './verifier.js';

/** The values of an oracle file (value, bound pairs of doubles), one at a time: no array of them is built. */
function forEachValue(buf: Buffer, f: (v: number, i: number) => void): void {
  for (let i = 0, k = 0; i + 16 <= buf.length; i += 16, k++) f(buf.readDoubleLE(i), k);
}

/**
 * A target whose outputs cannot tell right from wrong is refused: constant, tiny, or input-blind.
 * Loops only (no spreads, no per-element arrays): check outputs may be millions of elements.
 */
export function refuseDegenerate(target: Target, cases: CheckCase[], stale: CheckPlan['stale']): void {
  let count = 0;
  let maxAbs = 0;
  let min = Infinity;
  let max = -Infinity;
  let first: number | undefined;
  for (const c of cases)
    forEachValue(readFileSync(c.oracleFile), (v) => {
      if (!Number.isFinite(v)) return;
      count++;
      first ??= v;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      if (v < min) min = v;
      if (v > max) max = v;
    });
  const why = (msg: string) => new ConfigError(target.file, '', `refused: ${msg}; such a target cannot tell a right kernel from a wrong one (a kernel writing constants would pass)`);
  if (maxAbs < 1e-20) throw why('its outputs are (nearly) zero on every check input');
  if (count > 1 && max - min <= 1e-9 * maxAbs) throw why(`its outputs are constant (${first}) on every check input`);
  const a = readFileSync(cases[stale.of].oracleFile);
  const b = readFileSync(stale.oracleFile);
  const n = Math.min(a.length, b.length) >> 4;
  let same = true;
  for (let i = 0; i < n && same; i++) same = a.readDoubleLE(16 * i) === b.readDoubleLE(16 * i);
  if (same) throw why('its outputs do not depend on its inputs');
}
