export type { Baseline, Insight, KeptPlan, LineageEntry, MemoryData, MemoryStore, Outcome, Review, Winner } from './types.js';
export { emptyMemory } from './types.js';
export { LowdbStore } from './lowdb-store.js';
export { FileStore, type FileStoreOptions } from './file-store.js';
export { memoryDir } from './file-format.js';
export { MemoryFormatError, MemoryLockError } from './errors.js';
export { sameBaseline, sizeKey } from './size-key.js';
