export type { RowSplit, Workload, WorkloadArray, WorkloadNode } from './workload.js';
export { loadWorkload, resolveWorkload, WORKLOAD_CATALOG_DIR, workloadCatalogNames } from './load.js';
export { topologicalOrder } from './graph.js';
export { rowSplit, sliceRows } from './rows.js';
export { workloadSchema } from './schema.js';
