import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import { UserError } from '../common/index.js';
import type { Journaled } from '../loop/index.js';
import { LiveDashboard, type Subscribe } from '../tui/live.js';
import { formatEvent } from '../tui/event-line.js';

/** Follow a journal: every complete line once, then new ones as they are appended. */
export function followJournal(file: string, onEvent: (e: Journaled) => void, everyMs = 500): () => void {
  let offset = 0;
  let rest = '';
  const poll = () => {
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    if (buf.length <= offset) return;
    const text = rest + buf.subarray(offset).toString('utf8');
    offset = buf.length;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onEvent(JSON.parse(l) as Journaled);
  };
  // The first read is asynchronous too, so that callers hold the stop function before any event.
  const first = setTimeout(poll, 0);
  const t = setInterval(poll, everyMs);
  return () => {
    clearTimeout(first);
    clearInterval(t);
  };
}

export function resolveRun(runsDir: string, run?: string): string {
  if (run && existsSync(join(run, 'journal.jsonl'))) return run;
  if (run) {
    if (existsSync(join(runsDir, run, 'journal.jsonl'))) return join(runsDir, run);
    throw new UserError(`run "${run}": no journal under ${runsDir}/${run} (see ${runsDir}/)`);
  }
  const runs = existsSync(runsDir)
    ? readdirSync(runsDir)
        .filter((d) => existsSync(join(runsDir, d, 'journal.jsonl')))
        .sort()
    : [];
  if (!runs.length) throw new UserError(`no runs under ${runsDir}: start one with kloop run`);
  return join(runsDir, runs[runs.length - 1]);
}

/** `kloop watch [RUN]`: the live dashboard of a run (the latest by default); plain lines off a terminal. */
export async function watchCommand(runsDir: string, run?: string, opts: { json?: boolean } = {}): Promise<void> {
  const dir = resolveRun(runsDir, run);
  const file = join(dir, 'journal.jsonl');
  if (!process.stdout.isTTY || opts.json) {
    await new Promise<void>((done) => {
      const stop = followJournal(file, (e) => {
        if (opts.json) console.log(JSON.stringify(e));
        else {
          const line = formatEvent(e);
          if (line) console.log(line);
        }
        if (e.type === 'run.end') {
          stop();
          done();
        }
      });
    });
    return;
  }
  const subscribe: Subscribe = (listener) => followJournal(file, listener);
  await render(<LiveDashboard subscribe={subscribe} />).waitUntilExit();
}
