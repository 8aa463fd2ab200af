import { describe, expect, it } from 'vitest';
import { BuiltinWriter } from '../agents/builtin/index.js';
import { startsRejected } from '../agents/builtin/rejected.js';
import type { WriteContext } from '../agents/index.js';
import { proposalOutcomes } from '../loop/runner.js';
import type { Insight } from '../memory/index.js';
import { resolveTarget } from '../targets/index.js';
import { writeContext } from './helpers.js';

const sgemm = resolveTarget('sgemm');
const context = (insights: Insight[]): WriteContext => writeContext(sgemm, { insights });

const insight = (kinds: string[], outcome: Insight['outcome']): Insight => ({ target: 'sgemm', fingerprint: 'fp', runId: 'r', round: 1, candidateId: `c-${kinds.join('-')}`, kinds, outcome, text: '', at: '' });

describe('a move the verifier rejected on a target is not proposed again there', () => {
  it('no proposal starts with a rejected chain; the writer still fills its slots', async () => {
    const writer = new BuiltinWriter({ depth: 2, beam: 6, searchMs: 1500 });
    const before = await writer.write(context([]));
    expect(before.length).toBe(4);
    const rejected = before.slice(0, 2).map((d) => d.kinds);
    const after = await writer.write(context([...rejected.map((k) => insight(k, 'invalid')), insight(['restrict'], 'discard')]));
    expect(after.length).toBe(4);
    for (const d of after) expect(startsRejected(d.kinds, rejected), d.description).toBe(false);
  }, 60_000);

  it('the run reports the share of proposals the verifier rejected, apart from build failures', () => {
    const rows = [
      { verdict: 'proved' },
      { verdict: 'tested' },
      { verdict: 'rejected (tests)' },
      { verdict: 'rejected (build)' },
      { verdict: 'rejected (no code)' },
      { verdict: 'rejected (output-check)' },
      { verdict: 'tested' },
      { verdict: 'tested' },
    ];
    expect(proposalOutcomes(rows)).toEqual({ total: 8, rejectedByVerifier: 2, buildFailures: 1, rejectedShare: 0.25 });
    expect(proposalOutcomes([])).toEqual({ total: 0, rejectedByVerifier: 0, buildFailures: 0, rejectedShare: 0 });
  });
});
