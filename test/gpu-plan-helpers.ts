import { parseDescriptor, type AcpDescriptor } from '../devices/index.js';

/** A small workload for plans on a GPU: layernorm and sgemm ship CUDA kernels, jacobi does not (it stays on the CPU). */
export const GPU_SMALL = `name: gpu-small
nodes:
  ln: { target: layernorm, sizes: { R: 8, C: 16 }, rows: R }
  mm: { target: sgemm, sizes: { M: 8, N: 8, K: 16 }, rows: M }
  st: { target: jacobi, sizes: { N: 6, M: 6 }, rows: N }
edges:
  - { from: ln.Y, to: mm.A }
  - { from: mm.C, to: st.U, reshape: true }
`;

/** An H200's ACP descriptor, as HP1 measures one (figures from the README's H200 profile). */
export function gpuDescriptor(id = 'cuda-0123456789ab'): AcpDescriptor {
  return parseDescriptor(
    {
      acp: 1,
      fingerprint: { id, kind: 'cuda', model: 'NVIDIA H200 (sm_90)', cores: 1, flagsHash: '1a2b3c4d', compiler: 'nvcc 13.0' },
      kind: 'cuda',
      model: 'NVIDIA H200 (sm_90)',
      units: { count: 132, name: 'SMs' },
      peaks: { fp32: { one: 462, all: 61000 }, fp64: { one: 231, all: 30500 } },
      memory: {
        levels: [
          { name: 'L2', bytes: 62914560, shared: true, gbs: { one: 62.9, all: 8300 } },
          { name: 'DRAM', bytes: 150_323_855_360, shared: true, gbs: { one: 32.6, all: 4300 } },
        ],
      },
      compilers: [{ name: 'nvcc', version: '13.0' }],
      sandbox: { applied: [], missing: [] },
      kloop: '0.1.0',
      measuredAt: '2026-11-29T23:10:42.118Z',
    },
    'test',
  );
}
