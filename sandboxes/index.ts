export type { Limits, RunResult, RunSpec, Sandbox } from './sandbox.js';
export { describeExit } from './sandbox.js';
export { ProcessSandbox } from './process-sandbox.js';
