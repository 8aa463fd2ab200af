import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type Journaled } from '../loop/index.js';
import { CLI, kloop, smallTarget, tmp } from './helpers.js';

/** Start `kloop run ARGS --json`; resolves with the run id and the live process once `until` has been seen. */
function startRun(cwd: string, args: string[], until: (e: Journaled) => boolean): Promise<{ runId: string; child: ReturnType<typeof spawn> }> {
  const child = spawn('node', [CLI, 'run', ...args, '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let runId = '';
  let buf = '';
  return new Promise((res) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        const e = JSON.parse(line) as Journaled;
        if (e.type === 'run.start') runId = e.runId;
        if (until(e)) res({ runId, child });
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('exit', () => res({ runId, child }));
  });
}

describe('--resume continues exactly the run that was launched', () => {
  it('its targets and rounds, not the defaults; a live run is refused; a finished run says so and does nothing', async () => {
    const cwd = tmp('kloop-resume-launched-');
    const sum = smallTarget('sum', '{N: 1000000}', cwd);
    const jacobi = smallTarget('jacobi', '{N: 256, M: 256}', cwd);
    // Killed early in its first round (at its first proposal): a kill at the first result could come
    // after both targets' single rounds had ended, and then there was nothing left to resume.
    const { runId, child } = await startRun(cwd, ['--target', sum, '--target', jacobi, '--rounds', '1'], (e) => e.type === 'candidate.proposed');
    expect(runId).not.toBe('');
    // While it runs: a second process may not resume it.
    const refused = kloop(cwd, ['run', '--resume', runId, '--no-tui']);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/the run is still going \(owned by live pid \d+\)/);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(Journal.read(join(cwd, 'runs', runId, 'journal.jsonl')).some((e) => e.type === 'run.end')).toBe(false);

    // Resumed with no flags: the two targets, one round each, as launched (not the seven defaults).
    const resumed = kloop(cwd, ['run', '--resume', runId, '--no-tui']);
    expect(resumed.code, resumed.out).toBe(0);
    const events = Journal.read(join(cwd, 'runs', runId, 'journal.jsonl'));
    const rounds = events.filter((e) => e.type === 'round.start') as (Journaled & { type: 'round.start' })[];
    expect(new Set(rounds.map((r) => r.target))).toEqual(new Set(['sum', 'jacobi']));
    expect(Math.max(...rounds.map((r) => r.round))).toBe(1);
    expect(events.filter((e) => e.type === 'run.resume')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('run.end');
    expect(existsSync(join(cwd, 'runs', runId, 'summary.json'))).toBe(true);

    // Finished: resuming says so, exits 0, and journals nothing.
    const journal = readFileSync(join(cwd, 'runs', runId, 'journal.jsonl'), 'utf8');
    const again = kloop(cwd, ['run', '--resume', runId, '--no-tui', '--minutes', '5']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(new RegExp(`run ${runId} already finished \\(.+\\): nothing to resume`));
    expect(readFileSync(join(cwd, 'runs', runId, 'journal.jsonl'), 'utf8')).toBe(journal);
  }, 300_000);
});
