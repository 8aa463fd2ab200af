import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuiltinAnalyzer, BuiltinProfiler, BuiltinWriter, type Writer } from '../agents/index.js';
import type { Device } from '../devices/index.js';
import { composeVerifier, Runner, type KloopEvent, type RunnerDeps } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { loadTarget } from '../targets/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, smallTarget, tmp } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Span = { what: string; start: number; end: number };

/** A device and writer that record when each build, check, search and timed run ran. */
function recorded<T extends object>(inner: T, spans: Span[], methods: Record<string, string>): T {
  return new Proxy(inner, {
    get(t, key, recv) {
      const v = Reflect.get(t, key, recv);
      const what = typeof key === 'string' ? methods[key] : undefined;
      if (!what || typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        let start = performance.now();
        // A search steps aside (ctx.pause) while a timed run waits: its spans are the slices between pauses.
        const ctx = args[0] as { pause?: () => Promise<void> } | undefined;
        const pause = ctx?.pause;
        if (pause && ctx)
          args[0] = {
            ...ctx,
            pause: async () => {
              spans.push({ what, start, end: performance.now() });
              await pause();
              start = performance.now();
            },
          };
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        } finally {
          spans.push({ what, start, end: performance.now() });
        }
      };
    },
  });
}

async function run(pipeline: number) {
  const dir = tmp('kloop-pipe-');
  dirs.push(dir);
  writeFileSync(join(dir, 'WORKFLOW.md'), '---\n{}\n---\n');
  const w = loadWorkflow(join(dir, 'WORKFLOW.md'));
  const spans: Span[] = [];
  const device = recorded<Device>(cpuDevice(dir), spans, { build: 'build', check: 'check', buildSanitized: 'build', buildProof: 'build', buildOracle: 'build', runTool: 'check', preprocess: 'build', time: 'time' });
  const writer = recorded<Writer>(new BuiltinWriter({ depth: 2, beam: 4, searchMs: 400 }), spans, { sessions: 'search' });
  const events: KloopEvent[] = [];
  const targets = [smallTarget('softmax', '{R: 256, C: 1024}', dir), smallTarget('transpose', '{R: 256, C: 256}', dir)];
  const deps: RunnerDeps = {
    runsDir: join(dir, 'runs'),
    targets: targets.map((t) => loadTarget(t)),
    device,
    verifier: composeVerifier(w, device),
    memory: FileStore.open(join(dir, 'memory')),
    profiler: new BuiltinProfiler(),
    analyzer: new BuiltinAnalyzer(),
    writer,
    cores: 2,
    timing: { minPairs: 3, maxPairs: 3, minMs: 20, maxReps: 20, minSpeedup: 1.02 },
    options: { targets, workflowFile: 'W', rounds: 2, noImprovementRounds: 0, candidates: 2, pipeline },
    onEvent: (e) => events.push(e),
  };
  const summary = await new Runner(deps).run();
  return { summary, spans, events };
}

/** Do two rounds of different targets overlap in the journal? */
function overlapping(events: KloopEvent[]): boolean {
  const open = new Set<string>();
  for (const e of events) {
    if (e.type === 'round.start') {
      if (open.size) return true;
      open.add(e.target);
    }
    if (e.type === 'round.end') open.delete(e.target);
  }
  return false;
}

describe('rounds of different targets overlap, and nothing runs during a measurement', () => {
  it('with loop.pipeline 2, a round starts while another is in flight; no build, check or search overlaps a timed run', async () => {
    const { summary, spans, events } = await run(2);
    expect(summary.perTarget.map((t) => t.rounds)).toEqual([2, 2]);
    expect(overlapping(events)).toBe(true);
    const timed = spans.filter((s) => s.what === 'time');
    const other = spans.filter((s) => s.what !== 'time');
    expect(timed.length).toBeGreaterThan(0);
    expect(other.some((s) => s.what === 'search')).toBe(true);
    for (const t of timed) for (const o of other) expect(o.end <= t.start || o.start >= t.end, `${o.what} ran during a timed run`).toBe(true);
  }, 240_000);

  it('with loop.pipeline 1, rounds run one after another', async () => {
    const { summary, events } = await run(1);
    expect(summary.perTarget.map((t) => t.rounds)).toEqual([2, 2]);
    expect(overlapping(events)).toBe(false);
  }, 240_000);
});
