export type { Limits, RunResult, RunSpec, Sandbox } from './sandbox.js';
export { describeExit } from './sandbox.js';
export { ProcessSandbox, spawnContained } from './process-sandbox.js';
export { claimUidBlock, LayeredSandbox, layerReport, layersInUse, killUid, type LayeredOptions } from './layered-sandbox.js';
export { LAYERS, LEVELS, layersLine, levelRank, requiredLayers, requirementProblem, type Layer, type LayerReport, type Level } from './layers.js';
export { probeSandbox, type ProbeOptions, type SandboxProbe } from './probe.js';
