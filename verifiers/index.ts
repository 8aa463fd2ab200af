export { Verifier, type CheckCase, type CheckPlan, type VerifierOptions } from './verifier.js';
export type { CaseRecord, Layer, Reproducer, Verdict } from './verdict.js';
export { publicFeedback } from './verdict.js';
export { compareOutputs, type Comparison } from './compare.js';
export { DISTRIBUTIONS, makeInputs, type Distribution } from './inputs.js';
export { hiddenSizes, formatSize } from './sizes.js';
export { trackedHeader } from './tracked-header.js';
