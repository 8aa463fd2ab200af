import { formatLevels } from '../devices/index.js';
import type { KloopEvent } from '../loop/index.js';
import { describeModelQuality } from '../model/index.js';

const x = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? '?' : n.toFixed(d));

/** One plain line per event (for logs and pipes); undefined for events not worth a line. */
export function formatEvent(e: KloopEvent): string | undefined {
  switch (e.type) {
    case 'run.start':
      return `run ${e.runId}: ${e.targets.join(', ')} on ${e.fingerprint}${e.agents ? ` (writer ${e.agents.writer}, analyzer ${e.agents.analyzer}, profiler ${e.agents.profiler})` : ''}`;
    case 'run.resume':
      return `resuming run ${e.runId}`;
    case 'device.profile': {
      const p = e.profile;
      return `device ${p.fingerprint.model} (${p.fingerprint.cores} cores)${e.measured ? ' measured' : ''}${e.by ? ` (the fleet class's, as worker ${e.by} measured it)` : ''}: fp32 ${x(p.gflops.fp32.all, 0)} GFLOP/s, fp64 ${x(p.gflops.fp64.all, 0)} GFLOP/s; ${p.levels?.length ? formatLevels(p.levels) : `${x(p.bandwidthGBs.all, 1)} GB/s`}`;
    }
    case 'round.start':
      return `[${e.target}] round ${e.round} from ${e.baseline}`;
    case 'baseline.profile':
      return `[${e.target}]   baseline: ${e.profile.summary}${e.measuredBy ? ` (timed on worker ${e.measuredBy})` : ''}`;
    case 'analysis':
      return `[${e.target}]   analysis: ${e.diagnosis.summary}; ideas: ${e.diagnosis.ideas.map((i) => i.title).join(', ')}`;
    case 'candidate.proposed':
      return `[${e.target}]   ${e.id}: ${e.description}${e.flags.length ? ` [${e.flags.join(' ')}]` : ''}${e.predictedNs !== undefined ? ` (predicted ${x(e.predictedNs / 1e6, 3)} ms)` : ''}`;
    case 'candidate.result': {
      const r = e.result;
      const sel = r.selection ? ` in ${r.pairs} fresh pairs (selected at ${x(r.selection.speedup)}x)` : '';
      const speed = r.speedup !== undefined ? ` ${x(r.speedup)}x (CI ${x(r.ciLow)}-${x(r.ciHigh)})${sel}, ~${x(r.vsReference, 1)}x vs reference (chained, not measured), ${x(r.gflops)} GFLOP/s` : '';
      return `[${r.target}]   ${r.id} ${r.status.toUpperCase()} ${r.verdict}${speed}${r.reason ? ` — ${r.reason}` : ''}`;
    }
    case 'candidate.retimed':
      return `[${e.target}]   ${e.id} re-timed in ${e.fresh.pairs} fresh pairs: ${x(e.fresh.speedup, 3)}x (CI ${x(e.fresh.ciLow, 3)}-${x(e.fresh.ciHigh, 3)}), selected at ${x(e.selection.speedup, 3)}x: ${e.adopted ? 'adopted' : 'not adopted'}`;
    case 'baseline.updated':
      return `[${e.target}]   new baseline ${e.id}${e.verdict ? ` [${e.verdict}]` : ''}: ~${x(e.vsReference, 1)}x over the reference (chained, not measured)`;
    case 'target.final':
      return e.pairs
        ? `[${e.target}] vs reference: ${x(e.speedup)}x (95% CI ${x(e.ciLow)}-${x(e.ciHigh)}, ${e.pairs} interleaved pairs in this run${e.measuredBy ? ` on worker ${e.measuredBy}` : ''}), best ${e.id} [${e.verdict}]`
        : `[${e.target}] vs reference: 1.00x (the best is the reference)`;
    case 'git.commit':
      return `[${e.target}]   committed ${e.sha.slice(0, 10)} on ${e.branch}`;
    case 'bench.input':
      return `[${e.target}] timed on ${e.distribution} data (seed ${e.seed})`;
    case 'target.stopped':
      return `[${e.target}] stopped: ${e.reason}`;
    case 'policy.decision':
      return `policy #${e.n}: ${e.target ? `${e.target} round ${e.round}` : 'no round'} — ${e.why}${e.widen ? `; search widened ×${e.widen}${e.archive ? `, ${e.archive} archived variants` : ''}` : ''}; ${allocation(e.arms)}`;
    case 'sandbox':
      return `sandbox: ${
        e.layers
          .filter((l) => l.ok)
          .map((l) => l.layer)
          .join(' + ') || 'process group and timeout only'
      } applied to candidates${
        e.layers.some((l) => !l.ok)
          ? `; missing: ${e.layers
              .filter((l) => !l.ok)
              .map((l) => l.layer)
              .join(', ')}`
          : ''
      } (probed in ${e.probeMs.toFixed(0)} ms)`;
    case 'model.quality':
      return describeModelQuality(e.model, e.trained, e.quality);
    case 'warning':
      return `warning: ${e.message}`;
    case 'run.end':
      return `run ended: ${e.reason}`;
    case 'workflow.reloaded':
      return describeReload(e);
    case 'workflow.invalid':
      return `workflow edit not applied, last good configuration kept: ${e.message}`;
    default:
      return undefined;
  }
}

/** PO1's allocation: per target its share of the rounds' time so far and its score (expected gain per second + exploration). */
export function allocation(arms: { target: string; share: number; score?: number }[]): string {
  return arms.map((a) => `${a.target} ${(100 * a.share).toFixed(0)}% ${a.score === undefined ? 'untried' : `${a.score.toPrecision(2)}/s`}`).join(', ');
}

/** A WORKFLOW.md reload in one line: what changed for work not yet started, what needs a new run, which launch flags it overrides. */
export function describeReload(e: Extract<KloopEvent, { type: 'workflow.reloaded' }>): string {
  const change = (c: { key: string; from: string; to: string }) => (c.key.startsWith('## ') ? `${c.key} prompt edited (${c.from} → ${c.to})` : `${c.key} ${c.from} → ${c.to}`);
  const parts = [
    e.applied.length ? `applied to work not yet started: ${e.applied.map(change).join(', ')}` : 'nothing applied',
    e.restart.length ? `needs a new run (not applied): ${e.restart.map(change).join(', ')}` : '',
    e.overrides?.length ? `overriding what the command line set: ${e.overrides.map((x) => `${x.key} (${x.flag} no longer applies)`).join(', ')}` : '',
  ];
  return `workflow reloaded from ${e.file}: ${parts.filter(Boolean).join('; ')}`;
}
