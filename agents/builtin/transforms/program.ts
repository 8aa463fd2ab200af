import { clone, printUnit, type Func, type Unit } from '../../../csyntax/index.js';

/** A kernel as the built-in writer sees it: a syntax tree plus the flags it is built with. */
export interface Program {
  unit: Unit;
  fn: string;
  flags: string[];
  /** Moves applied since the baseline, described for people. */
  moves: string[];
  /** The same moves as `kind` or `kind:param`, for memory's statistics. */
  kinds: string[];
}

export function kernelOf(p: Program): Func {
  const f = p.unit.items.find((t): t is Func => t.k === 'func' && t.name === p.fn);
  if (!f) throw new Error(`kernel ${p.fn} not found`);
  return f;
}

export function cloneProgram(p: Program): Program {
  return { unit: clone(p.unit), fn: p.fn, flags: [...p.flags], moves: [...p.moves], kinds: [...p.kinds] };
}

export function sourceOf(p: Program): string {
  return printUnit(p.unit);
}
