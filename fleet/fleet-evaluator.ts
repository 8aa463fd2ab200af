import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildResult } from '../devices/index.js';
import type { EvalCandidate, Evaluator, EvaluatorDeps, EvaluatorFactory, RoundEvaluation, TimingResult } from '../loop/index.js';
import type { TimedJudgement, Verdict } from '../verifiers/index.js';
import type { FleetClient } from './client.js';
import type { Job, JobResult } from './job.js';
import { jobMaker, type FleetSettings } from './job-maker.js';

/**
 * A round's candidates evaluated by a fleet's workers (the Evaluator of loop/evaluator.ts): each
 * writer's turn is one `evaluate` job (build, verify and, if accepted, A/B time against the
 * baseline and judge the timed run, all on one worker); a selected winner's fresh timing is one
 * `confirm` job. The coordinator keeps what the round does with the results (keep, discard,
 * memory, journal). A job killed at its time limit is the candidate's result (rejected: run).
 */
export function fleetEvaluator(client: FleetClient, s: FleetSettings): EvaluatorFactory {
  return (d: EvaluatorDeps, r: RoundEvaluation): Evaluator => {
    const make = jobMaker(s, { runDir: d.runDir, target: d.target, language: d.device.language });
    const job = (stage: 'evaluate' | 'confirm', c: EvalCandidate): Job =>
      make({ stage, id: c.id, candidate: { source: c.source, flags: c.flags }, baseline: { source: r.baseline.source, flags: r.baseline.flags }, seed: r.seed, timing: d.timing });
    /** Each verified candidate's timing, measured in its evaluate job. */
    const timed = new Map<string, { timing?: TimingResult; judged?: TimedJudgement }>();
    const record = (c: EvalCandidate, res: JobResult, file: string) =>
      writeFileSync(join(c.dir, file), JSON.stringify({ key: res.key, worker: res.worker, outcome: res.outcome, startedAt: new Date(res.startedAt).toISOString(), ms: res.finishedAt - res.startedAt }, null, 2));
    return {
      check: async (c) => {
        d.emit({ type: 'candidate.state', target: d.target.name, id: c.id, state: 'building' });
        const res = await client.evaluate(job('evaluate', c));
        record(c, res, 'fleet.json');
        if (res.outcome === 'timed-out') {
          const verdict: Verdict = { status: 'rejected', layer: 'run', reason: `the fleet job ${res.error}`, cases: [], maxErrorRatio: 0, layers: ['run'] };
          writeFileSync(join(c.dir, 'verdict.json'), JSON.stringify(verdict, null, 2));
          return { build: { ok: true, log: '', ms: 0 }, verdict };
        }
        const build: BuildResult = res.build ?? { ok: false, log: 'the worker returned no build', ms: 0 };
        if (res.verdict) writeFileSync(join(c.dir, 'verdict.json'), JSON.stringify(res.verdict, null, 2));
        if (res.timing) timed.set(c.id, { timing: res.timing, judged: res.judged });
        return { build, verdict: res.verdict };
      },
      time: async (cs) => {
        const timings = new Map<string, TimingResult>();
        const judged = new Map<string, TimedJudgement>();
        for (const c of cs) {
          const t = timed.get(c.id);
          if (t?.timing) timings.set(c.id, t.timing);
          if (t?.judged) judged.set(c.id, t.judged);
        }
        return { timings, judged };
      },
      confirm: async (c) => {
        const res = await client.evaluate(job('confirm', c));
        record(c, res, 'fleet.confirm.json');
        if (res.timing) return res.timing;
        const error = res.outcome === 'timed-out' ? `the fleet job ${res.error}` : 'it no longer builds on the worker';
        return { ok: false, error, speedup: 0, ciLow: 0, ciHigh: 0, pairs: 0, baselineNs: [], candidateNs: [], medianNs: NaN, baselineMedianNs: NaN };
      },
    };
  };
}
