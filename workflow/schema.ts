import { z } from 'zod';

/** The front matter of WORKFLOW.md. Every key has a default; unknown keys are errors. */
export const workflowSchema = z.strictObject({
  targets: z.array(z.string().min(1)).optional(),
  device: z.enum(['cpu']).default('cpu'),
  loop: z
    .strictObject({
      candidates: z.number().int().min(1).max(64).default(4),
      rounds: z.number().int().min(0).default(0),
      minutes: z.number().positive().optional(),
      deadline: z.string().datetime({ offset: true }).optional(),
      no_improvement_rounds: z.number().int().min(1).default(4),
    })
    .prefault({}),
  accept: z.strictObject({ min_speedup: z.number().min(1).default(1.02) }).prefault({}),
  timing: z
    .strictObject({
      min_pairs: z.number().int().min(2).default(3),
      max_pairs: z.number().int().min(2).default(7),
      min_ms: z.number().positive().default(100),
      max_reps: z.number().int().min(1).default(50),
    })
    .prefault({}),
  verify: z
    .strictObject({
      hidden_sizes: z.number().int().min(0).default(6),
      case_timeout_s: z.number().positive().default(10),
    })
    .prefault({}),
  agents: z
    .strictObject({
      profiler: z.strictObject({ provider: z.enum(['builtin']).default('builtin') }).prefault({}),
      analyzer: z.strictObject({ provider: z.enum(['builtin']).default('builtin') }).prefault({}),
      writer: z
        .strictObject({
          provider: z.enum(['builtin']).default('builtin'),
          search_depth: z.number().int().min(1).max(6).default(3),
          beam: z.number().int().min(1).max(64).default(10),
          search_ms: z.number().int().min(10).default(3000),
        })
        .prefault({}),
    })
    .prefault({}),
  memory: z.strictObject({ path: z.string().default('.kloop/memory.json') }).prefault({}),
  runs: z.strictObject({ dir: z.string().default('runs') }).prefault({}),
  git: z.strictObject({ commit: z.boolean().default(true) }).prefault({}),
  sandbox: z
    .strictObject({
      memory_mb: z.number().int().min(64).default(8192),
      threads: z.number().int().min(1).optional(),
    })
    .prefault({}),
});

export type WorkflowConfig = z.infer<typeof workflowSchema>;
