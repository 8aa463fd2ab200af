import type { Expr } from './ast.js';
import { comparison } from './comparison.js';

/**
 * The value of an integer expression (loop bounds, indices) given the names it uses, or undefined
 * when it depends on anything else: C's integer operators, ?:, integer casts, and min/max helpers.
 */
export function evalInt(e: Expr, env: Readonly<Record<string, number | undefined>>): number | undefined {
  switch (e.k) {
    case 'num': {
      const v = Number(e.text.replace(/[uUlL]+$/, ''));
      return Number.isInteger(v) ? v : undefined;
    }
    case 'id':
      return env[e.name];
    case 'cast':
      return /int|long|size_t|short|char|unsigned/.test(e.type) ? evalInt(e.arg, env) : undefined;
    case 'un': {
      const a = evalInt(e.arg, env);
      if (a === undefined) return undefined;
      return e.op === '-' ? -a : e.op === '+' ? a : e.op === '!' ? +!a : undefined;
    }
    case 'cond': {
      const c = evalInt(e.c, env);
      return c === undefined ? undefined : c ? evalInt(e.t, env) : evalInt(e.f, env);
    }
    case 'bin': {
      const a = evalInt(e.l, env);
      const b = evalInt(e.r, env);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b ? Math.trunc(a / b) : undefined;
        case '%':
          return b ? a % b : undefined;
        case '<<':
          return a << b;
        case '>>':
          return a >> b;
        case '&':
          return a & b;
        case '|':
          return a | b;
        case '&&':
          return +(!!a && !!b);
        case '||':
          return +(!!a || !!b);
        default:
          return comparison(e.op, a, b);
      }
    }
    case 'call': {
      // min/max helpers written as calls are common in tiled code
      const name = e.fn.k === 'id' ? e.fn.name : '';
      const args = e.args.map((x) => evalInt(x, env));
      if (args.some((x) => x === undefined)) return undefined;
      if (/^(min|imin|MIN)$/.test(name)) return Math.min(...(args as number[]));
      if (/^(max|imax|MAX)$/.test(name)) return Math.max(...(args as number[]));
      return undefined;
    }
    default:
      return undefined;
  }
}
