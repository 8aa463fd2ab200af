export type { Baseline, Insight, LineageEntry, MemoryData, MemoryStore, Outcome, Review, Winner } from './types.js';
export { emptyMemory } from './types.js';
export { LowdbStore } from './lowdb-store.js';
