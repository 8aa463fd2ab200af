import { createHash } from 'node:crypto';
import { kloopVersion, shortHash } from '../common/index.js';
import { generateCudaHarness, generateHarness } from '../devices/index.js';
import type { Target } from '../targets/index.js';
import type { Job } from './job.js';

/**
 * The version of the harness a candidate is built into, for one target: kloop's version and the
 * generated harness source. A worker whose harness differs from the coordinator's refuses the job
 * (its timings would not be comparable), and results are keyed by it.
 */
export function harnessVersion(target: Target, language: 'c' | 'cuda'): string {
  return `${kloopVersion()}+${shortHash(language === 'cuda' ? generateCudaHarness(target) : generateHarness(target, { scalar: 'real' }))}`;
}

/** What identifies a target's contract between coordinator and worker (not its bench size, which the job carries). */
export function targetDigest(t: Target): string {
  // Shapes, roles, integer arrays' value structures and scalars' values decide what is checked too.
  const params = t.params.map((p) => (p.kind === 'array' ? [p.name, p.role, p.shapeText, p.values?.text ?? ''] : p.kind === 'scalar' ? [p.name, p.value, p.bench] : [p.name]));
  return shortHash(t.name, t.signature, t.real, t.referenceSource, t.flopsText, t.bytesText, String(t.tolerance.factor), JSON.stringify(t.allow), JSON.stringify(params));
}

/**
 * A job's result key: a hash of the candidate (source and flags), the target (its contract and
 * bench size), the device class (and fingerprint) and the harness version, and also of what the measurement is
 * against and how it is made (the stage, the baseline program, the verifier's and timing's
 * settings). A job delivered twice, or enqueued twice, has one key: its result is stored once and
 * counted once. The seed is not in it; the run is: every figure a run reports is measured in that
 * run, so another run measures afresh, while the same run asking again (a job delivered twice, a
 * later round, or the run resumed after a kill) is answered from its stored result.
 */
export function resultKey(job: Job): string {
  const sorted = Object.fromEntries(Object.entries(job.target.benchSize).sort(([a], [b]) => (a < b ? -1 : 1)));
  const parts = [
    job.stage,
    job.candidate.source,
    job.candidate.flags,
    job.target.name,
    job.target.digest,
    sorted,
    job.class,
    job.device ?? null,
    job.harness,
    job.baseline?.source ?? null,
    job.baseline?.flags ?? null,
    job.verify,
    job.timing,
    job.run,
  ];

  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
