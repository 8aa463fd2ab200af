import { FleetClient, fleetRun, fleetStatus, redactUrl, type FleetRun, type FleetStatus } from '../fleet/index.js';
import type { Workflow } from '../workflow/index.js';
import type { WorkerView } from '../tui/dashboard.js';
import type { WatchWorkers } from '../tui/live.js';

/**
 * `kloop run --fleet URL` (or `fleet: {redis: URL}` in WORKFLOW.md): the run tunes for the device
 * its class's workers are (their fingerprint and profile, waited for up to fleet.wait_s); its
 * candidates go to them (the evaluator) and so do its own measurements (the measurer: baselines
 * and the final reference against the best), and `device` stands for the class on this machine,
 * which builds and runs nothing. Without a URL, undefined: everything runs on this machine.
 */
export async function openFleet(workflow: Workflow, url: string | undefined, say: (line: string) => void): Promise<(FleetRun & { watchWorkers: WatchWorkers; close: () => Promise<void> }) | undefined> {
  url ??= workflow.config.fleet.redis;
  if (!url) return undefined;
  const client = await FleetClient.open(url);
  try {
    const run = await fleetRun(client, workflow, say);
    const { identity: cls } = run;
    say(`fleet: the run tunes for device class ${cls.deviceClass} at ${redactUrl(url)}: ${cls.fingerprint.id} (${cls.fingerprint.model}), profile from worker ${cls.by}; ${cls.workers.length} worker(s): ${cls.workers.join(', ')}`);
    return { ...run, watchWorkers: (listener) => watchWorkers(url, listener), close: () => client.close() };
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** The fleet's workers for the dashboard, every 2 s (a failed look is skipped: the next one tries again). */
function watchWorkers(url: string, listener: (workers: WorkerView[]) => void, everyMs = 2000): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const look = async () => {
    try {
      const s = await fleetStatus(url);
      if (!stopped) listener(s.workers.map((w) => ({ id: w.id, deviceClass: w.class, model: w.descriptor.model, running: w.running.map((r) => r.candidate), done: w.done, beatAgoS: (s.now - w.beatAt) / 1000 })));
    } catch {
      // Redis away for a moment: the next look tries again
    }
    if (!stopped) timer = setTimeout(() => void look(), everyMs);
  };
  void look();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** `kloop doctor --fleet URL`: one line per worker (class, device, last heartbeat, what it runs) and per queue. */
export function fleetLines(url: string, s: FleetStatus): { ok: boolean | 'warn'; what: string; detail: string }[] {
  const lines: { ok: boolean | 'warn'; what: string; detail: string }[] = [];
  const ago = (ms: number) => `${((s.now - ms) / 1000).toFixed(1)} s ago`;
  lines.push({ ok: s.workers.length ? true : 'warn', what: 'fleet', detail: `${redactUrl(url)}: ${s.workers.length} worker(s), ${s.classes.length} device class(es)` });
  for (const w of s.workers) {
    const stale = s.now - w.beatAt > 60_000;
    const running = w.running.length ? `running ${w.running.map((r) => `${r.candidate} (${((s.now - r.since) / 1000).toFixed(0)} s)`).join(', ')}` : 'idle';
    lines.push({
      ok: stale ? 'warn' : true,
      what: `  worker ${w.id}`,
      detail: `class ${w.class}, ${w.descriptor.kind} ${w.descriptor.model} (${w.descriptor.units.count} ${w.descriptor.units.name}), last heartbeat ${ago(w.beatAt)}${stale ? ' (stale)' : ''}, ${running}, ${w.done} job(s) done; device ${w.descriptor.fingerprint.id}${w.profile ? '' : ' (no profile published: an older kloop)'}`,
    });
  }
  for (const r of s.refused) lines.push({ ok: 'warn', what: '  worker', detail: r });
  for (const c of s.classes) {
    const d = c.depths;
    lines.push({
      ok: c.workers || !(d.waiting + d.active) ? true : 'warn',
      what: `  queue ${c.name}`,
      detail: `${d.waiting} waiting, ${d.active} running, ${d.delayed} retrying, ${d.failed} failed, ${d.completed} completed; ${c.workers} worker(s)`,
    });
  }
  return lines;
}
