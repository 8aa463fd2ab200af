import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { Journal } from './journal.js';
import { liveOwner } from './run-owner.js';
import { replay, type RunState } from './state.js';

/** `--resume` of a run that has already ended: nothing is wrong and nothing is done (exit 0). */
export class RunFinished extends Error {
  override readonly name = 'RunFinished';
}

/**
 * What `--resume RUN` continues: the state its journal describes, with the options it was launched
 * with. A run whose process is still alive is refused (two processes would write one journal); a
 * run that ended says so and is not started again.
 */
export function resumeState(runsDir: string, runId: string, now: Date): RunState & { options: NonNullable<RunState['options']> } {
  const dir = join(runsDir, runId);
  const journal = join(dir, 'journal.jsonl');
  if (!existsSync(journal)) throw new UserError(`--resume ${runId}: no journal at ${journal} (kloop watch lists runs; the id is the folder name under ${runsDir})`);
  const live = liveOwner(dir, { now, quietMs: 0 });
  if (live) throw new UserError(`--resume ${runId}: the run is still going (${live}); let it finish or stop it first (kloop watch ${runId} shows it)`);
  const state = replay(runId, Journal.read(journal));
  if (state.ended !== undefined) throw new RunFinished(`run ${runId} already finished (${state.ended}): nothing to resume`);
  if (!state.options) throw new UserError(`--resume ${runId}: its journal has no run.start event, so what it was launched with is unknown; start a new run instead`);
  return state as RunState & { options: NonNullable<RunState['options']> };
}
