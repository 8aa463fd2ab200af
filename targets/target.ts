import type { Expr } from './expr.js';

export type Role = 'in' | 'out' | 'inout';
export type Size = Record<string, number>;

export interface SizeParam {
  kind: 'size';
  name: string;
}

export interface ArrayParam {
  kind: 'array';
  name: string;
  role: Role;
  shape: Expr[];
  shapeText: string[];
}

export type Param = SizeParam | ArrayParam;

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
  arrays: ArrayParam[];
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
}

export interface CudaSources {
  referencePath: string;
  referenceSource: string;
  starterPath?: string;
  starterSource?: string;
  /** Where approval writes a promoted CUDA kernel. */
  promote: string;
}
