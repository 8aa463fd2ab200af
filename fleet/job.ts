import { z } from 'zod';
import { configErrorFromZod, UserError } from '../common/index.js';
import type { TimedJudgement, Verdict } from '../verifiers/index.js';
import type { BuildResult } from '../devices/index.js';
import type { TimingResult } from '../loop/index.js';
import { CLASS_PATTERN } from './names.js';
import { MAX_TARGET_FILES_BYTES, TARGET_FILE_PATTERN } from './target-files.js';

/**
 * A fleet job: build, verify and A/B time one candidate against its baseline on one worker
 * (`evaluate`), or time a selected one against the baseline again in fresh pairs (`confirm`), or
 * time one program alone at the bench size (`measure`: a round's baseline, the profiler's input), or
 * time the best kernel (`candidate`) against the reference (`baseline`) in a fixed number of
 * interleaved pairs (`final`: the run's "vs reference" figure). It
 * names a target the worker ships (or carries one it does not: its folder's sources) and carries the program (C or CUDA source and allow-listed
 * flags) and the settings the coordinator decides; nothing in it is a command, a path or code for
 * the worker to run outside the sandbox. The worker validates every job with this schema and
 * refuses anything else in one line.
 */
export const JOB_VERSION = 1;
const MAX_SOURCE = 512 * 1024;
const targetName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'expected a target name (letters, digits, _ or -)');
const program = z.strictObject({
  source: z.string().min(1).max(MAX_SOURCE),
  // Each flag is checked against the target's allow-list on the worker; here only its shape.
  flags: z.array(z.string().regex(/^-[A-Za-z0-9][A-Za-z0-9=_.,:+-]{0,63}$/, 'expected a compiler flag such as -O3')).max(32),
});

export const jobSchema = z
  .strictObject({
    v: z.literal(JOB_VERSION),
    stage: z.enum(['evaluate', 'confirm', 'measure', 'final']),
    /** The candidate's id in its run (folder names and logs only). */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a candidate id (letters, digits, . _ -)'),
    /** The coordinator's run id (logs, and the result key of `measure` and `final`: a run's own figures are measured in it). */
    run: z.string().max(128),
    class: z.string().regex(CLASS_PATTERN, 'expected a device class: a lowercase identifier'),
    /**
     * The device fingerprint the run tunes for (its class's, as the class's workers published it when
     * it started): a worker that is another device refuses the job, so no figure of the run comes
     * from another machine. Jobs made by other tools may leave it out.
     */
    device: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a device fingerprint such as cpu-0123456789ab')
      .optional(),
    /** The harness version the coordinator builds against (fleet/result-key.ts); a worker with another refuses. */
    harness: z.string().regex(/^[0-9a-z.+-]{1,64}$/),
    target: z.strictObject({
      /** The target, by name: one the worker ships, or the one `files` defines. */
      name: targetName,
      /**
       * A target the workers do not ship: its folder's files (fleet/target-files.ts), loaded on the
       * worker by the same strict loader; its digest must match what loads.
       */
      files: z
        .record(z.string().regex(TARGET_FILE_PATTERN, 'expected a target file such as target.yaml or reference.c'), z.string().max(MAX_SOURCE))
        .refine((f) => 'target.yaml' in f, 'a target shipped with a job needs its target.yaml')
        .refine((f) => Object.values(f).reduce((n, t) => n + t.length, 0) <= MAX_TARGET_FILES_BYTES, `a target's files are at most ${MAX_TARGET_FILES_BYTES >> 20} MiB`)
        .optional(),
      /** Its contract's digest (signature, reference, flops and bytes): a worker whose copy differs refuses. */
      digest: z.string().regex(/^[0-9a-f]{16}$/),
      /** The bench size the candidate is timed at (the coordinator's target may use a reduced one). */
      benchSize: z.record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/),
        z
          .number()
          .int()
          .min(1)
          .max(2 ** 31 - 1),
      ),
    }),
    candidate: program,
    /** What the candidate is timed against (the reference, for `final`); a `measure` job times its candidate alone and has none. */
    baseline: program.optional(),
    /** The round's seed: the verifier's hidden sizes and inputs. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    verify: z.strictObject({
      hiddenSizes: z.number().int().min(0).max(64),
      caseTimeoutMs: z.number().int().min(100).max(3_600_000),
      sanitizers: z.boolean(),
      proof: z.boolean(),
      proofBudget: z.number().positive().max(1e12),
    }),
    timing: z.strictObject({
      minPairs: z.number().int().min(2).max(100),
      maxPairs: z.number().int().min(2).max(1000),
      minMs: z.number().positive().max(60_000),
      maxReps: z.number().int().min(1).max(100_000),
      minSpeedup: z.number().min(1).max(1000),
    }),
    /** The job's time limit: past it the worker kills the job and reports it (not retried). */
    limitMs: z.number().int().min(100).max(86_400_000),
  })
  .superRefine((job, ctx) => {
    if ((job.stage === 'measure') !== !job.baseline) ctx.addIssue({ code: 'custom', path: ['baseline'], message: job.stage === 'measure' ? 'a measure job times its candidate alone: no baseline' : `required for a ${job.stage} job` });
  });

export type Job = z.infer<typeof jobSchema>;

/** A job refused by a worker: one line naming the job and what is wrong. Never retried. */
export class JobRefused extends UserError {
  override readonly name = 'JobRefused';
}

/** Validate a job's payload as a worker received it: the job, or a JobRefused whose message is one line. */
export function parseJob(data: unknown, jobId: string): Job {
  const source = `job ${oneLine(jobId).slice(0, 80)}`;
  const parsed = jobSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new JobRefused(oneLine(`refused ${configErrorFromZod(source, jobSchema, parsed.error).message}`));
}

/**
 * What a worker reports for a job. `done`: the candidate's outcome, whatever it is (a build
 * failure, a rejection, a timing: wrong kernels are results); `timed-out`: the job passed its limit
 * and was killed on the worker.
 */
export interface JobResult {
  key: string;
  stage: Job['stage'];
  outcome: 'done' | 'timed-out';
  worker: string;
  /** When the worker started and finished the job's own work (epoch ms), and its parts. */
  startedAt: number;
  finishedAt: number;
  build?: Omit<BuildResult, 'binary'>;
  verdict?: Verdict;
  timing?: TimingResult;
  judged?: TimedJudgement;
  /** A `measure` job's timed run: its per-call times and their median, or why it is not a measurement. */
  measured?: MeasuredRun;
  /** Why the job did not finish (timed-out). */
  error?: string;
}

/** One program timed alone at the bench size on a worker (a `measure` job). */
export type MeasuredRun = { ok: true; medianNs: number; timesNs: number[]; wallMs: number } | { ok: false; error: string; stderr: string };

/** A build as it travels: no binary path (it is the worker's), the log's tail. */
export function slim(b: { ok: boolean; log: string; ms: number; unavailable?: string }): NonNullable<JobResult['build']> {
  return { ok: b.ok, log: b.log.slice(-8000), ms: b.ms, ...(b.unavailable ? { unavailable: b.unavailable } : {}) };
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}
