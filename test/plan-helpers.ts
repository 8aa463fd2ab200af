import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCompiler, parseDescriptor, type AcpDescriptor } from '../devices/index.js';
import { PlanExecutor, type CepDevice, type NodeKernel } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { loadWorkload, type Workload } from '../workloads/index.js';
import { composeDevice } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';

/** A 2-core CPU's ACP descriptor, as HP1 measures one (figures from a 2-core VM). */
export function cpuDescriptor(id = 'cpu-0123456789ab', cores = 2): AcpDescriptor {
  return parseDescriptor(
    {
      acp: 1,
      fingerprint: { id, kind: 'cpu', model: 'AMD EPYC 7B13', cores, flagsHash: '9f8e7d6c', compiler: 'cc 12.2.0' },
      kind: 'cpu',
      model: 'AMD EPYC 7B13',
      units: { count: cores, name: 'cores' },
      peaks: { fp32: { one: 61.2, all: 61.2 * cores }, fp64: { one: 30.4, all: 30.4 * cores } },
      memory: {
        levels: [
          { name: 'L1', bytes: 32768, shared: false, gbs: { one: 402.5, all: 781.3 } },
          { name: 'DRAM', bytes: 8_321_499_136, shared: true, gbs: { one: 14.1, all: 21.7 } },
        ],
      },
      compilers: [{ name: 'cc', version: '12.2.0' }],
      sandbox: { applied: [], missing: [] },
      kloop: '0.1.0',
      measuredAt: '2026-11-29T23:10:42.118Z',
    },
    'test',
  );
}

export const whole = (d: AcpDescriptor): CepDevice[] => [{ name: 'cpu', acp: d.fingerprint.id, kind: 'cpu' }];
export const groups = (d: AcpDescriptor): CepDevice[] => [
  { name: 'cpu-g0', acp: d.fingerprint.id, kind: 'cpu', cores: [0] },
  { name: 'cpu-g1', acp: d.fingerprint.id, kind: 'cpu', cores: [1] },
];

export function executor(dir = tmp()): PlanExecutor {
  return new PlanExecutor({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(dir, 'cache'), threads: 2, timeoutMs: 60_000 });
}

/** Every target's reference (no memory). */
export function references(w: Workload): Map<string, NodeKernel> {
  return new Map(w.nodes.map((n) => [n.target.name, { source: n.target.referenceSource, flags: [], origin: 'reference', verdict: 'reference', parallel: false }]));
}

/** A small workload with one node of each kind the shipped ones have: a row-split chain, a halo, a reshape and a node that does not split. */
export const SMALL = `name: small
nodes:
  ln: { target: layernorm, sizes: { R: 12, C: 16 }, rows: R }
  mm: { target: sgemm, sizes: { M: 12, N: 10, K: 16 }, rows: M }
  st: { target: jacobi, sizes: { N: 10, M: 8 }, rows: N }
  sm: { target: softmax, sizes: { R: 10, C: 8 }, rows: R }
  tot: { target: sum, sizes: { N: 80 } }
edges:
  - { from: ln.Y, to: mm.A }
  - { from: mm.C, to: st.U, reshape: true }
  - { from: st.V, to: sm.X }
  - { from: sm.Y, to: tot.X, reshape: true }
outputs: [sm.Y, tot.S]
`;

export function smallWorkload(yaml = SMALL): Workload {
  const dir = join(tmp(), 'small');
  mkdirSync(dir);
  writeFileSync(join(dir, 'workload.yaml'), yaml);
  return loadWorkload(dir);
}

/**
 * A stored profile for this CPU's fingerprint in the memory file, as kloop run leaves one: a CLI
 * under test then measures nothing but the workloads' nodes.
 */
export async function storeCpuProfile(memory: string, cacheDir: string): Promise<void> {
  const fp = await composeDevice({ workflow: loadWorkflow(DEFAULT_WORKFLOW), sandbox: new ProcessSandbox(), cacheDir, kind: 'cpu' }).device.fingerprint();
  await FileStore.open(memory).putProfile({
    fingerprint: fp,
    measuredAt: '2026-11-29T23:10:42.118Z',
    gflops: { fp32: { one: 61.2, all: 118.9 }, fp64: { one: 30.4, all: 59.6 } },
    bandwidthGBs: { one: 14.1, all: 21.7 },
    levels: [
      { name: 'L1', bytes: 32768, shared: false, gbs: { one: 402.5, all: 781.3 } },
      { name: 'DRAM', bytes: 8_321_499_136, shared: true, gbs: { one: 14.1, all: 21.7 } },
    ],
    curve: [
      { bytes: 32768, gbs: 781.3 },
      { bytes: 134217728, gbs: 21.7 },
    ],
  });
}
