import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, type Journaled } from '../loop/index.js';
import { CLI, kloop, smallTarget, tmp } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const workflowText = (loop: string) =>
  `---\nloop: { ${loop} }\ngit: { commit: false }\nverify: { hidden_sizes: 1, sanitizers: false, proof: false }\ntiming: { min_pairs: 2, max_pairs: 2, min_ms: 5, max_reps: 5 }\nagents: { writer: { provider: builtin, search_ms: 200 } }\n---\n`;

describe('a WORKFLOW.md edit under a real kloop run, then kill -9 and --resume', () => {
  it('the edit is journaled when applied; the resumed run continues with the configuration in force at the kill, not what the file says later', async () => {
    const cwd = tmp('kloop-reload-resume-');
    dirs.push(cwd);
    const file = join(cwd, 'WORKFLOW.md');
    writeFileSync(file, workflowText('candidates: 1, rounds: 3, pipeline: 1'));
    const target = smallTarget('sum', '{N: 100000}', cwd);
    const child = spawn('node', [CLI, 'run', '--target', target, '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let buf = '';
    const seen: Journaled[] = [];
    await new Promise<void>((res) => {
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(line) as Journaled;
          seen.push(e);
          if (e.type === 'run.start') runId = e.runId;
          // the edit, made while round 1 runs: two candidates a round from the next round on
          if (e.type === 'round.start' && e.round === 1) writeFileSync(file, workflowText('candidates: 2, rounds: 3, pipeline: 1'));
          if (e.type === 'workflow.reloaded') {
            child.kill('SIGKILL');
            res();
          }
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => res());
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    expect(runId).not.toBe('');
    const before = Journal.read(join(cwd, 'runs', runId, 'journal.jsonl'));
    const reload = before.find((e) => e.type === 'workflow.reloaded');
    expect(reload, seen.map((e) => e.type).join(' ')).toMatchObject({ applied: [{ key: 'loop.candidates', from: '1', to: '2' }], restart: [], options: { candidates: 2 } });
    expect(before.some((e) => e.type === 'run.end')).toBe(false);

    // While the run is down the file goes back to one candidate: the resumed run keeps two, and says why.
    writeFileSync(file, workflowText('candidates: 1, rounds: 3, pipeline: 1'));
    const resumed = kloop(cwd, ['run', '--resume', runId, '--no-tui']);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain(`${file} changed while run ${runId} was stopped: the run continues with the configuration in force when it stopped`);
    const events = Journal.read(join(cwd, 'runs', runId, 'journal.jsonl'));
    const resumeAt = events.findIndex((e) => e.type === 'run.resume');
    const after = events.slice(resumeAt);
    expect(after.filter((e) => e.type === 'workflow.reloaded')).toHaveLength(0);
    const proposed = new Map<number, number>();
    for (const e of after) if (e.type === 'candidate.proposed') proposed.set(e.round, (proposed.get(e.round) ?? 0) + 1);
    expect(proposed.size).toBeGreaterThan(0);
    // the builtin writer may have fewer ideas than slots, never more: a round with 2 shows the in-force setting
    expect(Math.max(...proposed.values())).toBe(2);
    expect(events.at(-1)!.type).toBe('run.end');
  }, 240_000);
});
