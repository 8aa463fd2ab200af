export type { Analyzer, ArchiveEntry, BaselineProfile, CandidateOutcome, Diagnosis, Draft, Idea, Profiler, RoundContext, Writer, WriterSession, WriteContext } from './roles.js';
export { oneShotSessions } from './roles.js';
export { BuiltinAnalyzer, BuiltinProfiler, BuiltinWriter, programKey } from './builtin/index.js';
export { createAgents, DEFAULT_MODELS, type AgentOptions, type Agents } from './factory.js';
export { CostLedger, type Spend, type SpendTotals } from './providers/index.js';
