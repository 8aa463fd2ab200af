export { BuiltinAnalyzer } from './analyzer.js';
export { BuiltinProfiler } from './profiler.js';
export { BuiltinWriter } from './writer.js';
export { insightStats, priorFor } from './priors.js';
export { kernelFacts, type KernelFacts } from './kernel-facts.js';
export { programKey, search, type Proposal } from './search.js';
export { estimateCost } from './cost-model.js';
