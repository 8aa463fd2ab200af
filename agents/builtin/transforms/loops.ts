import { canonicalLoop, forEachExpr, type Block, type CanonicalLoop, type Expr, type For, type Stmt } from '../../../csyntax/index.js';

export interface LoopSite {
  loop: For;
  /** Loops enclosing this one, outermost first. */
  outer: For[];
  /** Replace this loop with a sequence of statements in its parent. */
  replace: (stmts: Stmt[]) => void;
}

/** Every for loop in a statement tree, pre-order, with a way to replace it in place. */
export function loopSites(root: Block): LoopSite[] {
  const out: LoopSite[] = [];
  const visit = (s: Stmt, outer: For[], setter: (stmts: Stmt[]) => void): void => {
    switch (s.k) {
      case 'block':
        s.body.forEach((b) =>
          visit(b, outer, (stmts) => {
            s.body.splice(s.body.indexOf(b), 1, ...stmts);
          }),
        );
        return;
      case 'for':
        out.push({ loop: s, outer, replace: setter });
        visit(s.body, [...outer, s], (stmts) => (s.body = asStmt(stmts)));
        return;
      case 'while':
      case 'do':
        visit(s.body, outer, (stmts) => (s.body = asStmt(stmts)));
        return;
      case 'if':
        visit(s.then, outer, (stmts) => (s.then = asStmt(stmts)));
        if (s.else) visit(s.else, outer, (stmts) => (s.else = asStmt(stmts)));
        return;
    }
  };
  visit(root, [], () => {
    throw new Error('cannot replace the function body');
  });
  return out;
}

export function asStmt(stmts: Stmt[]): Stmt {
  return stmts.length === 1 ? stmts[0] : { k: 'block', body: stmts };
}

/**
 * The names a loop bound reads, or undefined if it reads memory, calls anything or changes
 * anything: then the bound is not a function of those names alone (another thread, or another
 * step, might see another one).
 */
export function plainBoundNames(e: Expr): Set<string> | undefined {
  const names = new Set<string>();
  let plain = true;
  forEachExpr({ k: 'expr', e }, (x) => {
    if (x.k === 'id') names.add(x.name);
    else if (x.k === 'index' || x.k === 'call' || x.k === 'member' || x.k === 'assign' || x.k === 'post' || (x.k === 'un' && /\+\+|--|\*/.test(x.op))) plain = false;
  });
  return plain ? names : undefined;
}

/** The statements of a loop body (a block's contents, or the single statement). */
export function bodyStmts(f: For): Stmt[] {
  return f.body.k === 'block' ? f.body.body.filter((s) => s.k !== 'empty') : [f.body];
}

/** The one loop directly inside `f`, if its body is exactly one for loop. */
export function soleInnerLoop(f: For): For | undefined {
  const b = bodyStmts(f);
  return b.length === 1 && b[0].k === 'for' ? b[0] : undefined;
}

export function containsLoop(s: Stmt): boolean {
  if (s.k === 'for' || s.k === 'while' || s.k === 'do') return true;
  if (s.k === 'block') return s.body.some(containsLoop);
  if (s.k === 'if') return containsLoop(s.then) || (!!s.else && containsLoop(s.else));
  return false;
}

export function isInnermost(f: For): boolean {
  return !containsLoop(f.body);
}

/** A perfect nest starting at f: canonical loops, each the sole statement of its parent. */
export function perfectNest(f: For): { loops: For[]; canon: CanonicalLoop[] } {
  const loops: For[] = [];
  const canon: CanonicalLoop[] = [];
  let cur: For | undefined = f;
  while (cur) {
    const c = canonicalLoop(cur);
    if (!c) break;
    loops.push(cur);
    canon.push(c);
    cur = soleInnerLoop(cur);
  }
  return { loops, canon };
}
