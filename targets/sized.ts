import type { Size, Target } from './target.js';

/** Sizes written in the target's symbol order: `M=64,N=512,K=2048`. */
export function sizeText(t: Pick<Target, 'sizeSymbols'>, size: Size): string {
  return t.sizeSymbols.map((s) => `${s}=${size[s]}`).join(',');
}

export const sameSize = (t: Pick<Target, 'sizeSymbols'>, a: Size, b: Size): boolean => t.sizeSymbols.every((s) => a[s] === b[s]);

/**
 * The target as a session of the loop at other sizes (a workload node's): timed at `size`, and
 * verified at the target's check sizes plus `size`, so that a kernel specialised to those sizes is
 * never accepted for sizes it was not checked on (the verifier's own sizes come on top, as for any
 * target). Its name is the session's, `TARGET@SIZES`, so that sessions of one target at different
 * sizes are distinct in a run; `session` names what memory keeps its best kernel under. At the
 * target's bench size it is the target itself (a plain run's session).
 */
export function atSizes(t: Target, size: Size): Target {
  if (t.session) throw new Error(`${t.name} is already a session at other sizes`); // our own fault if reached
  const sized = Object.fromEntries(t.sizeSymbols.map((s) => [s, size[s]]));
  if (t.sizeSymbols.some((s) => !Number.isSafeInteger(sized[s]))) throw new Error(`${t.name}: sizes ${JSON.stringify(size)} do not give every size symbol (${t.sizeSymbols.join(', ')})`);
  if (sameSize(t, sized, t.benchSize)) return t;
  return {
    ...t,
    name: `${t.name}@${sizeText(t, sized)}`,
    benchSize: sized,
    checkSizes: t.checkSizes.some((c) => sameSize(t, c, sized)) ? t.checkSizes : [...t.checkSizes, sized],
    session: { target: t.name, size: sized },
  };
}

/** What memory keeps a session's best kernel under: the target's own name, and its sizes when they are not the bench size. */
export function memoryKeyOf(t: Pick<Target, 'name' | 'session'>): { target: string; size?: Size } {
  return t.session ? { target: t.session.target, size: t.session.size } : { target: t.name };
}
