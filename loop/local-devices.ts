import { kloopVersion } from '../common/index.js';
import { describeDevice, detectCompiler, detectCudaToolkit, isCurrentProfile, listGpus, type DescribeOptions, type DeviceProfile, type Fingerprint, type ListedDevice } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import type { Workflow } from '../workflow/index.js';
import { composeDevice, composeSandbox, openMemory } from './compose.js';

/**
 * This machine's devices as ACP descriptors: the CPU, and the workflow's GPU where one and nvcc
 * are found. Each is built from the profile memory holds for its fingerprint (no measurement: a
 * device not measured yet is listed with why and what measures it). A fleet's worker publishes
 * the same descriptors.
 */
export async function localDevices(o: { workflow: Workflow; cwd: string; cacheDir: string; memoryPath?: string; memory?: MemoryStore }): Promise<ListedDevice[]> {
  const { workflow } = o;
  const plan = composeSandbox(workflow, o.cacheDir);
  const sandbox = { applied: plan.layers.filter((l) => l.ok).map((l) => l.layer), missing: plan.layers.filter((l) => !l.ok).map((l) => l.layer) };
  const compiler = detectCompiler();
  const memory = o.memory ?? openMemory(workflow, o.cwd, o.memoryPath);
  const version = kloopVersion();
  const listed = async (fp: Fingerprint, compilers: { name: string; version: string }[], by: string, extensions?: DescribeOptions['extensions']): Promise<ListedDevice> => {
    const profile = await memory.getProfile(fp.id);
    if (!isCurrentProfile(profile)) return { source: 'local', unmeasured: { id: fp.id, kind: fp.kind, model: fp.model }, why: notMeasured(profile, by) };
    return { source: 'local', descriptor: describeDevice({ profile, fingerprint: fp, compilers, sandbox, kloopVersion: version, extensions }) };
  };

  const cpu = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir: o.cacheDir, kind: 'cpu', compiler }).device;
  const out = [await listed(await cpu.fingerprint(), [{ name: compiler.cc, version: compiler.version }], 'kloop run', { cpu: { march: compiler.nativeArch } })];

  const gpu = listGpus().gpus.find((g) => g.index === workflow.config.cuda.gpu);
  let toolkit;
  try {
    toolkit = gpu && detectCudaToolkit();
  } catch {
    toolkit = undefined; // no nvcc: the GPU is not a device kloop can build for here (kloop doctor says why)
  }
  if (gpu && toolkit) {
    const device = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir: o.cacheDir, kind: 'cuda', compiler }).device;
    out.push(
      await listed(
        await device.fingerprint(),
        [
          { name: 'nvcc', version: toolkit.version },
          { name: compiler.cc, version: compiler.version },
        ],
        'kloop run with device: cuda',
      ),
    );
  }
  return out;
}

/** Why a device has no descriptor yet, and what measures its profile (kloop never measures just to list). */
function notMeasured(p: DeviceProfile | undefined, by: string): string {
  return p ? `no measured profile with memory levels yet (the one from ${p.measuredAt} predates them): the next ${by} measures it` : `no measured profile yet: the first ${by} measures it`;
}
