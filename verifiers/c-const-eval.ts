/**
 * Constant evaluation of C expressions, as the size analysis needs it (an LP64 machine): sizeof of
 * a named type, a value converted to an integer type, a binary operator of two values, libm of
 * constants.
 */
import { comparison } from '../csyntax/index.js';

const SIZEOF: Record<string, number> = {
  char: 1,
  short: 2,
  int: 4,
  long: 8,
  'long long': 8,
  float: 4,
  double: 8,
  size_t: 8,
  ptrdiff_t: 8,
  int8_t: 1,
  uint8_t: 1,
  int16_t: 2,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
  int64_t: 8,
  uint64_t: 8,
  intptr_t: 8,
  uintptr_t: 8,
  _Bool: 1,
  bool: 1,
};

export function sizeofType(type: string, real: 'float' | 'double'): number | undefined {
  if (/\*/.test(type)) return 8;
  const t =
    type
      .replace(/\b(const|volatile|signed|unsigned|static|restrict|__restrict__|__restrict)\b/g, '')
      .trim()
      .replace(/\s+/g, ' ') || 'int';
  if (t === 'real') return real === 'float' ? 4 : 8;
  if (t === 'long int' || t === 'long long int') return 8;
  if (t === 'short int') return 2;
  return SIZEOF[t];
}

export function intOf(type: string, v: number): number {
  if (!Number.isFinite(v)) return v;
  const t = Math.trunc(v);
  if (/\b(long|size_t|int64_t|uint64_t|ptrdiff_t|intptr_t)\b/.test(type)) return t;
  if (/\bunsigned\b|\buint32_t\b/.test(type)) return t >>> 0;
  if (/\b(char|int8_t)\b/.test(type)) return /unsigned|uint8_t/.test(type) ? t & 0xff : ((t & 0xff) << 24) >> 24;
  if (/\b(short|int16_t)\b/.test(type)) return /unsigned|uint16_t/.test(type) ? t & 0xffff : ((t & 0xffff) << 16) >> 16;
  return t | 0;
}

export function applyBin(op: string, a: number, b: number, float: boolean): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : float ? a / b : Math.trunc(a / b);
    case '%':
      return b === 0 ? undefined : a % b;
    case '<<':
      return b < 0 || b > 62 ? undefined : a * 2 ** b;
    case '>>':
      return b < 0 || b > 62 ? undefined : Math.floor(a / 2 ** b);
    case '&':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) & BigInt(Math.trunc(b))));
    case '|':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) | BigInt(Math.trunc(b))));
    case '^':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) ^ BigInt(Math.trunc(b))));
    case '&&':
      return +(!!a && !!b);
    case '||':
      return +(!!a || !!b);
    case ',':
      return b;
  }
  return comparison(op, a, b);
}

export function wrap(v: number | undefined): number[] | undefined {
  return v === undefined ? undefined : [v];
}

export function libm(fn: string): ((...x: number[]) => number) | undefined {
  const m = /^(?:__builtin_)?(sqrt|cbrt|log|log2|log10|exp|exp2|pow|floor|ceil|round|trunc|fabs|fmin|fmax|abs)[fl]?$/.exec(fn);
  if (!m) return undefined;
  const name = { fabs: 'abs', fmin: 'min', fmax: 'max' }[m[1]] ?? m[1];
  const g = (Math as unknown as Record<string, (...x: number[]) => number>)[name];
  return typeof g === 'function' ? g : undefined;
}
