export { applyMove, describeMove, enumerateMoves, expand, MOVE_KINDS, type Move, type MoveContext, type MoveKind } from './moves.js';
export { cloneProgram, kernelOf, sourceOf, type Program } from './program.js';
export { loopSites, perfectNest, isInnermost, bodyStmts } from './loops.js';
