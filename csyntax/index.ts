export type { Block, Decl, Declarator, Expr, ExprStmt, For, Func, Param, Stmt, Top, Unit } from './ast.js';
export { clone } from './ast.js';
export { CSyntaxError, lex, type Tok } from './lexer.js';
export { parseC } from './parser.js';
export { printExpr, printFunc, printStmt, printUnit } from './printer.js';
export * from './walk.js';
export { evalInt } from './eval.js';
export { ompClauses, reductionItems, type ReductionItem } from './omp-clauses.js';
export { comparison } from './comparison.js';
