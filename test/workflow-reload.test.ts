import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuiltinAnalyzer, BuiltinProfiler, BuiltinWriter } from '../agents/index.js';
import { createRun, Journal, type Journaled, type KloopEvent, type RunOptionsSnapshot } from '../loop/index.js';
import { LiveConfig, type LiveSettings } from '../loop/live-config.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { emptyDashboard, reduce } from '../tui/dashboard-state.js';
import { Dashboard } from '../tui/dashboard.js';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { loadWorkflow, WorkflowWatcher, type Workflow } from '../workflow/index.js';
import { smallTarget, tmp } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A WORKFLOW.md for fast runs (no proof, no sanitizers, one hidden size, short timings), with `loop` settings and extra YAML. */
const workflowText = (loop: string, extra = '') =>
  `---\nloop: { ${loop} }\ngit: { commit: false }\nverify: { hidden_sizes: 1, sanitizers: false, proof: false }\ntiming: { min_pairs: 2, max_pairs: 2, min_ms: 5, max_reps: 5 }\nagents: { writer: { provider: builtin, search_ms: 200 } }\n${extra}---\n`;

const builtinAgents = (w: Workflow) => ({
  profiler: new BuiltinProfiler(),
  analyzer: new BuiltinAnalyzer(),
  writer: new BuiltinWriter({ depth: 1, beam: 2 }),
  maxTurns: 1,
  describe: { writer: `builtin depth ${w.config.agents.writer.search_depth}` },
});

describe('WORKFLOW.md reload: what an edit does to the configuration in force', () => {
  const dir = tmp('kloop-reload-unit-');
  dirs.push(dir);
  const file = join(dir, 'WORKFLOW.md');
  writeFileSync(file, workflowText('candidates: 4, rounds: 3, minutes: 10'));
  const w = loadWorkflow(file);
  const options: RunOptionsSnapshot = { targets: ['sum'], workflowFile: file, rounds: 3, minutes: 10, noImprovementRounds: 0, candidates: 4, flags: { minutes: true } };
  const live: LiveSettings = { options, timing: { minPairs: 2, maxPairs: 2, minMs: 5, maxReps: 5, minSpeedup: 1.02 }, agents: builtinAgents(w) };
  const config = new LiveConfig(new WorkflowWatcher(file, w.hash), w, builtinAgents);

  it('an untouched file is no reload; a valid edit gives the diff of effective settings, restart-only sections reported and kept', () => {
    expect(config.poll(live)).toBeUndefined();
    writeFileSync(file, workflowText('candidates: 2, rounds: 5, minutes: 20', 'accept: { min_speedup: 1.2 }\ndevice: cuda\nmemory: { path: elsewhere.json }\n') + '## writer\nWrite {{ target.name }}.\n');
    const r = config.poll(live);
    expect(r?.kind).toBe('applied');
    if (r?.kind !== 'applied') return;
    expect(r.applied).toEqual(
      expect.arrayContaining([
        { key: 'loop.candidates', from: '4', to: '2' },
        { key: 'loop.rounds', from: '3', to: '5' },
        { key: 'accept.min_speedup', from: '1.02', to: '1.2' },
        { key: '## writer', from: '(unset)', to: '24 chars' },
      ]),
    );
    expect(r.restart.map((c) => c.key).sort()).toEqual(['device', 'memory.path']);
    // --minutes at launch set the budget; the edit is newer, so it wins, and says so
    expect(r.overrides).toEqual([{ key: 'loop.minutes', flag: '--minutes' }]);
    expect(r.applied).toContainEqual({ key: 'loop.minutes', from: '10', to: '20' });
    expect(r.live.options).toMatchObject({ candidates: 2, rounds: 5, minutes: 20, flags: { minutes: false, rounds: false } });
    expect(r.live.timing.minSpeedup).toBe(1.2);
    // agents are built again (a prompt changed); the sections that cannot change keep their value
    expect(r.live.agents).not.toBe(live.agents);
    expect(r.workflow.config.device).toBe('cpu');
    expect(r.workflow.config.memory.path).toBe('.kloop/memory.json');
    expect(r.workflow.prompts.writer).toBe('Write {{ target.name }}.');
    expect(config.poll(live)).toBeUndefined();
  });

  it('an invalid edit keeps the last good configuration and says what is wrong in one line naming the file and key, once', () => {
    writeFileSync(file, workflowText('candidatez: 3'));
    const r = config.poll(live);
    expect(r).toMatchObject({ kind: 'invalid', file });
    if (r?.kind !== 'invalid') return;
    expect(r.message).toMatch(new RegExp(`^${file}: loop\\.candidatez: unknown key \\(did you mean "candidates"\\?\\)`));
    expect(r.message).not.toContain('\n');
    expect(config.poll(live)).toBeUndefined();
    expect(config.snapshot.config.loop.candidates).toBe(2);
    writeFileSync(file, workflowText('candidates: 3') + '## writer\nNo {{ such.variable }}\n');
    const t = config.poll(live);
    expect(t?.kind === 'invalid' && t.message).toMatch(/## writer: line 1: unknown variable "such"/);
  });

  it('the dashboard shows the last reload, and an invalid edit as what is wrong', () => {
    const applied: KloopEvent = {
      type: 'workflow.reloaded',
      file,
      hash: 'h',
      applied: [{ key: 'loop.candidates', from: '4', to: '2' }],
      restart: [{ key: 'device', from: '"cpu"', to: '"cuda"' }],
      overrides: [],
      workflow: config.snapshot,
      options,
    };
    let s = reduce(emptyDashboard(), applied);
    expect(s.workflow).toEqual({ ok: true, line: `workflow reloaded from ${file}: applied to work not yet started: loop.candidates 4 → 2; needs a new run (not applied): device "cpu" → "cuda"` });
    s = reduce(s, { type: 'workflow.invalid', file, hash: 'i', message: `${file}: loop.candidatez: unknown key` });
    expect(s.workflow).toEqual({ ok: false, line: `edit not applied (last good configuration kept): ${file}: loop.candidatez: unknown key` });
    expect(s.events.at(-1)).toBe(`workflow edit not applied, last good configuration kept: ${file}: loop.candidatez: unknown key`);
    // as a person sees it
    const frame = (render(createElement(Dashboard, { state: s, now: s.now })).lastFrame() ?? '').replace(/\x1b\[[0-9;]*m/g, '');
    // an edit that does not load is shown whole (wrapped), so the file and the key are both on screen
    expect(frame.replace(/\s+/g, ' ')).toContain(`workflow: edit not applied (last good configuration kept): ${file}: loop.candidatez: unknown key`);
  });
});

describe('WORKFLOW.md edited under a live run', () => {
  it('applies a valid edit at the next round boundary to work not yet started, journals the diff, and keeps the last good configuration over an invalid edit', async () => {
    const dir = tmp('kloop-reload-run-');
    dirs.push(dir);
    const file = join(dir, 'WORKFLOW.md');
    writeFileSync(file, workflowText('candidates: 1, rounds: 4, pipeline: 1'));
    const target = smallTarget('sum', '{N: 100000}', dir);
    const events: KloopEvent[] = [];
    let ends = 0;
    const runner = await createRun({
      workflow: loadWorkflow(file),
      targets: [target],
      minutes: 30, // as --minutes 30: the edit below sets loop.minutes, and wins
      cwd: dir,
      sandbox: new ProcessSandbox(),
      onEvent: (e) => {
        events.push(e);
        if (e.type !== 'round.end') return;
        ends++;
        // after round 1: two candidates a round, two rounds in all, a stricter bar, and a device change (needs a new run)
        if (ends === 1) writeFileSync(file, workflowText('candidates: 2, rounds: 2, pipeline: 1, minutes: 20', 'accept: { min_speedup: 5 }\ndevice: cuda\n'));
        // after round 2: an edit that does not load
        if (ends === 2) writeFileSync(file, workflowText('candidates: two, rounds: 1'));
      },
    });
    const summary = await runner.run();
    const journal = Journal.read(join(summary.dir, 'journal.jsonl'));
    const idx = (p: (e: Journaled) => boolean) => journal.findIndex(p);
    const reloaded = journal.filter((e): e is Journaled & { type: 'workflow.reloaded' } => e.type === 'workflow.reloaded');
    expect(reloaded).toHaveLength(1);
    const [r] = reloaded;
    expect(r.applied).toEqual(
      expect.arrayContaining([
        { key: 'loop.candidates', from: '1', to: '2' },
        { key: 'loop.rounds', from: '4', to: '2' },
        { key: 'accept.min_speedup', from: '1.02', to: '5' },
      ]),
    );
    expect(r.restart).toEqual([{ key: 'device', from: '"cpu"', to: '"cuda"' }]);
    expect(r.options).toMatchObject({ candidates: 2, rounds: 2, minutes: 20 });
    expect(r.overrides).toEqual([{ key: 'loop.minutes', flag: '--minutes' }]);
    // picked up between round 1's end and round 2's start
    const round2 = idx((e) => e.type === 'round.start' && e.round === 2);
    expect(idx((e) => e.type === 'round.end' && e.round === 1)).toBeLessThan(idx((e) => e.type === 'workflow.reloaded'));
    expect(idx((e) => e.type === 'workflow.reloaded')).toBeLessThan(round2);
    // round 1 ran with one candidate, round 2 with two; the run stopped after 2 rounds (the edited stop condition)
    const proposed = (round: number) => journal.filter((e) => e.type === 'candidate.proposed' && e.round === round).length;
    expect(proposed(1)).toBe(1);
    expect(proposed(2)).toBeLessThanOrEqual(2);
    expect(summary.perTarget[0].rounds).toBe(2);
    expect(summary.perTarget[0].stopReason).toBe('user stop condition: 2 rounds done');
    // round 2's candidates were judged against the edited bar (5x), round 1's against the first (1.02x)
    const results = journal.filter((e): e is Journaled & { type: 'candidate.result' } => e.type === 'candidate.result').map((e) => e.result);
    const timed = results.filter((x) => x.ciLow !== undefined && x.status !== 'invalid');
    expect(timed.length).toBeGreaterThan(0);
    for (const x of timed) {
      const bar = x.round === 1 ? 1.02 : 5;
      if (x.status === 'keep') expect(x.ciLow).toBeGreaterThan(bar);
      else if (!x.selection && !/was faster still/.test(x.reason ?? '')) expect(x.reason).toContain(`≤ ${bar}`);
    }
    // the invalid edit: one line naming the file and key; the configuration in force stays (rounds: 2, not 1)
    const invalid = journal.filter((e) => e.type === 'workflow.invalid');
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ file, message: expect.stringMatching(new RegExp(`^${file}: loop\\.candidates: `)) });
    expect(events.some((e) => e.type === 'workflow.invalid')).toBe(true);
  }, 120_000);
});
