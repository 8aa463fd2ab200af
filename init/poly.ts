import type { Expr } from '../csyntax/index.js';

/**
 * Polynomials over named integer variables (sizes, loop indices) with rational coefficients held
 * as doubles: enough for index expressions (`(i + p) * (W + S - 1) + j`), loop bounds and fitted
 * operation counts. A monomial is its variables with exponents, sorted (`K*M`, `N^2`); "" is 1.
 */
export class Poly {
  private constructor(readonly terms: ReadonlyMap<string, number>) {}

  static const(c: number): Poly {
    return new Poly(c ? new Map([['', c]]) : new Map());
  }
  static v(name: string): Poly {
    return new Poly(new Map([[name, 1]]));
  }
  static of(terms: Iterable<[string, number]>): Poly {
    const m = new Map<string, number>();
    for (const [k, c] of terms) {
      const x = (m.get(k) ?? 0) + c;
      if (Math.abs(x) < 1e-9) m.delete(k);
      else m.set(k, x);
    }
    return new Poly(m);
  }

  add(o: Poly): Poly {
    return Poly.of([...this.terms, ...o.terms]);
  }
  sub(o: Poly): Poly {
    return this.add(o.scale(-1));
  }
  scale(c: number): Poly {
    return Poly.of([...this.terms].map(([k, x]) => [k, x * c]));
  }
  mul(o: Poly): Poly {
    const out: [string, number][] = [];
    for (const [a, x] of this.terms) for (const [b, y] of o.terms) out.push([mulMono(a, b), x * y]);
    return Poly.of(out);
  }
  isConst(): boolean {
    return [...this.terms.keys()].every((k) => k === '');
  }
  constValue(): number {
    return this.terms.get('') ?? 0;
  }
  vars(): Set<string> {
    const s = new Set<string>();
    for (const k of this.terms.keys()) for (const [v] of parseMono(k)) s.add(v);
    return s;
  }
  uses(v: string): boolean {
    return this.vars().has(v);
  }
  equals(o: Poly): boolean {
    return this.sub(o).terms.size === 0;
  }
  /** Replace a variable by a polynomial. */
  subst(v: string, by: Poly): Poly {
    let out = Poly.const(0);
    for (const [k, c] of this.terms) {
      let t = Poly.const(c);
      for (const [name, e] of parseMono(k)) for (let i = 0; i < e; i++) t = t.mul(name === v ? by : Poly.v(name));
      out = out.add(t);
    }
    return out;
  }
  /** The coefficient of `v` (terms of degree one in v, with v removed); undefined when v appears squared. */
  coeff(v: string): Poly | undefined {
    const out: [string, number][] = [];
    for (const [k, c] of this.terms) {
      const m = parseMono(k);
      const e = m.find(([n]) => n === v)?.[1] ?? 0;
      if (e > 1) return undefined;
      if (e === 1)
        out.push([
          m
            .filter(([n]) => n !== v)
            .map(([n, x]) => (x > 1 ? `${n}^${x}` : n))
            .join('*'),
          c,
        ]);
    }
    return Poly.of(out);
  }
  evaluate(env: Readonly<Record<string, number>>): number {
    let s = 0;
    for (const [k, c] of this.terms) {
      let t = c;
      for (const [n, e] of parseMono(k)) t *= (env[n] ?? NaN) ** e;
      s += t;
    }
    return s;
  }
  /**
   * Divide by `d` (multivariate division by d's leading term, the term with most size variables):
   * this = q·d + r with no term of r divisible by that leading term.
   */
  divmod(d: Poly): { q: Poly; r: Poly } {
    const lead = [...d.terms].sort((a, b) => degree(b[0]) - degree(a[0]) || b[0].localeCompare(a[0]))[0];
    let q = Poly.const(0);
    let r: Poly = this;
    for (let guard = 0; guard < 64; guard++) {
      // only whole multiples of the divisor move into the quotient (an index row is an integer)
      const t = [...r.terms].find(([k, c]) => divides(lead[0], k) && Number.isInteger(c / lead[1]));
      if (!t) break;
      const f = Poly.of([[divMono(t[0], lead[0]), t[1] / lead[1]]]);
      q = q.add(f);
      r = r.sub(f.mul(d));
    }
    return { q, r };
  }
  /** C-like text: `2*M*N*K`, `H + R - 1`, `5*R*C - R`; variables in `order` (the signature's) come first, in it. */
  toString(order: readonly string[] = []): string {
    // Rational coefficients over one denominator: `(n*n + n)/2`, exact in the integer division target.yaml's expressions use.
    const den = [...this.terms.values()].reduce((d, c) => lcm(d, denominator(c)), 1);
    if (den > 1) return `(${this.scale(den).toString(order)})/${den}`;
    const terms = [...this.terms].sort((a, b) => degree(b[0]) - degree(a[0]) || monoOrder(a[0], b[0], order));
    if (!terms.length) return '0';
    return terms
      .map(([k, c], i) => {
        const mono = parseMono(k)
          .sort((a, b) => rank(a[0], order) - rank(b[0], order))
          .flatMap(([n, e]) => Array<string>(e).fill(n))
          .join('*');
        const abs = Math.abs(c);
        const num = Number.isInteger(abs) ? String(abs) : fraction(abs);
        const [p, q] = num.split('/');
        const body = !mono ? num : abs === 1 ? mono : q ? `${p === '1' ? '' : `${p}*`}${mono}/${q}` : `${num}*${mono}`;
        return i === 0 ? (c < 0 ? `-${body}` : body) : `${c < 0 ? ' - ' : ' + '}${body}`;
      })
      .join('');
  }
}

const rank = (n: string, order: readonly string[]) => (order.includes(n) ? order.indexOf(n) : 99);
function monoOrder(a: string, b: string, order: readonly string[]): number {
  const ranks = (k: string) =>
    parseMono(k)
      .map(([n]) => rank(n, order))
      .sort((x, y) => x - y);
  const ra = ranks(a);
  const rb = ranks(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return ra.length - rb.length || a.localeCompare(b);
}

function fraction(x: number): string {
  for (let d = 2; d <= 720; d++) if (Math.abs(Math.round(x * d) - x * d) < 1e-6) return `${Math.round(x * d)}/${d}`;
  return String(x);
}

function parseMono(k: string): [string, number][] {
  if (!k) return [];
  return k.split('*').map((p) => {
    const [n, e] = p.split('^');
    return [n, e ? Number(e) : 1];
  });
}
function monoText(m: Map<string, number>): string {
  return [...m]
    .filter(([, e]) => e > 0)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([n, e]) => (e > 1 ? `${n}^${e}` : n))
    .join('*');
}
function mulMono(a: string, b: string): string {
  const m = new Map<string, number>();
  for (const [n, e] of [...parseMono(a), ...parseMono(b)]) m.set(n, (m.get(n) ?? 0) + e);
  return monoText(m);
}
function divides(d: string, k: string): boolean {
  const m = new Map(parseMono(k));
  return parseMono(d).every(([n, e]) => (m.get(n) ?? 0) >= e);
}
function divMono(k: string, d: string): string {
  const m = new Map(parseMono(k));
  for (const [n, e] of parseMono(d)) m.set(n, m.get(n)! - e);
  return monoText(m);
}
function degree(k: string): number {
  return parseMono(k).reduce((s, [, e]) => s + e, 0);
}

/**
 * An integer expression as a polynomial, with local definitions substituted (`defs`): +, -, *,
 * unary minus, casts, parentheses, integer literals, and division by a constant that divides every
 * coefficient. Undefined for anything else (a call, a load, a data-dependent value).
 */
export function polyOf(e: Expr, defs: ReadonlyMap<string, Poly> = new Map()): Poly | undefined {
  switch (e.k) {
    case 'num': {
      const v = Number(e.text.replace(/[uUlL]+$/, ''));
      return Number.isInteger(v) ? Poly.const(v) : undefined;
    }
    case 'id':
      return defs.get(e.name) ?? Poly.v(e.name);
    case 'cast':
      return /\b(int|long|size_t|short|unsigned|ptrdiff_t|int\d+_t|uint\d+_t)\b/.test(e.type) ? polyOf(e.arg, defs) : undefined;
    case 'un':
      if (e.op === '+') return polyOf(e.arg, defs);
      if (e.op === '-') return polyOf(e.arg, defs)?.scale(-1);
      return undefined;
    case 'bin': {
      const a = polyOf(e.l, defs);
      const b = polyOf(e.r, defs);
      if (!a || !b) return undefined;
      if (e.op === '+') return a.add(b);
      if (e.op === '-') return a.sub(b);
      if (e.op === '*') return a.mul(b);
      if (e.op === '/' && b.isConst() && b.constValue() !== 0) {
        const d = b.constValue();
        return [...a.terms.values()].every((c) => Number.isInteger(c / d)) ? a.scale(1 / d) : undefined;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function denominator(x: number): number {
  for (let d = 1; d <= 720; d++) if (Math.abs(Math.round(x * d) - x * d) < 1e-6) return d;
  return 1;
}
function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  return (a / gcd(a, b)) * b;
}
