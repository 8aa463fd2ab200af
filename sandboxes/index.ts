export type { Limits, RunResult, RunSpec, Sandbox } from './sandbox.js';
export { describeExit } from './sandbox.js';
export { ProcessSandbox, spawnContained } from './process-sandbox.js';
export { claimUidBlock, LayeredSandbox, killUid, type LayeredOptions } from './layered-sandbox.js';
export { LEVELS, levelRank, probeSandbox, type LayerReport, type Level, type SandboxProbe } from './probe.js';
