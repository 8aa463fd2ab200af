import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kloopVersion, UserError } from '../common/index.js';
import { ACP_VERSION, acpJsonSchema, acpSchemaFile, DescriptorError, describeDevice, listDevices, parseDescriptor, type AcpDescriptor } from '../devices/acp/index.js';
import type { DeviceProfile } from '../devices/index.js';
import { composeDevice } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { kloop, tmp } from './helpers.js';

/** A CPU profile as HP1 measures it (figures from a 2-core VM). */
const cpuProfile: DeviceProfile = {
  fingerprint: { id: 'cpu-0123456789ab', kind: 'cpu', model: 'AMD EPYC 7B13', cores: 2, flagsHash: '9f8e7d6c', compiler: 'cc (Debian 12.2.0-14) 12.2.0' },
  measuredAt: '2026-11-29T23:10:42.118Z',
  gflops: { fp32: { one: 61.2, all: 118.9 }, fp64: { one: 30.4, all: 59.6 } },
  bandwidthGBs: { one: 14.1, all: 21.7 },
  levels: [
    { name: 'L1', bytes: 32768, shared: false, gbs: { one: 402.5, all: 781.3 } },
    { name: 'L2', bytes: 524288, shared: false, gbs: { one: 151.2, all: 290.7 } },
    { name: 'L3', bytes: 33554432, shared: true, gbs: { one: 61.8, all: 104.4 } },
    { name: 'DRAM', bytes: 8_321_499_136, shared: true, gbs: { one: 14.1, all: 21.7 } },
  ],
  curve: [
    { bytes: 32768, gbs: 781.3 },
    { bytes: 16777216, gbs: 104.4 },
    { bytes: 134217728, gbs: 21.7 },
  ],
};

/** A GPU profile as the CUDA device's HP1 reports it. */
const gpuProfile: DeviceProfile = {
  fingerprint: { id: 'cuda-ba9876543210', kind: 'cuda', model: 'NVIDIA H200 (sm_90)', cores: 1, flagsHash: '1a2b3c4d', compiler: 'nvcc 12.4' },
  measuredAt: '2026-11-29T23:12:00.000Z',
  gflops: { fp32: { one: 502, all: 66264 }, fp64: { one: 253, all: 33396 } },
  bandwidthGBs: { one: 30.1, all: 3973 },
  levels: [
    { name: 'L2', bytes: 52428800, shared: true, gbs: { one: 70.2, all: 9266 } },
    { name: 'DRAM', bytes: 150_994_944_000, shared: true, gbs: { one: 30.1, all: 3973 } },
  ],
  gpu: { name: 'NVIDIA H200', computeCapability: '9.0', sms: 132, l2Bytes: 52428800, memoryMb: 144000, driver: '550.54 (CUDA 12.4)', runtime: '12.4', nvcc: '12.4' },
};

const sandbox = { applied: ['process', 'namespaces', 'seccomp'], missing: ['uid', 'cgroups'] };
const cpuDescriptor = () => describeDevice({ profile: cpuProfile, compilers: [{ name: 'cc', version: cpuProfile.fingerprint.compiler }], sandbox, kloopVersion: '0.1.0' });

/** A device kloop does not know yet, as a future worker would publish it. */
const npu = {
  acp: 1,
  fingerprint: { id: 'npu-42', kind: 'npu', model: 'Tensor Tile X4', cores: 1, flagsHash: '', compiler: 'tilecc 3.1' },
  kind: 'npu',
  model: 'Tensor Tile X4',
  units: { count: 4, name: 'tiles' },
  peaks: { int8: { one: 25000, all: 100000 }, bf16: { one: 6000, all: 24000 } },
  memory: {
    levels: [
      { name: 'SRAM', bytes: 25165824, shared: false, gbs: { one: 4000, all: 16000 } },
      { name: 'HBM', bytes: 34359738368, shared: true, gbs: { one: 400, all: 1600 } },
    ],
  },
  compilers: [{ name: 'tilecc', version: '3.1.0' }],
  sandbox: { applied: ['process', 'vendor-isolation'], missing: [] },
  link: { gbs: 1.15, rttMs: 0.42, measuredAt: '2026-11-30T00:00:00Z' },
  kloop: '0.3.0',
  measuredAt: '2026-11-30T00:00:00+01:00',
  extensions: { npu: { firmware: '7.2', tiles: [{ id: 0, sram: 6291456 }], sparse: true, notes: null } },
};

/** `mutate` applied to a copy of the CPU descriptor, then parsed from `source`: the error's message. */
function refusal(mutate: (d: Record<string, unknown>) => void, source = 'worker gpu-3'): string {
  const d = structuredClone(cpuDescriptor()) as unknown as Record<string, unknown>;
  mutate(d);
  try {
    parseDescriptor(JSON.stringify(d), source);
  } catch (e) {
    expect(e).toBeInstanceOf(DescriptorError);
    expect(e).toBeInstanceOf(UserError); // the CLI prints it as one line, exit 2
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('the descriptor was accepted');
}

describe('ACP device descriptors', () => {
  it('a descriptor built from a CPU profile validates, from the object and through JSON, with the profile’s figures', () => {
    const d = cpuDescriptor();
    expect(parseDescriptor(JSON.parse(JSON.stringify(d)), 'file d.json')).toEqual(d);
    expect(parseDescriptor(JSON.stringify(d), 'file d.json')).toEqual(d);
    expect(d).toMatchObject({ acp: ACP_VERSION, kind: 'cpu', model: 'AMD EPYC 7B13', units: { count: 2, name: 'cores' }, kloop: '0.1.0', measuredAt: cpuProfile.measuredAt, sandbox });
    expect(d.fingerprint).toEqual(cpuProfile.fingerprint);
    expect(d.peaks).toEqual({ fp32: cpuProfile.gflops.fp32, fp64: cpuProfile.gflops.fp64 });
    // Cache sizes and bandwidth per level come from the profile's levels.
    expect(d.memory.levels).toEqual(cpuProfile.levels);
    expect(d.link).toBeUndefined();
    expect(d.extensions).toBeUndefined();
  });

  it('a GPU profile gives SMs as units and its facts under extensions.cuda', () => {
    const d = describeDevice({ profile: gpuProfile, compilers: [{ name: 'nvcc', version: '12.4' }], sandbox, kloopVersion: kloopVersion() });
    expect(d).toMatchObject({ kind: 'cuda', model: 'NVIDIA H200', units: { count: 132, name: 'SMs' }, kloop: kloopVersion() });
    expect(d.extensions).toEqual({ cuda: { computeCapability: '9.0', memoryMb: 144000, l2Bytes: 52428800, driver: '550.54 (CUDA 12.4)', runtime: '12.4', nvcc: '12.4' } });
  });

  it('a future kind validates: its own units, precisions, sandbox layers, a link and free-form extensions', () => {
    const d: AcpDescriptor = parseDescriptor(JSON.stringify(npu), 'worker npu-1');
    expect(d).toEqual(npu);
    // Without extensions and link too.
    const { extensions: _e, link: _l, ...bare } = npu;
    expect(parseDescriptor(bare, 'worker npu-1').kind).toBe('npu');
  });

  it('malformed descriptors are refused in one line naming the source, the field and what is wrong', () => {
    expect(
      refusal((d) => {
        (d.peaks as { fp32: { all: unknown } }).fp32.all = 'fast';
      }),
    ).toBe('worker gpu-3: acp descriptor: peaks.fp32.all: expected a number, got "fast"');
    expect(refusal((d) => delete d.model, 'file /tmp/d.json')).toBe('file /tmp/d.json: acp descriptor: model: missing (expected a string)');
    expect(
      refusal((d) => {
        (d.memory as { levels: { bytes: unknown }[] }).levels[2].bytes = -1;
      }),
    ).toBe('worker gpu-3: acp descriptor: memory.levels[2].bytes: expected a number >= 0, got -1');
    expect(refusal((d) => (d.units = { count: 2.5, name: 'cores' }))).toBe('worker gpu-3: acp descriptor: units.count: expected an integer, got 2.5');
    expect(refusal((d) => (d.kind = 'CUDA'))).toBe('worker gpu-3: acp descriptor: kind: expected a device kind: a lowercase identifier (a-z, 0-9, -, _), got "CUDA"');
    expect(refusal((d) => (d.measuredAt = 'yesterday'))).toBe('worker gpu-3: acp descriptor: measuredAt: expected an ISO 8601 date and time (2026-01-31T02:00:00Z), got "yesterday"');
    expect(refusal((d) => (d.compilers = 'gcc'))).toBe('worker gpu-3: acp descriptor: compilers: expected an array, got "gcc"');
  });

  it('an unknown key is refused (did you mean), at the top level and inside; extensions take anything JSON', () => {
    expect(refusal((d) => (d.speed = 'fast'))).toMatch(/^worker gpu-3: acp descriptor: speed: unknown key; allowed here: acp, fingerprint, kind, .*, extensions \(anything else goes under extensions\)$/);
    expect(refusal((d) => (d.peeks = {}))).toMatch(/^worker gpu-3: acp descriptor: peeks: unknown key \(did you mean "peaks"\?\); allowed here: /);
    expect(refusal((d) => ((d.units as Record<string, unknown>).vendor = 'x'))).toBe('worker gpu-3: acp descriptor: units.vendor: unknown key; allowed here: count, name');
    expect(parseDescriptor({ ...cpuDescriptor(), extensions: { anything: { nested: [1, 'two', null, { deep: true }] } } }, 'x').extensions).toBeDefined();
  });

  it('a newer major version is refused saying which version this kloop reads; a wrong or missing version is named', () => {
    expect(refusal((d) => (d.acp = 2))).toBe(`worker gpu-3: acp descriptor: acp: version 2 is newer than this kloop reads (version ${ACP_VERSION}); upgrade kloop`);
    expect(refusal((d) => delete d.acp)).toBe('worker gpu-3: acp descriptor: acp: expected 1 (the ACP format version this kloop reads), got nothing');
    expect(refusal((d) => (d.acp = '1'))).toBe('worker gpu-3: acp descriptor: acp: expected 1 (the ACP format version this kloop reads), got "1"');
  });

  it('known kinds state fp32 and fp64 peaks, and the fingerprint’s kind is the descriptor’s', () => {
    expect(refusal((d) => delete (d.peaks as Record<string, unknown>).fp64)).toBe('worker gpu-3: acp descriptor: peaks.fp64: missing: a cpu descriptor states its fp64 peak');
    expect(refusal((d) => ((d.fingerprint as { kind: string }).kind = 'cuda'))).toBe(`worker gpu-3: acp descriptor: fingerprint.kind: expected "cpu" (the descriptor's kind), got "cuda"`);
  });

  it('whatever the input, the message stays one line: not JSON, not an object, odd keys and sources', () => {
    expect(() => parseDescriptor('{"acp": 1,', 'worker a\nb')).toThrow(/^worker a b: acp descriptor: not JSON \(.*\)$/);
    expect(() => parseDescriptor(null, 'worker w')).toThrow('worker w: acp descriptor: expected an object, got null');
    expect(() => parseDescriptor([npu], 'worker w')).toThrow('worker w: acp descriptor: expected an object, got an array');
    expect(refusal((d) => ((d.peaks as Record<string, unknown>)['fp\n32'] = { one: 1, all: 1 }))).toBe(
      'worker gpu-3: acp descriptor: peaks["fp\\n32"]: expected a precision name such as fp32: a lowercase identifier (a-z, 0-9, -, _), got "fp\\n32"',
    );
  });

  it('the committed JSON Schema file is what the code generates (npm run acp:schema rewrites it)', () => {
    const committed = JSON.parse(readFileSync(acpSchemaFile(), 'utf8')) as Record<string, unknown>;
    expect(committed).toEqual(acpJsonSchema());
    expect(committed).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', additionalProperties: false });
  });

  it('the listing is the local devices, then the fleet’s when there is one', async () => {
    const local = { source: 'local', descriptor: cpuDescriptor() };
    expect(await listDevices({ local: async () => [local] })).toEqual([local]);
    const worker = { source: 'worker npu-1', descriptor: parseDescriptor(npu, 'worker npu-1') };
    expect(await listDevices({ local: async () => [local], fleet: async () => [worker] })).toEqual([local, worker]);
  });
});

/** Through the built CLI (dist/): no measurement happens, the profile comes from memory. */
describe('kloop devices', () => {
  it('--json prints the local descriptor built from the stored profile; without one, it says what measures it', async () => {
    const dir = tmp('kloop-devices-');
    try {
      const memory = join(dir, '.kloop', 'memory.json');
      const workflow = loadWorkflow(DEFAULT_WORKFLOW);
      const fp = await composeDevice({ workflow, sandbox: new ProcessSandbox(), cacheDir: join(dir, 'cache'), kind: 'cpu' }).device.fingerprint();

      const none = kloop(dir, ['devices', '--memory', memory]);
      expect(none.code).toBe(0);
      expect(none.out).toContain(`(local, ${fp.id}): no measured profile yet: the first kloop run measures it`);
      expect(kloop(dir, ['devices', '--json', '--memory', memory]).out.trim()).toBe('[]');

      await FileStore.open(memory).putProfile({ ...cpuProfile, fingerprint: fp });
      const json = kloop(dir, ['devices', '--json', '--memory', memory]);
      expect(json.code).toBe(0);
      const list = JSON.parse(json.out) as unknown[];
      expect(list).toHaveLength(1);
      const d = parseDescriptor(list[0], 'kloop devices --json');
      expect(d).toMatchObject({ kind: 'cpu', fingerprint: fp, units: { count: fp.cores, name: 'cores' }, kloop: kloopVersion(), measuredAt: cpuProfile.measuredAt });
      expect(d.memory.levels).toEqual(cpuProfile.levels);
      expect(d.sandbox.applied).toContain('process');
      expect(d.compilers[0].version).toBe(fp.compiler);

      const human = kloop(dir, ['devices', '--memory', memory]);
      expect(human.code).toBe(0);
      expect(human.out).toContain(`cpu   ${fp.model} (local, ${fp.id})`);
      expect(human.out).toMatch(/units +\d+ cores/);
      expect(human.out).toContain('fp32 119 GFLOP/s (61.2 per core) · fp64 59.6 GFLOP/s (30.4 per core)');
      expect(human.out).toContain('L1 32 KiB 781 GB/s · L2 512 KiB 291 GB/s · L3 32 MiB 104 GB/s · DRAM 21.7 GB/s');
      expect(human.out).toMatch(/sandbox +.*process.* applied to candidates/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
