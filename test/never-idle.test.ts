import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summaryTable } from '../cli/summary-table.js';
import { BuiltinAnalyzer, BuiltinProfiler, type WriteContext, type Writer } from '../agents/index.js';
import { composeVerifier, Runner, type KloopEvent, type RunnerDeps } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { loadTarget } from '../targets/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, smallTarget, tmp } from './helpers.js';

type Ev<T extends KloopEvent['type']> = Extract<KloopEvent, { type: T }>;

/** A writer that never has anything new: it records what each round asked of it. */
class DryWriter implements Writer {
  readonly name = 'dry';
  readonly asked: Pick<WriteContext, 'widen' | 'archive' | 'familyWeights'>[] = [];
  async sessions(ctx: WriteContext) {
    this.asked.push({ widen: ctx.widen, archive: ctx.archive, familyWeights: ctx.familyWeights });
    return [];
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A short real run on the CPU (small bench sizes, the dry writer). */
async function run(targets: string[], options: { rounds: number; minutes?: number }) {
  const dir = tmp('kloop-idle-');
  dirs.push(dir);
  writeFileSync(join(dir, 'WORKFLOW.md'), '---\n{}\n---\n'); // the defaults
  const w = loadWorkflow(join(dir, 'WORKFLOW.md'));
  const device = cpuDevice(dir);
  const writer = new DryWriter();
  const events: KloopEvent[] = [];
  const deps: RunnerDeps = {
    runsDir: join(dir, 'runs'),
    targets: targets.map((t) => loadTarget(t)),
    device,
    verifier: composeVerifier(w, device),
    memory: FileStore.open(join(dir, 'memory.json')),
    profiler: new BuiltinProfiler(),
    analyzer: new BuiltinAnalyzer(),
    writer,
    cores: 2,
    timing: { minPairs: 3, maxPairs: 3, minMs: 20, maxReps: 20, minSpeedup: 1.02 },
    options: { targets, workflowFile: 'W', rounds: options.rounds, minutes: options.minutes, noImprovementRounds: w.config.loop.no_improvement_rounds, candidates: 2 },
    onEvent: (e) => events.push(e),
  };
  const summary = await new Runner(deps).run();
  const of = <T extends KloopEvent['type']>(type: T) => events.filter((e): e is Ev<T> => e.type === type);
  return { summary, writer, of };
}

describe('never idle', () => {
  it('widens a search that has nothing new, and stops the target only once widening is exhausted, saying so', async () => {
    const dir = tmp('kloop-idle-t-');
    dirs.push(dir);
    const { summary, writer, of } = await run([smallTarget('sum', '{N: 200000}', dir)], { rounds: 0, minutes: 2 });
    // no stop for "no improvement" or "no new ideas": each empty round widens the next, up to 4 times
    expect(writer.asked.map((a) => a.widen)).toEqual([0, 1, 2, 3, 4]);
    expect(writer.asked.slice(1).every((a) => Array.isArray(a.archive))).toBe(true);
    const decisions = of('policy.decision');
    expect(decisions.map((d) => [d.n, d.target, d.round, d.widen])).toEqual([
      [1, 'sum', 1, 0],
      [2, 'sum', 2, 1],
      [3, 'sum', 3, 2],
      [4, 'sum', 4, 3],
      [5, 'sum', 5, 4],
    ]);
    expect(decisions[0].why).toMatch(/^not tried yet/);
    expect(decisions[1].why).toMatch(/^1 round so far: every target gets 2 before the bandit may pass it over/);
    expect(decisions[2].why).toMatch(/^highest expected gain per second/);
    expect(decisions[1].arms[0]).toMatchObject({ target: 'sum', rounds: 1, share: 1, fits: true });
    const [stopped] = of('target.stopped');
    expect(stopped.reason).toMatch(/^search exhausted after widening \(4 times: deeper chains, a wider beam, restarts from archived variants\)$/);
    expect(summary.reason).toBe('all targets stopped');
    expect(summary.perTarget[0].stopReason).toBe(stopped.reason);
    expect(summaryTable(summary)).toMatch(/why each target stopped:\n {2}sum +search exhausted after widening/);
  }, 60_000);

  it("a user's stop condition is respected and named; PO1 gives each target its first round", async () => {
    const dir = tmp('kloop-idle-u-');
    dirs.push(dir);
    const targets = [smallTarget('sum', '{N: 200000}', dir), smallTarget('transpose', '{R: 256, C: 256}', dir)];
    const { summary, of } = await run(targets, { rounds: 2 });
    const decisions = of('policy.decision');
    expect(decisions.slice(0, 2).map((d) => d.target)).toEqual(['sum', 'transpose']);
    expect(decisions).toHaveLength(4);
    expect(summary.perTarget.map((t) => [t.target, t.rounds, t.stopReason])).toEqual([
      ['sum', 2, 'user stop condition: 2 rounds done'],
      ['transpose', 2, 'user stop condition: 2 rounds done'],
    ]);
  }, 60_000);
});
