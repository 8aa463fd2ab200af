import { comparison } from '../csyntax/index.js';

/** Values of the C subset the interpreter runs: arithmetic, libm and min/max calls, made-up inputs. */
export class InterpError extends Error {}

/** The libm functions a kernel may call (each counts as one floating-point operation). */
export const LIBM = /^(sqrt|exp|exp2|expm1|log|log2|log10|log1p|sin|cos|tan|tanh|sinh|cosh|asin|acos|atan|atan2|pow|fabs|fmax|fmin|fma|floor|ceil|round|trunc|erf|erfc|cbrt|hypot|fmod|copysign|rsqrt)f?$/;

/** A binary operator of C on two numbers: integer division and modulus truncate unless `real`. */
export function arith(op: string, a: number, b: number, real: boolean): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (real) return a / b;
      if (b === 0) throw new InterpError('integer division by zero');
      return Math.trunc(a / b);
    case '%':
      if (b === 0) throw new InterpError('integer modulo by zero');
      return a % b;
    case '<<':
      return a * 2 ** b;
    case '>>':
      return Math.floor(a / 2 ** b);
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
  }
  const c = comparison(op, a, b);
  if (c === undefined) throw new InterpError(`operator ${op}`);
  return c;
}

/** A call to libm or to a min/max/abs helper; undefined for any other name. */
export function builtinCall(name: string, args: number[]): number | undefined {
  const base = name.replace(/f$/, '');
  if (LIBM.test(name)) {
    if (base === 'fma') return args[0] * args[1] + args[2];
    if (base === 'fmod') return args[0] % args[1];
    if (base === 'rsqrt') return 1 / Math.sqrt(args[0]);
    if (base === 'erf' || base === 'erfc') return base === 'erf' ? Math.tanh(args[0]) : 1 - Math.tanh(args[0]);
    if (base === 'copysign') return Math.sign(args[1]) * Math.abs(args[0]);
    const f = (Math as unknown as Record<string, (...x: number[]) => number>)[base === 'fabs' ? 'abs' : base === 'fmax' ? 'max' : base === 'fmin' ? 'min' : base];
    if (!f) throw new InterpError(`math function ${name}`);
    return f(...args);
  }
  if (/^(min|max|imin|imax|MIN|MAX)$/.test(name)) return /min/i.test(name) ? Math.min(...args) : Math.max(...args);
  if (name === 'abs' || name === 'labs') return Math.abs(args[0]);
  return undefined;
}

/** A deterministic input value in [0.5, 1.5) for element i of array `name` (no zeros: no division by zero). */
export function inputValue(name: string, i: number): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  h = Math.imul(h ^ i, 2654435761) ^ (h >>> 13);
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  return 0.5 + ((h >>> 0) % 10007) / 10007;
}
