import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workload } from '../workloads/index.js';
import { planGraph, planGraphSvg } from './graph-svg.js';
import type { PlanRoundResult } from './plan-round.js';
import type { CepPlan } from './schema.js';

/** A plan round as a run keeps it (runs/<id>/plans/<workload>.json, with <workload>.svg): what the report shows. */
export interface PlanRecord {
  workload: string;
  kept: boolean;
  why: string;
  /** The device set GP1 chose ("whole CPU", "2 core groups"). */
  set: string;
  predictedMs: number;
  singlePredictedMs: number;
  measuredMs?: number;
  singleMs?: number;
  speedup?: { speedup: number; ciLow: number; ciHigh: number; pairs: number };
  verdict: string;
  plan: CepPlan;
  svg: string;
}

export function planRecord(w: Workload, r: PlanRoundResult): PlanRecord {
  const best = r.chosen;
  const measured = r.timing ? `, measured ${r.timing.ms[1].toFixed(2)} ms (single-device ${r.timing.ms[0].toFixed(2)} ms)` : '';
  const caption = `predicted ${best.sim.ms.toFixed(2)} ms (single-device ${r.plans.single.candidate.sim.ms.toFixed(2)} ms)${measured}; ${r.kept ? 'kept' : 'not kept'}`;
  return {
    workload: w.name,
    kept: !!r.kept,
    why: r.why,
    set: r.set,
    predictedMs: best.sim.ms,
    singlePredictedMs: r.plans.single.candidate.sim.ms,
    measuredMs: r.timing?.ms[1],
    singleMs: r.timing?.ms[0],
    speedup: r.timing?.speedup,
    verdict: r.verdict ? (r.verdict.ok ? `verified: ${r.verdict.checked}` : `rejected (${r.verdict.stage}): ${r.verdict.reason}`) : 'not run (the single-device plan was chosen)',
    plan: best.plan,
    svg: planGraphSvg(planGraph(w, best.plan), caption),
  };
}

export function writePlanRecord(runDir: string, rec: PlanRecord): void {
  const dir = join(runDir, 'plans');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${rec.workload}.json`), JSON.stringify(rec, null, 2) + '\n');
  writeFileSync(join(dir, `${rec.workload}.svg`), rec.svg);
}

export function readPlanRecords(runDir: string): PlanRecord[] {
  const dir = join(runDir, 'plans');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as PlanRecord);
}
