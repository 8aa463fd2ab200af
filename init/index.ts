export { initTarget, recheckTarget, type InitOptions, type InitResult } from './init-target.js';
export { inferTarget, type Inferred, type InferredArg } from './infer.js';
export { targetYaml, todosOf, type Todo } from './target-yaml.js';
export { traceKernel, InterpError, type Trace } from './interp.js';
export { fitPolynomial, type Fit } from './fit.js';
export { Poly, polyOf } from './poly.js';
