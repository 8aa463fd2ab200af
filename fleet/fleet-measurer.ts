import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { baselineBuildError, baselineKey, baselineRunError, type Measurer, type TargetFinal } from '../loop/index.js';
import type { ClassIdentity } from './class-device.js';
import type { FleetClient } from './client.js';
import type { JobResult } from './job.js';
import { jobMaker, type FleetSettings } from './job-maker.js';

/**
 * The run's own figures measured on its fleet class's workers (loop/measurer.ts): the device's
 * profile is the one the class's workers published (stored in memory under their fingerprint); a
 * round's baseline is timed alone at the bench size by a `measure` job; the final reference
 * against the best is a `final` job, its pairs all on one worker. Each job's key has the run, so a
 * figure is of this run: asked again in the same run (a resumed one included) it is the stored
 * result, never another run's. Each result's worker is recorded (runs/<id>/baselines/*.fleet.json,
 * and the events that carry the figure).
 */
export function fleetMeasurer(client: FleetClient, s: FleetSettings, cls: ClassIdentity): Measurer {
  const record = (runDir: string, name: string, res: JobResult) => {
    mkdirSync(join(runDir, 'baselines'), { recursive: true });
    writeFileSync(join(runDir, 'baselines', name), JSON.stringify({ key: res.key, stage: res.stage, worker: res.worker, outcome: res.outcome, startedAt: new Date(res.startedAt).toISOString(), ms: res.finishedAt - res.startedAt }, null, 2));
  };
  return {
    local: false,

    profile: async ({ memory }) => {
      await memory.putProfile(cls.profile);
      return { profile: cls.profile, measured: false, by: cls.by };
    },

    baseline: async (d, b) => {
      const key = baselineKey(b);
      const known = d.session.baselineTimes.get(key);
      if (known !== undefined) return { medianNs: known };
      const { target } = d;
      const make = jobMaker(s, { runDir: d.runDir, target, language: d.device.language });
      const res = await client.evaluate(make({ stage: 'measure', id: `${target.name}-baseline-${key}`, candidate: { source: b.source, flags: b.flags }, seed: 0, timing: d.timing }));
      record(d.runDir, `${target.name}-${key}.fleet.json`, res);
      if (res.outcome === 'timed-out') throw new UserError(`${target.name}: the baseline's timed run on the fleet ${res.error}`);
      if (!res.build?.ok) throw baselineBuildError(target, b, res.build?.log ?? `worker ${res.worker} returned no build`);
      if (!res.measured?.ok) throw baselineRunError(target, b, res.measured?.error ?? `worker ${res.worker} returned no measurement`, res.measured?.stderr ?? '');
      d.session.baselineTimes.set(key, res.measured.medianNs);
      return { medianNs: res.measured.medianNs, measuredBy: res.worker };
    },

    final: async (d, reference, best): Promise<TargetFinal> => {
      const { target } = d;
      const id = best.lineage.at(-1)?.candidateId ?? 'reference';
      if (id === 'reference' || baselineKey(best) === baselineKey(reference)) return { target: target.name, id: 'reference', verdict: 'reference', speedup: 1, ciLow: 1, ciHigh: 1, pairs: 0 };
      const pairs = Math.max(2, d.timing.minPairs);
      const make = jobMaker(s, { runDir: d.runDir, target, language: d.device.language });
      const res = await client.evaluate(
        make({ stage: 'final', id, candidate: { source: best.source, flags: best.flags }, baseline: { source: reference.source, flags: reference.flags }, seed: 0, timing: { ...d.timing, minPairs: pairs, maxPairs: pairs } }),
      );
      record(d.runDir, `${target.name}-final.fleet.json`, res);
      const failed = (why: string) => new Error(`the final timing of ${target.name} (reference against ${id}) on worker ${res.worker} failed: ${why}`);
      if (res.outcome === 'timed-out') throw failed(`the fleet job ${res.error}`);
      if (!res.build?.ok) throw failed(`${id} does not build there`);
      if (res.measured && !res.measured.ok) throw failed(res.measured.error);
      const t = res.timing;
      if (!t?.ok) throw failed(t?.error ?? 'no timing returned');
      return { target: target.name, id, verdict: best.verdict, speedup: t.speedup, ciLow: t.ciLow, ciHigh: t.ciHigh, pairs: t.pairs, referenceNs: t.baselineMedianNs, bestNs: t.medianNs, measuredBy: res.worker };
    },
  };
}
