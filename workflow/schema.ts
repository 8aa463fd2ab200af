import { z } from 'zod';

/** The front matter of WORKFLOW.md. Every key has a default; unknown keys are errors. */
const PROVIDERS = ['builtin', 'anthropic', 'openai', 'command'] as const;

/** What every role may set: which provider and model, and how to call it. */
const roleFields = {
  provider: z.enum(PROVIDERS).default('builtin'),
  model: z.string().min(1).optional(),
  base_url: z.url().optional(),
  max_tokens: z.number().int().min(1).default(8192),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().default(false),
  timeout_s: z.number().positive().default(300),
  command: z
    .strictObject({
      argv: z.array(z.string().min(1)).min(1),
      timeout_s: z.number().positive().default(900),
      output_bytes: z.number().int().min(1024).default(1_000_000),
      env: z.array(z.string()).default([]),
    })
    .optional(),
};

const needsCommand = (r: { provider: string; command?: unknown }) => r.provider !== 'command' || r.command !== undefined;
const commandMessage = { message: 'provider "command" needs command: { argv: [program, args...] }', path: ['command'] };

const providerSettings = z
  .strictObject({
    concurrency: z.number().int().min(1).default(4),
    retries: z.number().int().min(0).default(4),
    pause_after: z.number().int().min(1).default(3),
    pause_s: z.number().positive().default(300),
  })
  .prefault({});

export const workflowSchema = z.strictObject({
  targets: z.array(z.string().min(1)).optional(),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
  cuda: z
    .strictObject({
      gpu: z.number().int().min(0).default(0),
      arch: z
        .string()
        .regex(/^(sm|compute)_\d+[a-z]?$/, 'an nvcc architecture such as sm_90')
        .optional(),
    })
    .prefault({}),
  loop: z
    .strictObject({
      candidates: z.number().int().min(1).max(64).default(4),
      rounds: z.number().int().min(0).default(0),
      minutes: z.number().positive().optional(),
      deadline: z.string().datetime({ offset: true }).optional(),
      no_improvement_rounds: z.number().int().min(0).default(0),
      pipeline: z.number().int().min(1).max(8).default(2),
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
      sanitizers: z.boolean().default(true),
      proof: z.boolean().default(true),
      proof_budget: z.number().positive().default(3e6),
    })
    .prefault({}),
  agents: z
    .strictObject({
      profiler: z.strictObject(roleFields).refine(needsCommand, commandMessage).prefault({}),
      analyzer: z.strictObject(roleFields).refine(needsCommand, commandMessage).prefault({}),
      writer: z
        .strictObject({
          ...roleFields,
          max_turns: z.number().int().min(1).max(20).default(3),
          search_depth: z.number().int().min(1).max(6).default(3),
          beam: z.number().int().min(1).max(64).default(10),
          search_ms: z.number().int().min(10).default(1500),
        })
        .refine(needsCommand, commandMessage)
        .prefault({}),
      /** Proposes CEP plans for workloads (kloop run --workload) beside GP1; builtin: GP1 alone. */
      partitioner: z.strictObject(roleFields).refine(needsCommand, commandMessage).prefault({}),
    })
    .prefault({}),
  providers: z.strictObject({ anthropic: providerSettings, openai: providerSettings, command: providerSettings }).prefault({}),
  budget: z.strictObject({ usd: z.number().positive().optional(), tokens: z.number().int().positive().optional() }).prefault({}),
  pricing: z.record(z.string(), z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) })).default({}),
  memory: z.strictObject({ path: z.string().default('.kloop/memory.json') }).prefault({}),
  runs: z.strictObject({ dir: z.string().default('runs') }).prefault({}),
  git: z.strictObject({ commit: z.boolean().default(true) }).prefault({}),
  sandbox: z
    .strictObject({
      memory_mb: z.number().int().min(64).default(8192),
      threads: z.number().int().min(1).optional(),
      /** Sandbox layers a run refuses to start without, e.g. [namespaces, seccomp] (default: none; a missing layer is a warning). */
      require: z.array(z.enum(['process', 'uid', 'namespaces', 'seccomp', 'cgroups'])).default([]),
      /** The old form: this layer and those listed before it that can apply to this user (uid only as root). */
      min_level: z.enum(['process', 'uid', 'namespaces', 'seccomp', 'cgroups']).optional(),
      /** Use layers up to this one only, in the order process, uid, namespaces, seccomp, cgroups (default: every layer that works here). */
      level: z.enum(['process', 'uid', 'namespaces', 'seccomp', 'cgroups']).optional(),
      uid_base: z.number().int().min(1000).default(64100),
    })
    .prefault({}),
  /** A fleet of device hosts (README "The fleet"): candidates are evaluated by `kloop worker`s through this Redis. */
  fleet: z
    .strictObject({
      /** redis://[user:password@]host:port[/db] or rediss://… (TLS); `kloop run --fleet URL` overrides it. */
      redis: z
        .string()
        .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
        .optional(),
      /** The device class whose workers take the jobs (default: the workflow's device, cpu or cuda). */
      class: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a device class: a lowercase identifier such as cpu, cuda or h100')
        .optional(),
      /** A job's time limit on a worker: past it the job is killed and the candidate reported as rejected (run). */
      job_timeout_s: z.number().positive().default(1800),
      /** How long `kloop run` waits for a worker of its class to register (it tunes for that worker's device) before refusing to start. */
      wait_s: z.number().positive().default(60),
    })
    .prefault({}),
});

export type WorkflowConfig = z.infer<typeof workflowSchema>;
