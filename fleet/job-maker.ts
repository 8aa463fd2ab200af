import { basename } from 'node:path';
import type { Target } from '../targets/index.js';
import { JOB_VERSION, type Job } from './job.js';
import { harnessVersion, targetDigest } from './result-key.js';
import { isShippedTarget, targetFiles } from './target-files.js';

export interface FleetSettings {
  /** The device class the run's jobs go to. */
  deviceClass: string;
  /** The class's device fingerprint, which its workers must be (absent: any worker of the class). */
  device?: string;
  /** Each job's time limit. */
  limitMs: number;
  /** The gate's settings (the coordinator's workflow decides them, not the workers'). */
  verify: Job['verify'];
}

/** What varies between a target's jobs. */
export interface JobParts {
  stage: Job['stage'];
  id: string;
  candidate: Job['candidate'];
  baseline?: Job['baseline'];
  seed: number;
  timing: Job['timing'];
}

/**
 * Makes one target's jobs for the run in `runDir`: the target by name and digest (with its files when
 * the workers do not ship it), the harness version, the class and its device, the gate's settings.
 */
export function jobMaker(s: FleetSettings, d: { runDir: string; target: Target; language: 'c' | 'cuda' }): (p: JobParts) => Job {
  const harness = harnessVersion(d.target, d.language);
  const digest = targetDigest(d.target);
  // A target the workers do not ship travels with each job (its folder's sources).
  const files = isShippedTarget(d.target) ? undefined : targetFiles(d.target);
  return (p) => ({
    v: JOB_VERSION,
    stage: p.stage,
    id: p.id,
    run: basename(d.runDir),
    class: s.deviceClass,
    ...(s.device ? { device: s.device } : {}),
    harness,
    target: { name: d.target.name, digest, benchSize: d.target.benchSize, ...(files ? { files } : {}) },
    candidate: p.candidate,
    ...(p.baseline ? { baseline: p.baseline } : {}),
    seed: p.seed,
    verify: s.verify,
    timing: p.timing,
    limitMs: s.limitMs,
  });
}
