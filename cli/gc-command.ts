import { UserError } from '../common/index.js';
import { collectGarbage, type GcReport } from '../loop/index.js';
import { formatBytes } from './format-bytes.js';

export interface GcCommandOptions {
  keep?: number;
  olderThan?: number;
  dryRun?: boolean;
}

/** `kloop gc`: prune old runs under the runs folder and print what went and the bytes freed. */
export async function gcCommand(runsDir: string, opts: GcCommandOptions, now = new Date()): Promise<string> {
  if (opts.keep !== undefined && !(Number.isInteger(opts.keep) && opts.keep >= 0)) throw new UserError('--keep: expected a whole number of runs, 0 or more');
  if (opts.olderThan !== undefined && !(Number.isFinite(opts.olderThan) && opts.olderThan >= 0)) throw new UserError('--older-than: expected a number of days, 0 or more');
  return formatGc(await collectGarbage({ runsDir, keep: opts.keep, olderThanDays: opts.olderThan, dryRun: opts.dryRun, now }));
}

export function formatGc(r: GcReport): string {
  const verb = (done: string, would: string) => (r.dryRun ? would : done);
  const lines: string[] = [];
  for (const x of r.removed) lines.push(`${verb('removed', 'would remove')} run ${x.run} (${formatBytes(x.bytes)}): ${x.why}`);
  for (const x of r.pruned) lines.push(`${verb('pruned', 'would prune')} run ${x.run}: ${x.candidates} candidate folders and its scratch files, ${formatBytes(x.bytes)}`);
  if (r.cache) lines.push(`${verb('removed', 'would remove')} ${r.cache.path} (bench oracles cached by older versions, ${formatBytes(r.cache.bytes)})`);
  for (const x of r.live) lines.push(`left live run ${x.run} alone: ${x.why}`);
  for (const f of r.failures) lines.push(`warning: ${f}`);
  const n = r.removed.length + r.pruned.length + (r.cache ? 1 : 0);
  lines.push(r.dryRun ? `dry run: would free ${formatBytes(r.freed)}${n ? '' : ' (nothing to do)'}; nothing was removed` : `freed ${formatBytes(r.freed)}${n ? '' : ' (nothing to do)'}`);
  return lines.join('\n');
}
