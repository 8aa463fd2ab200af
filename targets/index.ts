export type { ArrayParam, CudaSources, Param, Role, Size, SizeParam, Target } from './target.js';
export { arrayLengthsC, CATALOG_DIR, catalogNames, elementCount, loadTarget, referenceSource, resolveTarget } from './load.js';
export { evalExpr, exprToC, parseExpr, type Expr } from './expr.js';
export { realBytes, workingSetBytes } from './working-set.js';
export { FLAG_ALLOW_LIST, REASSOCIATING_FLAGS } from './flags.js';
