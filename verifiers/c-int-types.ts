import { FLOAT_TYPE, INTEGER_TYPE, type CExpr } from './c-expr.js';

/**
 * The C integer type of an expression, as far as the size analysis needs it: its width in bits and
 * its signedness (C11 6.3.1: integer promotions and the usual arithmetic conversions, on an LP64
 * machine). A comparison of a size-derived value is a threshold on the sizes only where the value
 * grows with them; one computed in a type that wraps (an unsigned multiply) or cut to a narrower
 * type (`(int)n` of a `size_t`) is not, so the analysis needs to know where that happens.
 */
export interface IntType {
  bits: 8 | 16 | 32 | 64;
  unsigned: boolean;
}

const INT: IntType = { bits: 32, unsigned: false };

/** The integer type a declared type names, or undefined (a float, a pointer, something unknown). */
export function intTypeOf(type: string): IntType | undefined {
  if (FLOAT_TYPE.test(type) || /\*/.test(type) || !INTEGER_TYPE.test(type)) return undefined;
  const unsigned = /\b(unsigned|size_t|uintptr_t|uint\d+_t|uint_fast\d+_t|_Bool|bool)\b/.test(type);
  if (/\b(long|size_t|ssize_t|ptrdiff_t|u?intptr_t|u?int64_t|__int128)\b/.test(type)) return { bits: 64, unsigned };
  if (/\b(short|u?int16_t)\b/.test(type)) return { bits: 16, unsigned };
  if (/\b(char|u?int8_t|_Bool|bool)\b/.test(type)) return { bits: 8, unsigned };
  return { bits: 32, unsigned };
}

function promote(t: IntType): IntType {
  return t.bits < 32 ? INT : t;
}

/** The usual arithmetic conversions of two (promoted) integer types. */
function common(a: IntType, b: IntType): IntType {
  const x = promote(a);
  const y = promote(b);
  if (x.bits !== y.bits) return x.bits > y.bits ? x : y;
  return { bits: x.bits, unsigned: x.unsigned || y.unsigned };
}

/**
 * The type of an integer expression, or undefined where it is not an integer or cannot be told.
 * `nameType` gives a name's declared type (a variable, a size parameter).
 */
export function exprIntType(e: CExpr, nameType: (name: string) => string | undefined): IntType | undefined {
  const rec = (x: CExpr): IntType | undefined => {
    switch (x.k) {
      case 'num':
        if (x.float) return undefined;
        return x.type === 'unsigned' ? { bits: 32, unsigned: true } : x.type === 'long' ? { bits: 64, unsigned: false } : x.type === 'unsigned long' ? { bits: 64, unsigned: true } : INT;
      case 'id': {
        const t = nameType(x.name);
        return t === undefined ? undefined : intTypeOf(t);
      }
      case 'cast':
        return intTypeOf(x.type);
      case 'sizeof':
        return { bits: 64, unsigned: true };
      case 'un': {
        if (x.op === '!') return INT;
        const a = rec(x.a);
        return a && (x.op === '-' || x.op === '+' || x.op === '~') ? promote(a) : undefined;
      }
      case 'post':
        return rec(x.a);
      case 'bin': {
        if (['<', '>', '<=', '>=', '==', '!=', '&&', '||'].includes(x.op)) return INT;
        if (x.op === ',') return rec(x.r);
        const l = rec(x.l);
        if (x.op === '<<' || x.op === '>>') return l && promote(l);
        const r = rec(x.r);
        return l && r ? common(l, r) : undefined;
      }
      case 'assign':
        return rec(x.l);
      case 'cond': {
        const t = rec(x.t);
        const f = rec(x.f);
        return t && f ? common(t, f) : undefined;
      }
      default:
        return undefined;
    }
  };
  return rec(e);
}

/** The largest value a type holds. */
export function typeMax(t: IntType): number {
  return t.unsigned ? 2 ** t.bits - 1 : 2 ** (t.bits - 1) - 1;
}

/** Elements a size can count in practice (2^40): the ceiling of a 64-bit size's range here. */
const SIZE_CEILING = 2 ** 40;

/**
 * The largest value each size symbol can take: its parameter type's largest value, at most 2^40
 * (a `size_t` n is not 2^64 in any memory, but 2^31 and more is a size users have).
 */
export function sizeCeilings(params: readonly { kind: string; name: string; int?: { ctype: string } }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of params) {
    if (p.kind !== 'size' || !p.int) continue;
    const t = intTypeOf(p.int.ctype);
    out[p.name] = Math.min(t ? typeMax(t) : 2 ** 31 - 1, SIZE_CEILING);
  }
  return out;
}
