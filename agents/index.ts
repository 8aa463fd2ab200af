export type { Analyzer, BaselineProfile, CandidateOutcome, Diagnosis, Draft, Idea, Profiler, Writer, WriteContext } from './roles.js';
export { BuiltinAnalyzer, BuiltinProfiler, BuiltinWriter, programKey } from './builtin/index.js';
