import type { IntType } from './ctypes.js';
import type { Expr } from './expr.js';

export type Role = 'in' | 'out' | 'inout';
export type Size = Record<string, number>;

export interface SizeParam {
  kind: 'size';
  name: string;
  /** Its C type (`int` unless the signature says `long`, `size_t`, `int64_t`, `unsigned`...). */
  int: IntType;
}

/**
 * A scalar of the target's precision passed by value (`real alpha`, `float eps`): a fixed value,
 * or drawn by the verifier from a range (ends, 0 and 1 where inside, and uniform values); the
 * timed runs use `bench`.
 */
export interface ScalarParam {
  kind: 'scalar';
  name: string;
  value: { fixed: number } | { range: [number, number] };
  bench: number;
}

/**
 * What the contents of an integer array must satisfy (the verifier generates them so):
 *   csr_rowptr  0 first, non-decreasing, `total` last (CSR row pointers over `total` entries);
 *   index       every value in [0, bound);
 *   range       every value in [lo, hi].
 */
export type IntValues = { kind: 'csr_rowptr'; total: Expr; text: string } | { kind: 'index'; bound: Expr; text: string } | { kind: 'range'; lo: Expr; hi: Expr; text: string };

export interface ArrayParam {
  kind: 'array';
  name: string;
  role: Role;
  shape: Expr[];
  shapeText: string[];
  /** An integer array (`int *`, `const long *`...): its type. Undefined for arrays of `real`. */
  int?: IntType;
  /** An integer input's structure (required for in and inout integer arrays). */
  values?: IntValues;
}

export type Param = SizeParam | ScalarParam | ArrayParam;

/** A kernel to optimise: its contract (signature, shapes, sizes) and its naive reference. */
export interface Target {
  name: string;
  description: string;
  dir: string;
  /** Path of target.yaml, for error messages. */
  file: string;
  signature: string;
  fn: string;
  real: 'float' | 'double';
  params: Param[];
  sizeSymbols: string[];
  /** Every array parameter (real and integer), in parameter order. */
  arrays: ArrayParam[];
  /** Scalar real parameters, in parameter order. */
  scalars: ScalarParam[];
  checkSizes: Size[];
  benchSize: Size;
  /** Bounds for the sizes the verifier picks itself. */
  limits: Record<string, { min: number; max: number }>;
  flops: Expr;
  bytes: Expr;
  flopsText: string;
  bytesText: string;
  allow: { flags: string[]; reassociation: boolean };
  tolerance: { factor: number };
  nondeterministic: boolean;
  referencePath: string;
  referenceSource: string;
  /** The CUDA side, where the folder has one: the naive CUDA kernel (first baseline on a GPU) and a tunable starter. */
  cuda?: CudaSources;
  /** Where a reviewer's approval writes the promoted kernel (relative to the target folder). */
  promote: string;
  /**
   * A session of the loop at a workload node's sizes (targets/sized.ts `atSizes`): `name` is then
   * the session's (`sgemm@M=64,N=512,K=2048`), `benchSize` the node's sizes; this says which
   * target and sizes memory keeps its best kernel under. Absent: the target itself, at its bench size.
   */
  session?: { target: string; size: Size };
}

export interface CudaSources {
  referencePath: string;
  referenceSource: string;
  starterPath?: string;
  starterSource?: string;
  /** Where approval writes a promoted CUDA kernel. */
  promote: string;
}
