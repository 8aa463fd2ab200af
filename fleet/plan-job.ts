import { createHash } from 'node:crypto';
import { z } from 'zod';
import { configErrorFromZod } from '../common/index.js';
import { JobRefused } from './job.js';
import { MAX_TARGET_FILES_BYTES, TARGET_FILE_PATTERN } from './target-files.js';

/**
 * A plan job: a batch of a CEP plan's steps that run on one fleet worker device (plans/waves.ts),
 * sent to that worker's own queue. It carries the node kernels (source and allow-listed flags, the
 * target by name or with its folder's files, as evaluate jobs do), the buffers of the worker's
 * memory the batch touches (each starts as NaN), the data it needs (the rows copies bring to the
 * worker, and the rows of its own memory earlier batches wrote that these steps read) as records
 * of one blob kept under a Redis key, the steps in order (a `load` puts a record into its buffer,
 * a `run` calls a kernel on pointers into the buffers) and the regions to return (the rows its run
 * steps wrote), which the worker stores under another key. Nothing in it is a command or a path;
 * the worker validates it with this schema, checks each kernel's target, flags, sizes and bounds,
 * and refuses anything else in one line.
 */
export const PLAN_JOB_VERSION = 1;
/** Bytes a plan job carries each way at most (Redis strings hold 512 MB): a plan that moves more to or from a worker in one wave is refused. */
export const MAX_PLAN_JOB_BYTES = 256 * 1024 * 1024;
/** How long an input blob stays in Redis if nobody deletes it (the coordinator does once it has the result, or has given up). */
export const PLAN_DATA_TTL_S = 3600;
/**
 * How long an output blob stays in Redis if nobody reads it: the coordinator reads it as soon as the
 * job completes, and a coordinator that gave up on the job has marked it cancelled, so the worker
 * does not store it at all (plan-worker.ts); this bounds what a coordinator that died leaves behind.
 */
export const PLAN_OUT_TTL_S = 300;

const MAX_SOURCE = 512 * 1024;
const index = z.number().int().min(0).max(65_535);
const elements = z
  .number()
  .int()
  .min(0)
  .max(2 ** 40);
const region = z.strictObject({ buffer: index, offset: elements, elements: elements.min(1) });
const blob = (suffix: string) =>
  z.strictObject({
    key: z.string().regex(new RegExp(`^kloop:fleet:plan:[A-Za-z0-9_.-]{1,160}:${suffix}$`), `expected a key kloop:fleet:plan:JOB:${suffix}`),
    bytes: z.number().int().min(0).max(MAX_PLAN_JOB_BYTES),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  });
export const WORKER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

export const planJobSchema = z
  .strictObject({
    v: z.literal(PLAN_JOB_VERSION),
    kind: z.literal('plan'),
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,159}$/, 'expected a job id (letters, digits, . _ -)'),
    /** The coordinator's execution (logs only). */
    run: z.string().max(128),
    /** The worker it is for, and the device fingerprint the plan names for it: another worker or device refuses it. */
    worker: z.string().regex(WORKER_ID_PATTERN, 'expected a worker id'),
    device: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a device fingerprint such as cpu-0123456789ab'),
    real: z.enum(['float', 'double']),
    kernels: z
      .array(
        z.strictObject({
          target: z.strictObject({
            name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'expected a target name'),
            digest: z.string().regex(/^[0-9a-f]{16}$/),
            files: z
              .record(z.string().regex(TARGET_FILE_PATTERN, 'expected a target file such as target.yaml or reference.c'), z.string().max(MAX_SOURCE))
              .refine((f) => 'target.yaml' in f, 'a target shipped with a job needs its target.yaml')
              .refine((f) => Object.values(f).reduce((n, t) => n + t.length, 0) <= MAX_TARGET_FILES_BYTES, `a target's files are at most ${MAX_TARGET_FILES_BYTES >> 20} MiB`)
              .optional(),
          }),
          source: z.string().min(1).max(MAX_SOURCE),
          flags: z.array(z.string().regex(/^-[A-Za-z0-9][A-Za-z0-9=_.,:+-]{0,63}$/, 'expected a compiler flag such as -O3')).max(32),
        }),
      )
      .max(64),
    /** The worker memory's buffers the batch touches, each a whole array of the workload (elements of `real`). */
    buffers: z
      .array(z.strictObject({ elements: elements.min(1) }))
      .min(1)
      .max(1024),
    input: blob('in'),
    /** The input blob's records, back to back in this order. */
    records: z.array(region).max(65_536),
    steps: z
      .array(
        z.discriminatedUnion('op', [
          z.strictObject({ op: z.literal('load'), record: index }),
          z.strictObject({
            op: z.literal('run'),
            kernel: index,
            sizes: z.record(
              z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/),
              z
                .number()
                .int()
                .min(1)
                .max(2 ** 31 - 1),
            ),
            args: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.strictObject({ buffer: index, offset: elements })),
          }),
        ]),
      )
      .min(1)
      .max(65_536),
    /** Regions returned, back to back in this order (the output blob). */
    outputs: z.array(region).max(65_536),
    limitMs: z.number().int().min(100).max(86_400_000),
  })
  .superRefine((job, ctx) => {
    const width = job.real === 'float' ? 4 : 8;
    const inside = (r: { buffer: number; offset: number; elements: number }, path: (string | number)[]) => {
      const b = job.buffers[r.buffer];
      if (!b) ctx.addIssue({ code: 'custom', path: [...path, 'buffer'], message: `no buffer ${r.buffer} (the job has ${job.buffers.length})` });
      else if (r.offset + r.elements > b.elements) ctx.addIssue({ code: 'custom', path, message: `elements ${r.offset}..${r.offset + r.elements - 1} lie past buffer ${r.buffer}'s ${b.elements}` });
    };
    job.records.forEach((r, i) => inside(r, ['records', i]));
    job.outputs.forEach((r, i) => inside(r, ['outputs', i]));
    const inBytes = job.records.reduce((n, r) => n + r.elements * width, 0);
    if (inBytes !== job.input.bytes) ctx.addIssue({ code: 'custom', path: ['input', 'bytes'], message: `the records hold ${inBytes} bytes, not ${job.input.bytes}` });
    if (job.outputs.reduce((n, r) => n + r.elements * width, 0) > MAX_PLAN_JOB_BYTES) ctx.addIssue({ code: 'custom', path: ['outputs'], message: `more than ${MAX_PLAN_JOB_BYTES >> 20} MiB to return` });
    job.steps.forEach((s, i) => {
      if (s.op === 'load' && s.record >= job.records.length) ctx.addIssue({ code: 'custom', path: ['steps', i, 'record'], message: `no record ${s.record}` });
      if (s.op === 'run') {
        if (s.kernel >= job.kernels.length) ctx.addIssue({ code: 'custom', path: ['steps', i, 'kernel'], message: `no kernel ${s.kernel}` });
        for (const [name, a] of Object.entries(s.args)) if (a.buffer >= job.buffers.length) ctx.addIssue({ code: 'custom', path: ['steps', i, 'args', name, 'buffer'], message: `no buffer ${a.buffer}` });
      }
    });
  });

export type PlanJob = z.infer<typeof planJobSchema>;

/** What a worker reports for a plan job: `done` with the output blob's key, or why not (the plan's verdict, never retried). */
export interface PlanJobResult {
  id: string;
  worker: string;
  outcome: 'done' | 'build-failed' | 'run-failed' | 'timed-out';
  startedAt: number;
  finishedAt: number;
  /** Building the kernels and the job's program (cached by content on the worker: 0-ish once built), and running it (ms). */
  buildMs: number;
  runMs: number;
  /** Per job step, its time on the worker (ns). */
  stepNs: number[];
  output?: { key: string; bytes: number; sha256: string };
  error?: string;
}

/** The BullMQ queue a worker takes its plan jobs from (one per worker: a plan names its worker). */
export const workerQueueName = (worker: string): string => `worker-${worker.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

export const planDataKey = (jobId: string, dir: 'in' | 'out'): string => `kloop:fleet:plan:${jobId}:${dir}`;

/** Set by a coordinator that gave up on a job (its deadline, or its worker taken for dead): the worker then stores no output. */
export const planCancelKey = (jobId: string): string => `kloop:fleet:plan:${jobId}:cancelled`;

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Validate a plan job's payload as a worker received it: the job, or a JobRefused whose message is one line. */
export function parsePlanJob(data: unknown, jobId: string): PlanJob {
  const parsed = planJobSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const source = `plan job ${jobId.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 80)}`;
  throw new JobRefused(`refused ${configErrorFromZod(source, planJobSchema, parsed.error).message}`.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' '));
}
