/**
 * Integer arithmetic over size symbols, as used in target.yaml (shapes, flops, bytes):
 * numbers, names, + - * / % and parentheses. Parsed once, evaluated per size, and printed as C.
 */
export type Expr = { kind: 'num'; value: number } | { kind: 'sym'; name: string } | { kind: 'neg'; arg: Expr } | { kind: 'bin'; op: '+' | '-' | '*' | '/' | '%'; left: Expr; right: Expr };

export class ExprError extends Error {}

export function parseExpr(text: string): Expr {
  const tokens = String(text).match(/\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|[-+*/%()]|\S)/g) ?? [];
  const toks = tokens.map((t) => t.trim());
  let pos = 0;
  const peek = () => toks[pos];
  const take = () => toks[pos++];

  function primary(): Expr {
    const t = take();
    if (t === undefined) throw new ExprError(`unexpected end of expression "${text}"`);
    if (t === '(') {
      const e = sum();
      if (take() !== ')') throw new ExprError(`missing ")" in "${text}"`);
      return e;
    }
    if (t === '-') return { kind: 'neg', arg: primary() };
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) return { kind: 'sym', name: t };
    throw new ExprError(`unexpected "${t}" in "${text}"`);
  }
  function product(): Expr {
    let e = primary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = take() as '*' | '/' | '%';
      e = { kind: 'bin', op, left: e, right: primary() };
    }
    return e;
  }
  function sum(): Expr {
    let e = product();
    while (peek() === '+' || peek() === '-') {
      const op = take() as '+' | '-';
      e = { kind: 'bin', op, left: e, right: product() };
    }
    return e;
  }
  const e = sum();
  if (pos !== toks.length) throw new ExprError(`unexpected "${toks[pos]}" in "${text}"`);
  return e;
}

export function symbolsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === 'sym') out.add(e.name);
  else if (e.kind === 'neg') symbolsOf(e.arg, out);
  else if (e.kind === 'bin') {
    symbolsOf(e.left, out);
    symbolsOf(e.right, out);
  }
  return out;
}

export function evalExpr(e: Expr, env: Readonly<Record<string, number>>): number {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'sym': {
      const v = env[e.name];
      if (v === undefined) throw new ExprError(`unknown size symbol "${e.name}"`);
      return v;
    }
    case 'neg':
      return -evalExpr(e.arg, env);
    case 'bin': {
      const a = evalExpr(e.left, env);
      const b = evalExpr(e.right, env);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return Math.trunc(a / b);
        case '%':
          return a % b;
      }
    }
  }
}

/** Print as a C expression over `long` values (names are the kernel's int parameters). */
export function exprToC(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return `${Math.trunc(e.value)}L`;
    case 'sym':
      return `(long)${e.name}`;
    case 'neg':
      return `(-${exprToC(e.arg)})`;
    case 'bin':
      return `(${exprToC(e.left)} ${e.op} ${exprToC(e.right)})`;
  }
}
