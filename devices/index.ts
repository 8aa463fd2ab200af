export type { BuildResult, Device, DeviceProfile, Fingerprint, TimedRun } from './device.js';
export { CpuDevice, type CpuDeviceOptions } from './cpu/cpu-device.js';
export { detectCompiler, type Compiler } from './cpu/compiler.js';
export { EXIT_GUARD, EXIT_USAGE, generateHarness, prelude } from './cpu/harness.js';
export { roofline, type Roofline } from './roofline.js';
