import type { Decl, Expr, ExprStmt, Func, Stmt, Unit } from './ast.js';

const PREC: Record<string, number> = {
  '||': 4,
  '&&': 5,
  '|': 6,
  '^': 7,
  '&': 8,
  '==': 9,
  '!=': 9,
  '<': 10,
  '>': 10,
  '<=': 10,
  '>=': 10,
  '<<': 11,
  '>>': 11,
  '+': 12,
  '-': 12,
  '*': 13,
  '/': 13,
  '%': 13,
};

function prec(e: Expr): number {
  switch (e.k) {
    case 'comma':
      return 1;
    case 'assign':
      return 2;
    case 'cond':
      return 3;
    case 'bin':
      return PREC[e.op];
    case 'un':
    case 'cast':
    case 'sizeof':
      return 14;
    case 'post':
    case 'call':
    case 'index':
    case 'member':
      return 15;
    default:
      return 16;
  }
}

function wrap(e: Expr, min: number): string {
  const s = printExpr(e);
  return prec(e) < min ? `(${s})` : s;
}

export function printExpr(e: Expr): string {
  switch (e.k) {
    case 'num':
      return e.text;
    case 'id':
      return e.name;
    case 'str':
      return e.text;
    case 'bin': {
      const p = PREC[e.op];
      return `${wrap(e.l, p)} ${e.op} ${wrap(e.r, p + 1)}`;
    }
    case 'assign':
      return `${wrap(e.l, 3)} ${e.op} ${wrap(e.r, 2)}`;
    case 'un': {
      const inner = wrap(e.arg, 14);
      // avoid "- -x" turning into "--x"
      return (e.op === '-' || e.op === '+') && inner.startsWith(e.op) ? `${e.op}(${inner})` : `${e.op}${inner}`;
    }
    case 'post':
      return `${wrap(e.arg, 15)}${e.op}`;
    case 'cond':
      return `${wrap(e.c, 4)} ? ${printExpr(e.t)} : ${wrap(e.f, 3)}`;
    case 'call':
      return `${wrap(e.fn, 15)}(${e.args.map((a) => wrap(a, 2)).join(', ')})`;
    case 'index':
      return `${wrap(e.arr, 15)}[${printExpr(e.idx)}]`;
    case 'member':
      return `${wrap(e.obj, 15)}${e.arrow ? '->' : '.'}${e.name}`;
    case 'cast':
      return `(${e.type})${wrap(e.arg, 14)}`;
    case 'sizeof':
      return `sizeof(${e.type})`;
    case 'init':
      return `{${e.items.map((i) => wrap(i, 2)).join(', ')}}`;
    case 'comma':
      return `${wrap(e.l, 1)}, ${wrap(e.r, 2)}`;
  }
}

function printDecl(d: Decl): string {
  const parts = d.decls.map((x) => {
    const ptr = x.ptr ? (x.ptr.endsWith('*') ? x.ptr : x.ptr + ' ') : '';
    return `${ptr}${x.name}${x.dims.map((dim) => `[${printExpr(dim)}]`).join('')}${x.init ? ` = ${wrap(x.init, 2)}` : ''}`;
  });
  return `${d.type} ${parts.join(', ')}`;
}

function forHeader(s: Extract<Stmt, { k: 'for' }>): string {
  const init = s.init ? (s.init.k === 'decl' ? printDecl(s.init) : printExpr((s.init as ExprStmt).e)) : '';
  return `for (${init}; ${s.cond ? printExpr(s.cond) : ''}; ${s.step ? printExpr(s.step) : ''})`;
}

export function printStmt(s: Stmt, indent = ''): string {
  const inner = indent + '  ';
  switch (s.k) {
    case 'block':
      return `${indent}{\n${s.body.map((b) => printStmt(b, inner)).join('')}${indent}}\n`;
    case 'decl':
      return `${indent}${printDecl(s)};\n`;
    case 'expr':
      return `${indent}${printExpr(s.e)};\n`;
    case 'for':
      return `${s.pragmas.map((p) => `${indent}${p}\n`).join('')}${indent}${forHeader(s)}${body(s.body, indent)}`;
    case 'while':
      return `${indent}while (${printExpr(s.cond)})${body(s.body, indent)}`;
    case 'do':
      return `${indent}do${body(s.body, indent).replace(/\n$/, '')} while (${printExpr(s.cond)});\n`;
    case 'if': {
      let out = `${indent}if (${printExpr(s.cond)})${body(s.then, indent)}`;
      if (s.else) out = out.replace(/\n$/, '') + (s.then.k === 'block' ? ' ' : `\n${indent}`) + `else${s.else.k === 'if' ? ' ' + printStmt(s.else, indent).trimStart() : body(s.else, indent)}`;
      return out;
    }
    case 'return':
      return `${indent}return${s.e ? ' ' + printExpr(s.e) : ''};\n`;
    case 'break':
    case 'continue':
      return `${indent}${s.k};\n`;
    case 'pragma':
    case 'raw':
      return `${s.text}\n`.replace(/^/, indent);
    case 'empty':
      return `${indent};\n`;
  }
}

function body(s: Stmt, indent: string): string {
  if (s.k === 'block') return ` {\n${s.body.map((b) => printStmt(b, indent + '  ')).join('')}${indent}}\n`;
  return `\n${printStmt(s, indent + '  ')}`;
}

export function printFunc(f: Func): string {
  const params = f.params.map((p) => `${p.type} ${p.ptr ? (p.ptr.endsWith('*') ? p.ptr : p.ptr + ' ') : ''}${p.name}`).join(', ');
  return `${f.ret} ${f.name}(${params})${body(f.body, '')}`;
}

export function printUnit(u: Unit): string {
  return u.items.map((t) => (t.k === 'func' ? printFunc(t) : t.text + '\n')).join('\n');
}
