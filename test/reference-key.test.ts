import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceKey } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { loadTarget } from '../targets/index.js';
import { smallTarget, tmp } from './helpers.js';

describe("memory keeps a reference's time per bench size", () => {
  it('a target given another bench size has no remembered reference time (it is timed again, not shown with the old one)', async () => {
    const big = loadTarget(smallTarget('sum', '{N: 2000000}', tmp()));
    const small = loadTarget(smallTarget('sum', '{N: 1000}', tmp()));
    expect(referenceKey(big)).toBe('sum@N=2000000');
    const store = FileStore.open(join(tmp(), 'memory.json'));
    await store.setReferenceNs(referenceKey(big), 'fp', 5e6);
    expect(await store.getReferenceNs(referenceKey(big), 'fp')).toBe(5e6);
    expect(await store.getReferenceNs(referenceKey(small), 'fp')).toBeUndefined();
  });
});
