/** The C subset kernels are written in: enough for loops, arithmetic, arrays, pragmas. */

export type Expr =
  | { k: 'num'; text: string }
  | { k: 'id'; name: string }
  | { k: 'str'; text: string }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'assign'; op: string; l: Expr; r: Expr }
  | { k: 'un'; op: string; arg: Expr }
  | { k: 'post'; op: string; arg: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'call'; fn: Expr; args: Expr[] }
  | { k: 'index'; arr: Expr; idx: Expr }
  | { k: 'member'; obj: Expr; name: string; arrow: boolean }
  | { k: 'cast'; type: string; arg: Expr }
  | { k: 'sizeof'; type: string }
  | { k: 'init'; items: Expr[] }
  | { k: 'comma'; l: Expr; r: Expr };

export interface Declarator {
  name: string;
  /** Pointer part written before the name, e.g. "*" or "*restrict". */
  ptr: string;
  dims: Expr[];
  init?: Expr;
}

export interface For {
  k: 'for';
  init: Decl | ExprStmt | null;
  cond: Expr | null;
  step: Expr | null;
  body: Stmt;
  /** `#pragma` lines written immediately before the loop. */
  pragmas: string[];
  /** A remainder loop made by unrolling: cold code the writer leaves alone. */
  cold?: boolean;
}

export interface Decl {
  k: 'decl';
  type: string;
  decls: Declarator[];
}

export interface ExprStmt {
  k: 'expr';
  e: Expr;
}

export interface Block {
  k: 'block';
  body: Stmt[];
}

export type Stmt =
  | Block
  | Decl
  | ExprStmt
  | For
  | { k: 'while'; cond: Expr; body: Stmt }
  | { k: 'do'; body: Stmt; cond: Expr }
  | { k: 'if'; cond: Expr; then: Stmt; else?: Stmt }
  | { k: 'return'; e?: Expr }
  | { k: 'break' }
  | { k: 'continue' }
  | { k: 'pragma'; text: string }
  | { k: 'raw'; text: string }
  | { k: 'empty' };

export interface Param {
  type: string;
  ptr: string;
  name: string;
  /**
   * The extents of an array parameter as declared (`float A[M][N]`: M and N; null where the first
   * is left out). The parser reads such a parameter as a flat pointer (`ptr` is then `*` with the
   * bracket's qualifiers) and its indexing as flat (flatten-params.ts); this keeps the declaration.
   */
  declared?: (Expr | null)[];
}

export interface Func {
  k: 'func';
  ret: string;
  name: string;
  params: Param[];
  body: Block;
  /** Where the definition lies in the source (offsets of its first and last characters + 1), when parsed from one. */
  span?: { start: number; end: number };
}

export type Top = Func | { k: 'raw'; text: string };

export interface Unit {
  items: Top[];
}

/** A deep copy of a syntax tree (plain objects, arrays and scalars only; faster than structuredClone). */
export function clone<T>(x: T): T {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const k in x) out[k] = clone((x as Record<string, unknown>)[k]);
  return out as T;
}
