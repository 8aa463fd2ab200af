import type { Block, Decl, Declarator, Expr, ExprStmt, For, Func, Param, Stmt, Top, Unit } from './ast.js';
import { flattenArrayParams } from './flatten-params.js';
import { CSyntaxError, lex, type Tok } from './lexer.js';

const TYPE_WORDS = new Set([
  'void',
  'char',
  'short',
  'int',
  'long',
  'float',
  'double',
  'signed',
  'unsigned',
  'const',
  'volatile',
  'restrict',
  '__restrict',
  '__restrict__',
  'static',
  'inline',
  '__inline',
  'register',
  'extern',
  '_Bool',
  'bool',
  'real',
  'size_t',
  'ptrdiff_t',
  'int8_t',
  'int16_t',
  'int32_t',
  'int64_t',
  'uint8_t',
  'uint16_t',
  'uint32_t',
  'uint64_t',
  'intptr_t',
  'uintptr_t',
  '_Float16',
  '__m128',
  '__m256',
  '__m512',
  '__m128d',
  '__m256d',
  '__m512d',
  '__m128i',
  '__m256i',
  '__m512i',
]);

const BIN_PREC: Record<string, number> = {
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
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

/** Parse a kernel file. Throws CSyntaxError on anything outside the supported subset. */
export function parseC(src: string): Unit {
  return new Parser(src).unit();
}

class Parser {
  private readonly toks: Tok[];
  private pos = 0;
  private readonly types = new Set(TYPE_WORDS);

  constructor(private readonly src: string) {
    this.toks = lex(src);
  }

  private peek(o = 0): Tok | undefined {
    return this.toks[this.pos + o];
  }
  private is(text: string, o = 0): boolean {
    const t = this.peek(o);
    return !!t && t.kind !== 'str' && t.kind !== 'pp' && t.text === text;
  }
  private next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) throw new CSyntaxError('unexpected end of file', this.toks.at(-1)?.line ?? 0);
    return t;
  }
  private expect(text: string): Tok {
    const t = this.next();
    if (t.text !== text) throw new CSyntaxError(`expected "${text}", found "${t.text}"`, t.line);
    return t;
  }
  private fail(msg: string): never {
    throw new CSyntaxError(msg, this.peek()?.line ?? this.toks.at(-1)?.line ?? 0);
  }
  private isTypeStart(o = 0): boolean {
    const t = this.peek(o);
    return !!t && t.kind === 'id' && this.types.has(t.text);
  }

  unit(): Unit {
    const items: Top[] = [];
    while (this.peek()) {
      const t = this.peek()!;
      if (t.kind === 'pp') {
        this.pos++;
        items.push({ k: 'raw', text: t.text });
        continue;
      }
      if (this.is(';')) {
        this.pos++;
        continue;
      }
      const save = this.pos;
      const fn = this.tryFunction();
      if (fn) {
        items.push(fn);
        continue;
      }
      this.pos = save;
      // Any other top-level declaration is kept verbatim, up to its ';' at depth 0.
      let depth = 0;
      const start = this.peek()!.start;
      let end = start;
      let isTypedef = this.is('typedef');
      let lastId = '';
      for (;;) {
        const x = this.next();
        end = x.end;
        if (x.kind === 'id') lastId = x.text;
        if (x.text === '{' || x.text === '(' || x.text === '[') depth++;
        if (x.text === '}' || x.text === ')' || x.text === ']') depth--;
        if (depth === 0 && x.text === ';') break;
      }
      if (isTypedef && lastId) this.types.add(lastId);
      items.push({ k: 'raw', text: this.src.slice(start, end) });
    }
    return { items };
  }

  /** Type words, then pointer stars with qualifiers. */
  private typeWords(): string {
    const words: string[] = [];
    while (this.isTypeStart() || this.is('__attribute__')) {
      if (this.is('__attribute__')) this.fail('__attribute__ is not supported');
      words.push(this.next().text);
    }
    return words.join(' ');
  }
  private pointer(): string {
    let p = '';
    while (this.is('*')) {
      this.pos++;
      p += '*';
      while (this.is('const') || this.is('restrict') || this.is('__restrict') || this.is('__restrict__') || this.is('volatile')) p += this.next().text + ' ';
      p = p.trimEnd();
    }
    return p;
  }

  private tryFunction(): Func | undefined {
    if (!this.isTypeStart()) return undefined;
    const start = this.peek()!.start;
    const ret = this.typeWords() + (this.is('*') ? ' ' + this.pointer() : '');
    const name = this.peek();
    if (!name || name.kind !== 'id' || !this.is('(', 1)) return undefined;
    this.pos += 2;
    const params: Param[] = [];
    if (this.is('void') && this.is(')', 1)) this.pos++;
    while (!this.is(')')) {
      const type = this.typeWords();
      if (!type) this.fail('expected a parameter type');
      // `T (*A)[N]`, a pointer to rows, is the array parameter `T A[][N]`.
      const rows = this.is('(') && this.is('*', 1);
      if (rows) this.pos++;
      const ptr = this.pointer();
      const pname = this.next();
      if (pname.kind !== 'id') throw new CSyntaxError(`expected a parameter name, found "${pname.text}"`, pname.line);
      if (rows) {
        this.expect(')');
        if (!this.is('[')) this.fail('a parenthesised parameter must be a pointer to rows, (*A)[N]');
      }
      const declared = rows ? this.arrayDeclarator('', [null], ptr) : this.arrayDeclarator(ptr);
      params.push(declared ? { type, ptr: declared.ptr, name: pname.text, declared: declared.dims } : { type, ptr, name: pname.text });
      if (!this.is(')')) this.expect(',');
    }
    this.expect(')');
    if (!this.is('{')) return undefined;
    const line = this.peek()!.line;
    const body = this.block();
    const f: Func = { k: 'func', ret, name: name.text, params, body, span: { start, end: this.toks[this.pos - 1].end } };
    return params.some((p) => p.declared) ? flattenArrayParams(f, line) : f;
  }

  /**
   * A parameter's array declarator, `[QUALIFIERS EXTENT][EXTENT]...` (C99: `A[restrict M][N]` is
   * `(*restrict A)[N]`): the pointer it is, and its extents (the first may be left out).
   */
  private arrayDeclarator(ptr: string, first: (Expr | null)[] = [], rowsPtr = ''): { ptr: string; dims: (Expr | null)[] } | undefined {
    if (!this.is('[')) return undefined;
    if (ptr) this.fail('arrays of pointers are not supported as parameters');
    // A pointer to rows: its pointer's qualifiers are the first bracket's.
    let quals = rowsPtr.replace(/^\*/, '').trim() + (rowsPtr.length > 1 ? ' ' : '');
    const dims: (Expr | null)[] = [...first];
    while (this.is('[')) {
      this.pos++;
      if (!dims.length)
        while (this.is('const') || this.is('restrict') || this.is('__restrict') || this.is('__restrict__') || this.is('static')) {
          const q = this.next().text;
          if (q !== 'static') quals += q + ' ';
        }
      if (this.is(']')) {
        if (dims.length) this.fail('only the first extent of an array parameter may be left out');
        dims.push(null);
      } else dims.push(this.expr());
      this.expect(']');
    }
    return { ptr: ('*' + quals).trimEnd(), dims };
  }

  private block(): Block {
    this.expect('{');
    const body: Stmt[] = [];
    while (!this.is('}')) body.push(this.stmt());
    this.expect('}');
    return { k: 'block', body: attachPragmas(body) };
  }

  private stmt(): Stmt {
    const t = this.peek();
    if (!t) this.fail('unexpected end of file');
    if (t!.kind === 'pp') {
      this.pos++;
      if (!t!.text.startsWith('#pragma')) return { k: 'raw', text: t!.text };
      const pragmas = [t!.text];
      while (this.peek()?.kind === 'pp' && this.peek()!.text.startsWith('#pragma')) pragmas.push(this.next().text);
      if (this.is('for')) {
        const f = this.forStmt();
        f.pragmas.unshift(...pragmas);
        return f;
      }
      this.pos -= pragmas.length - 1;
      return { k: 'pragma', text: t!.text };
    }
    if (this.is('{')) return this.block();
    if (this.is(';')) {
      this.pos++;
      return { k: 'empty' };
    }
    if (this.is('for')) return this.forStmt();
    if (this.is('while')) {
      this.pos++;
      this.expect('(');
      const cond = this.expr();
      this.expect(')');
      return { k: 'while', cond, body: this.stmt() };
    }
    if (this.is('do')) {
      this.pos++;
      const body = this.stmt();
      this.expect('while');
      this.expect('(');
      const cond = this.expr();
      this.expect(')');
      this.expect(';');
      return { k: 'do', body, cond };
    }
    if (this.is('if')) {
      this.pos++;
      this.expect('(');
      const cond = this.expr();
      this.expect(')');
      const then = this.stmt();
      if (this.is('else')) {
        this.pos++;
        return { k: 'if', cond, then, else: this.stmt() };
      }
      return { k: 'if', cond, then };
    }
    if (this.is('return')) {
      this.pos++;
      if (this.is(';')) {
        this.pos++;
        return { k: 'return' };
      }
      const e = this.expr();
      this.expect(';');
      return { k: 'return', e };
    }
    if (this.is('break') || this.is('continue')) {
      const k = this.next().text as 'break' | 'continue';
      this.expect(';');
      return { k };
    }
    if (this.is('goto') || this.is('switch') || this.is('asm') || this.is('__asm__')) this.fail(`"${t!.text}" is not supported`);
    if (this.isTypeStart()) {
      const d = this.decl();
      this.expect(';');
      return d;
    }
    const e = this.expr();
    this.expect(';');
    return { k: 'expr', e };
  }

  private decl(): Decl {
    const type = this.typeWords();
    const decls: Declarator[] = [];
    do {
      const ptr = this.pointer();
      const name = this.next();
      if (name.kind !== 'id') throw new CSyntaxError(`expected a name, found "${name.text}"`, name.line);
      const dims: Expr[] = [];
      while (this.is('[')) {
        this.pos++;
        dims.push(this.expr());
        this.expect(']');
      }
      let init: Expr | undefined;
      if (this.is('=')) {
        this.pos++;
        init = this.is('{') ? this.initList() : this.assign();
      }
      decls.push({ name: name.text, ptr, dims, init });
    } while (this.is(',') && this.next());
    return { k: 'decl', type, decls };
  }

  private initList(): Expr {
    this.expect('{');
    const items: Expr[] = [];
    while (!this.is('}')) {
      items.push(this.is('{') ? this.initList() : this.assign());
      if (!this.is('}')) this.expect(',');
    }
    this.expect('}');
    return { k: 'init', items };
  }

  private forStmt(): For {
    this.expect('for');
    this.expect('(');
    let init: Decl | ExprStmt | null = null;
    if (!this.is(';')) init = this.isTypeStart() ? this.decl() : { k: 'expr', e: this.expr() };
    this.expect(';');
    const cond = this.is(';') ? null : this.expr();
    this.expect(';');
    const step = this.is(')') ? null : this.expr();
    this.expect(')');
    return { k: 'for', init, cond, step, body: this.stmt(), pragmas: [] };
  }

  expr(): Expr {
    let e = this.assign();
    while (this.is(',')) {
      this.pos++;
      e = { k: 'comma', l: e, r: this.assign() };
    }
    return e;
  }

  private assign(): Expr {
    const l = this.conditional();
    const t = this.peek();
    if (t && t.kind === 'op' && ASSIGN.has(t.text)) {
      this.pos++;
      return { k: 'assign', op: t.text, l, r: this.assign() };
    }
    return l;
  }

  private conditional(): Expr {
    const c = this.binary(4);
    if (!this.is('?')) return c;
    this.pos++;
    const t = this.expr();
    this.expect(':');
    return { k: 'cond', c, t, f: this.conditional() };
  }

  private binary(minPrec: number): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      const p = t && t.kind === 'op' ? BIN_PREC[t.text] : undefined;
      if (p === undefined || p < minPrec) return l;
      this.pos++;
      l = { k: 'bin', op: t!.text, l, r: this.binary(p + 1) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (!t) this.fail('unexpected end of expression');
    if (t!.kind === 'op' && ['-', '+', '!', '~', '*', '&', '++', '--'].includes(t!.text)) {
      this.pos++;
      return { k: 'un', op: t!.text, arg: this.unary() };
    }
    if (this.is('sizeof')) {
      this.pos++;
      if (this.is('(') && this.isTypeStart(1)) {
        this.pos++;
        const type = this.typeWords() + this.pointer();
        this.expect(')');
        return { k: 'sizeof', type };
      }
      return { k: 'call', fn: { k: 'id', name: 'sizeof' }, args: [this.unary()] };
    }
    if (this.is('(') && this.isTypeStart(1)) {
      this.pos++;
      const type = this.typeWords() + (this.is('*') ? ' ' + this.pointer() : '');
      this.expect(')');
      return { k: 'cast', type, arg: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.is('[')) {
        this.pos++;
        const idx = this.expr();
        this.expect(']');
        e = { k: 'index', arr: e, idx };
      } else if (this.is('(')) {
        this.pos++;
        const args: Expr[] = [];
        while (!this.is(')')) {
          args.push(this.assign());
          if (!this.is(')')) this.expect(',');
        }
        this.expect(')');
        e = { k: 'call', fn: e, args };
      } else if (this.is('.') || this.is('->')) {
        const arrow = this.next().text === '->';
        e = { k: 'member', obj: e, name: this.next().text, arrow };
      } else if (this.is('++') || this.is('--')) {
        e = { k: 'post', op: this.next().text, arg: e };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'num') return { k: 'num', text: t.text };
    if (t.kind === 'str') return { k: 'str', text: t.text };
    if (t.kind === 'id') return { k: 'id', name: t.text };
    if (t.text === '(') {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    throw new CSyntaxError(`unexpected "${t.text}"`, t.line);
  }
}

/** A `#pragma` directly before a `for` belongs to that loop. */
function attachPragmas(body: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  let pending: string[] = [];
  for (const s of body) {
    if (s.k === 'pragma') {
      pending.push(s.text);
      continue;
    }
    if (s.k === 'for') {
      s.pragmas.push(...pending);
      pending = [];
    } else if (pending.length) {
      out.push(...pending.map((text) => ({ k: 'pragma' as const, text })));
      pending = [];
    }
    out.push(s);
  }
  out.push(...pending.map((text) => ({ k: 'pragma' as const, text })));
  return out;
}
