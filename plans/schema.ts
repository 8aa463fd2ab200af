import { z } from 'zod';

/**
 * CEP execution plans, version 1: how a workload runs across devices. Each step runs on one device,
 * in the order the plan lists that device's steps, and starts once the steps named in `after` (on
 * any device) have finished. A `run` step runs a node, or rows [r0, r1) of a node whose rows split;
 * a `copy` step moves rows of an array from another device's memory into this one's (every device
 * has its own copy of what it touches; nothing moves unless a copy says so). The workload's inputs
 * start on `home`, and its outputs must end there. `cep` is the major version: a plan of a newer
 * version is refused by name.
 */
export const CEP_VERSION = 1;

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a name: letters, digits, "_" or "-"');
const stepId = z.string().regex(/^[A-Za-z0-9_.:@-]+$/, 'expected a step id: letters, digits, "_", ".", ":", "@" or "-"');
const rows = z
  .tuple([z.number().int().nonnegative(), z.number().int().positive()])
  .refine(([a, b]) => a < b, 'expected [first, end) with first < end')
  .meta({ description: 'rows [first, end): of the node along its split symbol (run), of the array along its first extent (copy); absent: all of them' });
const arrayRef = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'expected NODE.ARRAY, e.g. "ln.Y"');

export const cepDeviceSchema = z.strictObject({
  name,
  acp: z.string().min(1).meta({ description: "the ACP descriptor's fingerprint id of the device (or of the CPU a core group is part of)" }),
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, 'expected a device kind: a lowercase identifier')
    .meta({ description: 'cpu, cuda, or a future kind' }),
  cores: z.array(z.number().int().nonnegative()).min(1).optional().meta({ description: 'a core group of a CPU: the logical CPUs it runs on (absent: the whole device)' }),
  worker: z.string().min(1).optional().meta({ description: "a fleet worker's id (absent: this machine)" }),
});

const stepBase = {
  id: stepId,
  device: name.meta({ description: 'the device the step runs on (for a copy: the one it copies into)' }),
  after: z.array(stepId).default([]).meta({ description: 'steps (on any device) that must finish before this one starts' }),
};

export const cepStepSchema = z.discriminatedUnion('op', [
  z.strictObject({ ...stepBase, op: z.literal('run'), node: name, rows: rows.optional() }),
  z.strictObject({ ...stepBase, op: z.literal('copy'), array: arrayRef, from: name, rows: rows.optional() }),
]);

export const cepPlanSchema = z
  .strictObject({
    cep: z.literal(CEP_VERSION, { error: `expected ${CEP_VERSION} (the CEP format version this kloop reads)` }),
    workload: z.strictObject({
      name: z.string().min(1),
      hash: z.string().min(1).meta({ description: 'the workload content hash the plan was made for' }),
    }),
    devices: z.array(cepDeviceSchema).min(1),
    home: name.meta({ description: 'where the inputs start and the outputs must end' }),
    steps: z.array(cepStepSchema).min(1),
    predicted: z
      .strictObject({
        ms: z.number().nonnegative(),
        by: z.string().min(1).meta({ description: 'what made the prediction (GP1, a model)' }),
        sources: z.record(z.string(), z.enum(['measured', 'memory', 'roofline'])).meta({
          description:
            'per node@device (and per copy:FROM->TO between host and a GPU): measured by the command that made the plan, measured in memory at the bench size and scaled to the node, or a roofline estimate from the device profile',
        }),
        kernels: z
          .record(z.string(), z.enum(['node-size', 'bench-size', 'reference']))
          .optional()
          .meta({ description: "per node: the kernel it runs: memory's best kept at exactly its sizes, memory's best at its target's bench size (checked at the node's sizes by the plan's CEP verification), or the target's reference" }),
      })
      .optional(),
  })
  .meta({ title: 'kloop CEP execution plan', description: 'A workload across devices, with explicit transfers (version 1); see README "Workloads and plans"' });

export type CepPlan = z.infer<typeof cepPlanSchema>;
export type CepStep = z.infer<typeof cepStepSchema>;
export type CepDevice = z.infer<typeof cepDeviceSchema>;

export function cepJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cepPlanSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
