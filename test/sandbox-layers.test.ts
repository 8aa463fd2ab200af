import { describe, expect, it } from 'vitest';
import { layerReport, layersInUse, layersLine, requiredLayers, requirementProblem, type SandboxProbe } from '../sandboxes/index.js';
import { workflowSchema } from '../workflow/index.js';

/** What an ordinary user gets here: no uid layer (needs root), no writable cgroups; the rest works. */
const nonRoot: SandboxProbe = {
  root: false,
  ms: 3,
  available: ['process', 'namespaces', 'seccomp'],
  seccomp: { bpf: '/x/seccomp.bpf', tool: '/x/kloop-seccomp' },
  layers: [
    { layer: 'process', ok: true, detail: 'rlimits' },
    { layer: 'uid', ok: false, detail: 'kloop is not running as root; fix: run kloop as root', fix: 'run kloop as root' },
    { layer: 'namespaces', ok: true, detail: 'bubblewrap' },
    { layer: 'seccomp', ok: true, detail: 'filter' },
    { layer: 'cgroups', ok: false, detail: 'no writable controllers; fix: systemd-run --user --scope -p Delegate=yes kloop run', fix: 'systemd-run' },
  ],
};

describe('sandbox layers are a set, not a prefix', () => {
  it('uses every layer that works, past one that does not (uid)', () => {
    expect(layersInUse(nonRoot)).toEqual(['process', 'namespaces', 'seccomp']);
    expect(layersLine(layerReport(nonRoot, layersInUse(nonRoot)))).toBe('process + namespaces + seccomp applied to candidates; missing: uid, cgroups');
  });

  it('caps with sandbox.level and picks with only, and says a capped layer is left out', () => {
    expect(layersInUse(nonRoot, { upTo: 'namespaces' })).toEqual(['process', 'namespaces']);
    expect(layersInUse(nonRoot, { only: ['process', 'seccomp'] })).toEqual(['process', 'seccomp']);
    const seccomp = layerReport(nonRoot, ['process', 'namespaces']).find((l) => l.layer === 'seccomp')!;
    expect(seccomp.ok).toBe(false);
    expect(seccomp.detail).toBe('works here but left out by sandbox.level; fix: remove sandbox.level from WORKFLOW.md');
  });

  it('require: names layers; the old min_level means that layer and those before it that can apply', () => {
    expect(requiredLayers({ require: ['seccomp', 'namespaces'] }, false)).toEqual(['namespaces', 'seccomp']);
    expect(requiredLayers({ min_level: 'seccomp' }, false)).toEqual(['namespaces', 'seccomp']);
    expect(requiredLayers({ min_level: 'seccomp' }, true)).toEqual(['uid', 'namespaces', 'seccomp']);
    expect(requiredLayers({ min_level: 'process' }, false)).toEqual([]);
    expect(requiredLayers({}, true)).toEqual([]);
  });

  it('a run that lacks a required layer gets one line: the layer, why, and the fix', () => {
    const report = layerReport(nonRoot, layersInUse(nonRoot));
    expect(requirementProblem(report, ['namespaces', 'seccomp'], 'WORKFLOW.md: sandbox.require')).toBeUndefined();
    const line = requirementProblem(report, ['namespaces', 'cgroups'], 'WORKFLOW.md: sandbox.require')!;
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toBe('WORKFLOW.md: sandbox.require requires the sandbox layer cgroups, missing here: no writable controllers; fix: systemd-run --user --scope -p Delegate=yes kloop run');
  });

  it('WORKFLOW.md accepts sandbox.require, and still accepts the old min_level without error', () => {
    expect(workflowSchema.parse({ sandbox: { require: ['namespaces', 'seccomp'] } }).sandbox.require).toEqual(['namespaces', 'seccomp']);
    const old = workflowSchema.parse({ sandbox: { min_level: 'seccomp' } }).sandbox;
    expect([old.min_level, old.require]).toEqual(['seccomp', []]);
    expect(() => workflowSchema.parse({ sandbox: { require: ['namespace'] } })).toThrow();
  });
});
