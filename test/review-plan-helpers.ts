import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeptPlan } from '../memory/index.js';
import { planWorkload, type CepPlan } from '../plans/index.js';
import { loadWorkload, type Workload } from '../workloads/index.js';
import { tmp } from './helpers.js';
import { cpuDescriptor, references, SMALL } from './plan-helpers.js';

/** Kept plans as a reviewer meets them: a workload in a git work tree, GP1's plan for it kept as a plan round keeps one. */

export const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

/** The small workload in a git work tree of its own (where an approved plan is committed). */
export function workloadInRepo(): { repo: string; w: Workload } {
  const repo = tmp('kloop-review-plans-');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  mkdirSync(join(repo, 'small'));
  writeFileSync(join(repo, 'small', 'workload.yaml'), SMALL);
  git(repo, 'add', '.');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return { repo, w: loadWorkload(join(repo, 'small')) };
}

export const d = cpuDescriptor('cpu-rev', 2);
// Node times as a quiet 2-core machine measures sequential references (1 ms each, as at larger sizes): the same on one core as on the whole CPU.
export const measureOf = (w: Workload) => {
  const times = new Map(w.nodes.map((n) => [n.name, 1e6]));
  return async () =>
    new Map([
      [2, times],
      [1, times],
    ]);
};

/** GP1's plan for the workload (two core groups), kept as a plan round keeps one. */
export async function keptPlan(w: Workload, at: string, o: Partial<KeptPlan> = {}): Promise<KeptPlan> {
  const plans = planWorkload({ workload: w, descriptor: d, kernels: references(w), measuredByThreads: await measureOf(w)() });
  const plan: CepPlan = plans.best.candidate.plan;
  return {
    workload: w.name,
    workloadHash: w.hash,
    workloadDir: w.dir,
    devices: d.fingerprint.id,
    plan,
    predictedMs: 1,
    measuredMs: 2,
    singleMs: 3,
    speedup: 1.5,
    ciLow: 1.2,
    ciHigh: 1.8,
    pairs: 7,
    verification: 'static check and 120 elements equal the graph oracle',
    runId: 'run-7',
    at,
    ...o,
  };
}
