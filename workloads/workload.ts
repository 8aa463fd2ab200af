import type { Role, Size, Target } from '../targets/index.js';

/**
 * How a node's rows split (`rows: SYMBOL` in workload.yaml): running the node with SYMBOL = r1 - r0
 * on pointers advanced to row r0 computes rows [r0, r1) of its outputs. Per array: the leading
 * extent is `coef * SYMBOL + offset` (offset: the halo a stencil reads past its slice; 0 for
 * outputs), or the array does not depend on SYMBOL (`whole`: every slice reads all of it).
 */
export interface RowSplit {
  symbol: string;
  /** SYMBOL at the node's sizes: the rows a plan slices. */
  extent: number;
  arrays: Record<string, { coef: number; offset: number } | 'whole'>;
}

/** A logical array of the workload: a workload input (an `in` array no edge feeds) or a node's output. */
export interface WorkloadArray {
  /** `node.arg`: for an output, its producer's; for an input, the (first) node that reads it. */
  id: string;
  node: string;
  arg: string;
  role: Role;
  kind: 'input' | 'output';
  /** Extents at the node's sizes; rows are along the first. */
  shape: number[];
  elements: number;
  /** Elements per row (the product of the extents after the first). */
  rowElements: number;
  real: 'float' | 'double';
}

export interface WorkloadNode {
  name: string;
  target: Target;
  sizes: Size;
  rows?: RowSplit;
  /** Each array argument's logical array: itself for outputs, the array an edge feeds it (or its own input) for inputs. */
  source: Record<string, string>;
  flops: number;
  bytes: number;
  /**
   * Which kernel the node runs, where plans bound one (plans/node-kernels.ts): memory's best kept at
   * exactly its sizes, memory's best at its target's bench size, or the reference. Absent in a
   * workload as loaded.
   */
  kernel?: 'node-size' | 'bench-size' | 'reference';
}

/** A validated workload: its nodes in a topological order, its logical arrays, and its outputs. */
export interface Workload {
  name: string;
  description: string;
  file: string;
  dir: string;
  nodes: WorkloadNode[];
  arrays: Map<string, WorkloadArray>;
  /** Input arrays, in the order the executor and the oracle read them. */
  inputs: string[];
  outputs: string[];
  /** Content hash of workload.yaml and every node's target (a plan names the workload it was made for). */
  hash: string;
}
