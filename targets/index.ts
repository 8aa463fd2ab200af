export type { ArrayParam, CudaSources, IntValues, Param, Role, ScalarParam, Size, SizeParam, Target } from './target.js';
export { INT_TYPES, type IntType } from './ctypes.js';
export { elemBytes, inputLayout, readElem } from './layout.js';
export { asRealSpelling, definitionMismatch, definitionParams, signatureParams } from './spelling.js';
export { arrayLengthsC, CATALOG_DIR, cudaUnsupported, catalogNames, elementCount, loadTarget, referenceSource, resolveTarget } from './load.js';
export { evalExpr, exprToC, parseExpr, type Expr } from './expr.js';
export { realBytes, workingSetBytes } from './working-set.js';
export { FLAG_ALLOW_LIST, REASSOCIATING_FLAGS } from './flags.js';
export { contractLines } from './contract.js';
