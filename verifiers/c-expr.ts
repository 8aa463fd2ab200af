import { lex, type Tok } from '../csyntax/index.js';

/**
 * A tolerant reader of C expressions over the tokens of a preprocessed kernel. It does not try to
 * understand the whole program (csyntax does that for the writer): it finds every expression,
 * declaration and case label, so that the size analysis sees each comparison, modulus, mask, shift
 * and division, whatever statement it sits in.
 */
export type CExpr =
  | { k: 'num'; v: number; float: boolean; type?: 'unsigned' | 'long' | 'unsigned long' }
  | { k: 'id'; name: string }
  | { k: 'un'; op: string; a: CExpr }
  | { k: 'post'; op: string; a: CExpr }
  | { k: 'bin'; op: string; l: CExpr; r: CExpr; line: number }
  | { k: 'assign'; op: string; l: CExpr; r: CExpr; line: number }
  | { k: 'cond'; c: CExpr; t: CExpr; f: CExpr }
  | { k: 'call'; fn: string | undefined; args: CExpr[] }
  | { k: 'index'; a: CExpr; i: CExpr }
  | { k: 'cast'; type: string; a: CExpr }
  | { k: 'sizeof'; type?: string; a?: CExpr }
  | { k: 'member'; a: CExpr }
  | { k: 'init'; items: CExpr[] }
  | { k: 'other' };

export interface CDecl {
  name: string;
  type: string;
  pointer: boolean;
  array: boolean;
  /** An array's extents, as written. */
  dims?: CExpr[];
  init?: CExpr;
  line: number;
  /** Declared in a for-loop's first clause: `cond` is that loop's condition. */
  loopCond?: CExpr;
}

export interface CProgram {
  exprs: CExpr[];
  decls: CDecl[];
  /** Enumerators, with their values where they are constant. */
  enums: Map<string, CExpr>;
  /** `switch (E) ... case C:` as E == C. */
  cases: CExpr[];
  /** Conditions of for and while loops: they bound the variables they compare. */
  loopConds: CExpr[];
  /** Each function defined, with its parameters' names in order. */
  functions: Map<string, string[]>;
  /** Functions whose body calls the function itself (a recursion). */
  recursive: Set<string>;
}

const TYPE_WORDS = new Set(
  'void char short int long float double signed unsigned _Bool bool const volatile static register extern inline __inline __inline__ restrict __restrict __restrict__ auto _Complex __int128 real size_t ssize_t ptrdiff_t intptr_t uintptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t int_fast32_t uint_fast32_t typedef _Thread_local __thread __extension__ _Noreturn'.split(
    ' ',
  ),
);
/** CUDA's launch coordinates (`threadIdx.x`): values that follow the grid, not memory. */
export const CUDA_INDEX = /^(threadIdx|blockIdx|blockDim|gridDim)$/;
export const INTEGER_TYPE = /\b(char|short|int|long|signed|unsigned|_Bool|bool|size_t|ssize_t|ptrdiff_t|u?intptr_t|u?int\d+_t|u?int_fast\d+_t|__int128)\b/;
export const FLOAT_TYPE = /\b(float|double|real)\b/;

const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

export function parseNumber(text: string): { v: number; float: boolean; type?: 'unsigned' | 'long' | 'unsigned long' } {
  const t = text.replace(/[uUlL]+$/, '');
  if (/^0[xX]/.test(t) && /[.pP]/.test(t)) return { v: hexFloat(t.replace(/[fF]$/, '')), float: true };
  if (!/^0[xX]/.test(t) && (/[.eE]/.test(t) || /[fF]$/.test(t))) return { v: parseFloat(t.replace(/[fF]$/, '')), float: true };
  const v = /^0[xX]/.test(t) ? parseInt(t, 16) : /^0[0-7]+$/.test(t) ? parseInt(t, 8) : parseInt(t, 10);
  return { v, float: false, type: intLiteralType(text.slice(t.length), /^0/.test(t) && t !== '0', v) };
}

/** An integer literal's C type beyond int (C11 6.4.4.1): from its suffix, its value and its base. */
function intLiteralType(suffix: string, octalOrHex: boolean, v: number): 'unsigned' | 'long' | 'unsigned long' | undefined {
  const u = /[uU]/.test(suffix);
  const l = /[lL]/.test(suffix);
  if (u) return l || v > 0xffffffff ? 'unsigned long' : 'unsigned';
  if (l || v > 0xffffffff) return 'long';
  if (v > 0x7fffffff) return octalOrHex ? 'unsigned' : 'long';
  return undefined;
}

function hexFloat(t: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/.exec(t);
  if (!m) return NaN;
  const mant = parseInt(m[1] || '0', 16) + (m[2] ? parseInt(m[2], 16) / 16 ** m[2].length : 0);
  return mant * 2 ** Number(m[3] ?? 0);
}

class Reader {
  pos = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly types: Set<string>,
  ) {}
  peek(o = 0): Tok | undefined {
    return this.toks[this.pos + o];
  }
  is(text: string, o = 0): boolean {
    return this.peek(o)?.text === text && this.peek(o)?.kind !== 'str';
  }
  next(): Tok {
    return this.toks[this.pos++];
  }
  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }
  isType(o = 0): boolean {
    const t = this.peek(o);
    return !!t && t.kind === 'id' && (TYPE_WORDS.has(t.text) || this.types.has(t.text) || t.text === 'struct' || t.text === 'union' || t.text === 'enum');
  }
  skipBalanced(): void {
    // At an opening bracket: skip to just past its match.
    let depth = 0;
    do {
      const t = this.next();
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    } while (depth > 0 && !this.atEnd());
  }
  skipAttributes(): void {
    while (this.peek() && /^(__attribute__|__attribute|_Alignas|__declspec|__asm__|asm)$/.test(this.peek()!.text) && this.is('(', 1)) {
      this.pos++;
      this.skipBalanced();
    }
  }
  typeName(): string {
    const words: string[] = [];
    for (;;) {
      this.skipAttributes();
      if (!this.isType()) break;
      const w = this.next().text;
      words.push(w);
      if ((w === 'struct' || w === 'union' || w === 'enum') && this.peek()?.kind === 'id') words.push(this.next().text);
    }
    while (this.is('*') || this.is('const') || this.is('restrict') || this.is('__restrict') || this.is('__restrict__') || this.is('volatile')) words.push(this.next().text);
    return words.join(' ');
  }

  expr(): CExpr {
    let e = this.assign();
    while (this.is(',')) {
      this.pos++;
      const r = this.assign();
      e = { k: 'bin', op: ',', l: e, r, line: 0 };
    }
    return e;
  }
  assign(): CExpr {
    const l = this.ternary();
    const t = this.peek();
    if (t && t.kind === 'op' && ASSIGN.has(t.text)) {
      this.pos++;
      return { k: 'assign', op: t.text, l, r: this.assign(), line: t.line };
    }
    return l;
  }
  ternary(): CExpr {
    const c = this.binary(1);
    if (!this.is('?')) return c;
    this.pos++;
    const t = this.expr();
    if (this.is(':')) this.pos++;
    return { k: 'cond', c, t, f: this.assign() };
  }
  binary(min: number): CExpr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      const p = t && t.kind === 'op' ? BINARY[t.text] : undefined;
      if (p === undefined || p < min) return l;
      this.pos++;
      const r = this.binary(p + 1);
      l = { k: 'bin', op: t!.text, l, r, line: t!.line };
    }
  }
  unary(): CExpr {
    const t = this.peek();
    if (!t) return { k: 'other' };
    if (t.kind === 'op' && ['-', '+', '!', '~', '*', '&', '++', '--'].includes(t.text)) {
      this.pos++;
      return { k: 'un', op: t.text, a: this.unary() };
    }
    if (t.text === 'sizeof' || t.text === '_Alignof' || t.text === '__alignof__') {
      this.pos++;
      if (this.is('(') && this.isType(1)) {
        this.pos++;
        const type = this.typeName();
        while (!this.atEnd() && !this.is(')')) this.pos++;
        this.pos++;
        return { k: 'sizeof', type };
      }
      return { k: 'sizeof', a: this.unary() };
    }
    if (t.text === '(' && this.isType(1)) {
      this.pos++;
      const type = this.typeName();
      while (!this.atEnd() && !this.is(')')) this.pos++;
      this.pos++;
      if (this.is('{')) return this.postfix({ k: 'init', items: this.initList() });
      return { k: 'cast', type, a: this.unary() };
    }
    return this.postfix(this.primary());
  }
  initList(): CExpr[] {
    this.pos++; // {
    const items: CExpr[] = [];
    while (!this.atEnd() && !this.is('}')) {
      if (this.is('.') || this.is('[')) {
        // designators: .x = / [i] =
        while (!this.atEnd() && !this.is('=') && !this.is(',') && !this.is('}')) this.pos++;
        if (this.is('=')) this.pos++;
      }
      items.push(this.is('{') ? { k: 'init', items: this.initList() } : this.assign());
      if (this.is(',')) this.pos++;
      else if (!this.is('}')) this.pos++;
    }
    this.pos++;
    return items;
  }
  primary(): CExpr {
    const t = this.next();
    if (!t) return { k: 'other' };
    if (t.kind === 'num') return { k: 'num', ...parseNumber(t.text) };
    if (t.kind === 'id') return { k: 'id', name: t.text };
    if (t.kind === 'str') return t.text.startsWith("'") ? { k: 'num', v: t.text.length === 3 ? t.text.charCodeAt(1) : NaN, float: false } : { k: 'other' };
    if (t.text === '(') {
      if (this.is('{')) {
        // GNU statement expression: its inside is scanned as statements by the caller.
        this.pos--;
        this.skipBalanced();
        return { k: 'other' };
      }
      const e = this.expr();
      if (this.is(')')) this.pos++;
      return e;
    }
    if (t.text === '{') {
      this.pos--;
      return { k: 'init', items: this.initList() };
    }
    return { k: 'other' };
  }
  postfix(e: CExpr): CExpr {
    for (;;) {
      if (this.is('[')) {
        this.pos++;
        const i = this.expr();
        if (this.is(']')) this.pos++;
        e = { k: 'index', a: e, i };
      } else if (this.is('(')) {
        this.pos++;
        const args: CExpr[] = [];
        while (!this.atEnd() && !this.is(')')) {
          args.push(this.assign());
          if (this.is(',')) this.pos++;
          else if (!this.is(')')) this.pos++;
        }
        this.pos++;
        e = { k: 'call', fn: e.k === 'id' ? e.name : undefined, args };
      } else if (this.is('.') || this.is('->')) {
        this.pos += 2;
        e = { k: 'member', a: e };
      } else if (this.is('++') || this.is('--')) {
        e = { k: 'post', op: this.next().text, a: e };
      } else return e;
    }
  }
}

/** The tokens of a region, split at `;` outside brackets. */
function splitTop(toks: Tok[], sep: string): Tok[][] {
  const parts: Tok[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) depth++;
    if (t.kind === 'op' && (t.text === ')' || t.text === ']' || t.text === '}')) depth--;
    if (depth === 0 && t.kind === 'op' && t.text === sep) parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  return parts.filter((p) => p.length);
}

/**
 * Every expression, declaration, enumerator and case label of a (preprocessed) C file. Never
 * throws: what it cannot read becomes `other`, which the analysis treats as unknown.
 */
export function readProgram(source: string): CProgram {
  const toks = lex(source).filter((t) => t.kind !== 'pp');
  const types = new Set<string>();
  const prog: CProgram = { exprs: [], decls: [], enums: new Map(), cases: [], loopConds: [], functions: new Map(), recursive: new Set() };
  // typedef names first (so casts to them parse as casts).
  for (let i = 0; i < toks.length; i++)
    if (toks[i].text === 'typedef') {
      let depth = 0;
      let last = '';
      for (let j = i + 1; j < toks.length; j++) {
        const t = toks[j];
        if (t.text === '(' || t.text === '{' || t.text === '[') depth++;
        if (t.text === ')' || t.text === '}' || t.text === ']') depth--;
        if (depth === 0 && t.kind === 'id') last = t.text;
        if (depth === 0 && t.text === ';') break;
      }
      if (last) types.add(last);
    }
  const switches: CExpr[] = [];

  const statementRegion = (region: Tok[], loopCond?: CExpr) => {
    // A declaration or an expression statement.
    const r = new Reader(region, types);
    r.skipAttributes();
    if (r.isType() && !(r.is('(', 1) && !r.isType())) {
      const isEnum = r.is('enum');
      const type = r.typeName();
      if (isEnum && r.is('{')) return enumBody(r);
      if (/\b(struct|union)\b/.test(type) && r.is('{')) return;
      while (!r.atEnd()) {
        r.skipAttributes();
        let pointer = /\*/.test(type);
        while (r.is('*') || r.is('const') || r.is('restrict') || r.is('__restrict') || r.is('__restrict__') || r.is('volatile')) if (r.next().text === '*') pointer = true;
        if (r.is('(')) {
          // function pointer or parenthesised declarator: skip it
          r.skipBalanced();
          if (r.is('(')) r.skipBalanced();
        }
        const name = r.peek()?.kind === 'id' ? r.next() : undefined;
        let array = false;
        const dims: CExpr[] = [];
        while (r.is('[')) {
          array = true;
          r.pos++;
          if (!r.is(']')) (prog.exprs.push(r.expr()), dims.push(prog.exprs[prog.exprs.length - 1]));
          else dims.push({ k: 'other' });
          if (r.is(']')) r.pos++;
        }
        if (r.is('(')) {
          // a prototype: its parameters are declarations of a scope we do not enter
          r.skipBalanced();
        }
        r.skipAttributes();
        let init: CExpr | undefined;
        if (r.is('=')) {
          r.pos++;
          init = r.is('{') ? { k: 'init', items: r.initList() } : r.assign();
          prog.exprs.push(init);
        }
        if (name) prog.decls.push({ name: name.text, type: type.replace(/\*/g, '').trim(), pointer, array, dims: array ? dims : undefined, init, line: name.line, loopCond });
        if (r.is(',')) r.pos++;
        else break;
      }
      return;
    }
    while (!r.atEnd()) {
      const before = r.pos;
      prog.exprs.push(r.expr());
      if (r.pos === before) r.pos++;
    }
  };

  const enumBody = (r: Reader) => {
    r.pos++; // {
    let prev: CExpr = { k: 'num', v: -1, float: false };
    while (!r.atEnd() && !r.is('}')) {
      const name = r.next();
      let value: CExpr;
      if (r.is('=')) {
        r.pos++;
        value = r.ternary();
      } else value = { k: 'bin', op: '+', l: prev, r: { k: 'num', v: 1, float: false }, line: name.line };
      if (name.kind === 'id') prog.enums.set(name.text, value);
      prev = value;
      if (r.is(',')) r.pos++;
    }
  };

  const params = (region: Tok[]): string[] => {
    const names: string[] = [];
    for (const p of splitTop(region, ',')) {
      const r = new Reader(p, types);
      const type = r.typeName();
      const pointer = /\*/.test(type) || p.some((t) => t.text === '[' || t.text === '*');
      const ids = p.filter((t) => t.kind === 'id' && !TYPE_WORDS.has(t.text) && !types.has(t.text));
      if (ids.length) prog.decls.push({ name: ids[ids.length - 1].text, type: type.replace(/\*/g, '').trim(), pointer, array: false, line: ids[ids.length - 1].line });
      names.push(ids.length ? ids[ids.length - 1].text : '');
    }
    return names;
  };

  // Walk the tokens statement by statement.
  let i = 0;
  const matching = (open: number): number => {
    let depth = 0;
    for (let j = open; j < toks.length; j++) {
      const t = toks[j].text;
      if (t === '(' || t === '[' || t === '{') depth++;
      if (t === ')' || t === ']' || t === '}') depth--;
      if (depth === 0) return j;
    }
    return toks.length - 1;
  };
  let start = 0;
  const flush = (end: number) => {
    if (end > start) statementRegion(toks.slice(start, end));
  };
  while (i < toks.length) {
    const t = toks[i];
    const kw = t.kind === 'id' ? t.text : '';
    if ((kw === 'for' || kw === 'if' || kw === 'while' || kw === 'switch') && toks[i + 1]?.text === '(') {
      flush(i);
      const close = matching(i + 1);
      const inside = toks.slice(i + 2, close);
      if (kw === 'for') {
        // init ; cond ; step (split by hand: empty clauses matter)
        const semi: number[] = [];
        let depth = 0;
        inside.forEach((x, j) => {
          if (x.text === '(' || x.text === '[' || x.text === '{') depth++;
          if (x.text === ')' || x.text === ']' || x.text === '}') depth--;
          if (depth === 0 && x.text === ';') semi.push(j);
        });
        const init = inside.slice(0, semi[0] ?? inside.length);
        const cond = semi.length >= 1 ? inside.slice(semi[0] + 1, semi[1] ?? inside.length) : [];
        const step = semi.length >= 2 ? inside.slice(semi[1] + 1) : [];
        const condExpr = cond.length ? new Reader(cond, types).expr() : undefined;
        if (condExpr) (prog.exprs.push(condExpr), prog.loopConds.push(condExpr));
        if (init.length) statementRegion(init, condExpr);
        if (step.length) statementRegion(step);
      } else if (inside.length) {
        const e = new Reader(inside, types).expr();
        prog.exprs.push(e);
        if (kw === 'switch') switches.push(e);
        if (kw === 'while') prog.loopConds.push(e);
      }
      i = close + 1;
      start = i;
      continue;
    }
    if (kw === 'case') {
      flush(i);
      let j = i + 1;
      let depth = 0;
      while (j < toks.length && !(depth === 0 && toks[j].text === ':')) {
        if (toks[j].text === '(') depth++;
        if (toks[j].text === ')') depth--;
        j++;
      }
      const value = new Reader(toks.slice(i + 1, j), types).ternary();
      const subject = switches[switches.length - 1];
      if (subject) prog.cases.push({ k: 'bin', op: '==', l: subject, r: value, line: t.line });
      i = j + 1;
      start = i;
      continue;
    }
    if (kw === 'default' && toks[i + 1]?.text === ':') {
      flush(i);
      i += 2;
      start = i;
      continue;
    }
    if (kw === 'else' || kw === 'do' || kw === 'return' || kw === 'goto' || kw === 'break' || kw === 'continue') {
      flush(i);
      i++;
      if (kw === 'goto') i++;
      start = i;
      continue;
    }
    if (kw === 'enum') {
      // enum NAME? { ... } ;
      let j = i + 1;
      if (toks[j]?.kind === 'id') j++;
      if (toks[j]?.text === '{') {
        flush(i);
        const close = matching(j);
        const r = new Reader(toks.slice(j, close + 1), types);
        enumBody(r);
        i = close + 1;
        start = i;
        continue;
      }
    }
    if (t.kind === 'op' && t.text === '(' && i > start && toks[i - 1].kind === 'id' && new Reader(toks.slice(start, i - 1), types).isType()) {
      // a function definition or prototype: NAME ( params ) { or ;
      const close = matching(i);
      if (toks[close + 1]?.text === '{' || toks[close + 1]?.text === '__attribute__') {
        const name = toks[i - 1].text;
        prog.functions.set(name, params(toks.slice(i + 1, close)));
        i = close + 1;
        while (i < toks.length && toks[i].text !== '{') i++;
        if (i < toks.length) {
          const end = matching(i);
          for (let j = i + 1; j < end; j++) if (toks[j].kind === 'id' && toks[j].text === name && toks[j + 1]?.text === '(') prog.recursive.add(name);
        }
        start = i + 1;
        i++;
        continue;
      }
    }
    if (t.kind === 'op' && (t.text === ';' || t.text === '{' || t.text === '}' || (t.text === ':' && i === start + 1 && toks[start].kind === 'id'))) {
      if (t.text === '{' && i > start) {
        // an initializer list belongs to its declaration
        const prev = toks[i - 1];
        if (prev.text === '=' || prev.text === ',' || prev.text === '(' || prev.text === ')') {
          i = matching(i) + 1;
          continue;
        }
      }
      if (t.text === ':') {
        // a label
        i++;
        start = i;
        continue;
      }
      flush(i);
      i++;
      start = i;
      continue;
    }
    if (t.kind === 'op' && t.text === '(' && toks[i + 1]?.text === '{') {
      // statement expression: scan its inside as statements
      i += 2;
      continue;
    }
    i++;
  }
  flush(toks.length);
  return prog;
}

/** An expression's direct subexpressions. */
export function exprChildren(e: CExpr): CExpr[] {
  switch (e.k) {
    case 'un':
    case 'post':
    case 'cast':
    case 'member':
      return [e.a];
    case 'bin':
    case 'assign':
      return [e.l, e.r];
    case 'cond':
      return [e.c, e.t, e.f];
    case 'call':
      return e.args;
    case 'index':
      return [e.a, e.i];
    case 'init':
      return e.items;
    default:
      return [];
  }
}

/** Visit an expression and every subexpression, parents first. */
export function walkExpr(e: CExpr, fn: (x: CExpr) => void): void {
  fn(e);
  for (const c of exprChildren(e)) walkExpr(c, fn);
}

/** An expression as C text, for messages ('…' where a form is not shown). */
export function showExpr(e: CExpr): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'id':
      return e.name;
    case 'un':
      return `${e.op}${showExpr(e.a)}`;
    case 'post':
      return `${showExpr(e.a)}${e.op}`;
    case 'bin':
      return `${showExpr(e.l)} ${e.op} ${showExpr(e.r)}`;
    case 'assign':
      return `${showExpr(e.l)} ${e.op} ${showExpr(e.r)}`;
    case 'cond':
      return `${showExpr(e.c)} ? ${showExpr(e.t)} : ${showExpr(e.f)}`;
    case 'call':
      return `${e.fn ?? '(...)'}(${e.args.map(showExpr).join(', ')})`;
    case 'index':
      return `${showExpr(e.a)}[${showExpr(e.i)}]`;
    case 'cast':
      return `(${e.type})${showExpr(e.a)}`;
    case 'sizeof':
      return `sizeof(${e.type ?? (e.a ? showExpr(e.a) : '')})`;
    default:
      return '…';
  }
}
