import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createAgents, type Spend } from '../agents/index.js';
import { UserError } from '../common/index.js';
import { detectCompiler, findGpu, type Device } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { ProcessSandbox, type Sandbox } from '../sandboxes/index.js';
import { atSizes, catalogNames, referenceSource, resolveTarget } from '../targets/index.js';
import { composeDevice, composeSandbox, composeVerifier, openMemory, refuseMissingLayers, runsDirOf } from './compose.js';
import { loadWorkflow, snapshotOf, workflowFromSnapshot, WorkflowWatcher, type Workflow } from '../workflow/index.js';
import type { KloopEvent, RunOptionsSnapshot } from './events.js';
import { LiveConfig, loopSettingsOf, timingOf, type LiveAgents } from './live-config.js';
import type { RunState } from './state.js';
import { resumeState } from './resume.js';
import { GitRecorder } from './git-recorder.js';
import { MeteredSandbox } from './metered-sandbox.js';
import { Runner } from './runner.js';
import type { EvaluatorFactory } from './evaluator.js';
import type { Measurer } from './measurer.js';

export interface CreateRunOptions {
  workflow: Workflow;
  targets?: string[];
  /**
   * Per target (aligned with `targets`), sizes to run it at instead of its bench size: a session of
   * the loop at a workload node's sizes (targets/sized.ts atSizes; `kloop run --workload`). The
   * same target may then appear once per size.
   */
  sizes?: (Record<string, number> | null)[];
  minutes?: number;
  rounds?: number;
  resume?: string;
  cwd?: string;
  memoryPath?: string;
  onEvent?: (e: KloopEvent) => void;
  onWarning?: (message: string) => void;
  sandbox?: Sandbox;
  /** A device built by the caller (tests: the CUDA device over the CPU emulation); default from WORKFLOW.md. */
  device?: Device;
  memory?: MemoryStore;
  /** `--provider` / `--model`: override the writer's provider and model for this run. */
  provider?: string;
  model?: string;
  /** `--record FILE` saves the run's model traffic; `--replay FILE` serves it with no network. */
  record?: string;
  replay?: string;
  env?: NodeJS.ProcessEnv;
  /** Where candidates are built, verified and timed (`--fleet`: fleet/fleetEvaluator); default: this machine. */
  evaluator?: EvaluatorFactory;
  /** Where the profile, baselines and final pairs are measured (`--fleet`: its class's workers, with `device` the class's); default: this machine. */
  measurer?: Measurer;
  /** The cores the writers plan for (a fleet class's); default: sandbox.threads, else this machine's. */
  cores?: number;
  /** PO1's Amdahl weights: per target name, its share of a workload's time (kloop run --workload measures them); default 1. */
  weights?: Record<string, number>;
}

/**
 * The launch options of a resumed run: what its journal says it was started with (the workflow file
 * it named, its targets, rounds, budgets, provider and memory) and the configuration in force at the
 * kill (the last WORKFLOW.md edit it applied); flags given now that differ are ignored, with a
 * warning naming them.
 */
function resumedOptions(now: CreateRunOptions, prior: RunState & { options: RunOptionsSnapshot }): CreateRunOptions {
  const was = prior.options;
  const differ = [
    now.targets?.length && JSON.stringify(now.targets) !== JSON.stringify(was.targets) ? '--target' : '',
    now.minutes !== undefined && now.minutes !== was.minutes ? '--minutes' : '',
    now.rounds !== undefined && now.rounds !== was.rounds ? '--rounds' : '',
    now.provider !== undefined && now.provider !== was.provider ? '--provider' : '',
    now.model !== undefined && now.model !== was.model ? '--model' : '',
  ].filter(Boolean);
  if (differ.length) now.onWarning?.(`--resume continues the run as it was launched (${was.targets.length} targets, ${was.minutes ?? 'no'} minute budget, ${was.rounds || 'unlimited'} rounds): ${differ.join(', ')} ignored`);
  const workflow = prior.workflow ? workflowFromSnapshot(was.workflowFile, prior.workflow.snapshot) : now.workflow.file === was.workflowFile ? now.workflow : loadWorkflow(was.workflowFile);
  return { ...now, workflow, targets: was.targets, sizes: was.sizes, minutes: was.minutes, rounds: was.rounds, provider: was.provider, model: was.model, memoryPath: was.memoryPath ?? now.memoryPath, replay: was.replay ?? now.replay };
}

/** Wire a Runner from a workflow and command-line overrides (plain dependency injection). */
export async function createRun(launch: CreateRunOptions): Promise<Runner> {
  const cwd = launch.cwd ?? process.cwd();
  // --resume continues the run as it was launched: its targets, budgets and settings come from its journal.
  const prior = launch.resume ? resumeState(resolve(cwd, launch.workflow.config.runs.dir), launch.resume, new Date()) : undefined;
  const o = prior ? resumedOptions(launch, prior) : launch;
  const c = o.workflow.config;
  const names = o.targets?.length ? o.targets : (c.targets ?? catalogNames());
  if (!names.length) throw new UserError('no targets: name some with --target or in WORKFLOW.md targets:');
  // A run over several targets skips one that does not load (a warning once the run starts, and in the summary).
  const broken: { target: string; reason: string }[] = [];
  const usable = <T>(name: string, load: () => T): T | undefined => {
    try {
      return load();
    } catch (e) {
      if (!(e instanceof UserError) || names.length === 1) throw e;
      broken.push({ target: name, reason: e.message.split('\n')[0] });
      return undefined;
    }
  };
  // A fleet's coordinator builds and runs nothing (its workers do, in their own sandboxes): it needs no compiler and no sandbox.
  const fleet = o.measurer?.local === false;
  const compiler = fleet ? undefined : detectCompiler();
  // A GPU run names what is missing before anything else happens.
  if (c.device === 'cuda' && !o.device) findGpu(o.workflow.file, 'device is cuda', c.cuda.gpu, o.env ?? process.env);
  const sizes = o.targets?.length ? o.sizes : undefined;
  const targets = names
    .map((n, i) => usable(n, () => (sizes?.[i] ? atSizes(resolveTarget(n), sizes[i]) : resolveTarget(n))))
    .filter((t) => t !== undefined)
    .filter((t) => usable(t.name, () => referenceSource(t, o.device?.language ?? (c.device === 'cuda' ? 'cuda' : 'c'))) !== undefined);
  if (!targets.length) throw new UserError(`no target could be loaded: ${broken.map((b) => `${b.target}: ${b.reason}`).join('; ')}`);
  // Sandbox, device, memory and verifier come from the composition root (compose.ts), as for verify, doctor and review.
  const { runsDir, cacheDir } = runsDirOf(o.workflow, cwd);
  // A layer the workflow requires but candidates would not get stops the run here, in one line.
  const plan = o.sandbox || fleet ? undefined : composeSandbox(o.workflow, cacheDir);
  if (plan) refuseMissingLayers(plan);
  const inner = o.sandbox ?? plan?.sandbox ?? new ProcessSandbox();
  let nvcc: string | undefined;
  const metered = new MeteredSandbox(inner, (cmd) => cmd === compiler?.cc || cmd === compiler?.cxx || cmd === nvcc);
  const cores = o.cores ?? c.sandbox.threads ?? availableParallelism();
  const composed = o.device ? { device: o.device } : composeDevice({ workflow: o.workflow, sandbox: metered, cacheDir, readOnly: [runsDir], env: o.env, compiler });
  nvcc = 'nvcc' in composed ? composed.nvcc : undefined;
  const device: Device = composed.device;
  const memory = o.memory ?? openMemory(o.workflow, cwd, o.memoryPath);
  const git = c.git.commit ? await GitRecorder.open(cwd) : undefined;
  if (c.git.commit && !git) o.onWarning?.(`${cwd} is not inside a git work tree: new baselines are kept in memory and runs/, not committed`);
  // The runner owns the ledger and the journal; providers report to it once it exists.
  let usageSink: (s: Spend) => void = () => undefined;
  const early: string[] = [];
  let warnSink: (m: string) => void = (m) => early.push(m);
  // Built again when a WORKFLOW.md edit changes agents, providers, prices or prompt templates.
  const makeAgents = (workflow: Workflow, writer: { provider?: string; model?: string } = { provider: o.provider, model: o.model }) =>
    createAgents({
      workflow,
      env: o.env ?? process.env,
      writerProvider: writer.provider,
      writerModel: writer.model,
      record: o.record && resolve(cwd, o.record),
      replay: o.replay && resolve(cwd, o.replay),
      // The coding agent is the user's own tool: process-level limits (timeout, output caps), its network and files intact.
      sandbox: new ProcessSandbox(),
      scratchDir: join(runsDir, '.agents'),
      onUsage: (s) => usageSink(s),
      warn: (m) => warnSink(m),
    });
  const agents = makeAgents(o.workflow);
  const liveAgents = (workflow: Workflow, writer: { provider?: string; model?: string }): LiveAgents => {
    const a = makeAgents(workflow, writer);
    return { profiler: a.profiler, analyzer: a.analyzer, writer: a.writer, maxTurns: a.maxTurns, describe: a.describe, pausedUntil: () => Math.max(0, ...a.pausable.map((p) => p.pausedUntilMs())) };
  };
  // Edits to WORKFLOW.md apply at round boundaries. A resumed run continues with the configuration
  // in force at the kill: what the file says now, if it changed while the run was down, is taken as
  // seen (said in a warning) and only later edits apply.
  const watcher = new WorkflowWatcher(o.workflow.file, prior ? prior.workflowSeen : o.workflow.hash);
  if (prior?.workflow && watcher.poll()) early.push(`${o.workflow.file} changed while run ${o.resume} was stopped: the run continues with the configuration in force when it stopped; edit the file again to change it`);
  const runner = new Runner({
    runsDir,
    targets,
    device,
    verifier: composeVerifier(o.workflow, device),
    memory,
    profiler: agents.profiler,
    analyzer: agents.analyzer,
    writer: agents.writer,
    maxTurns: agents.maxTurns,
    agents: agents.describe,
    budget: c.budget,
    writerPausedUntil: () => Math.max(0, ...agents.pausable.map((p) => p.pausedUntilMs())),
    git,
    onEvent: o.onEvent,
    cores,
    weights: o.weights,
    timing: timingOf(c),
    options: prior?.options ?? {
      targets: targets.map((t) => t.dir),
      ...(targets.some((t) => t.session) ? { sizes: targets.map((t) => t.session?.size ?? null) } : {}),
      workflowFile: o.workflow.file,
      rounds: o.rounds ?? c.loop.rounds,
      minutes: o.minutes ?? c.loop.minutes,
      ...loopSettingsOf(c),
      provider: o.provider,
      model: o.model,
      memoryPath: o.memoryPath,
      replay: o.replay,
      flags: { minutes: o.minutes !== undefined, rounds: o.rounds !== undefined },
    },
    resume: o.resume,
    workflow: { hash: o.workflow.hash ?? prior?.workflow?.hash ?? '', snapshot: snapshotOf(o.workflow) },
    reload: new LiveConfig(watcher, o.workflow, liveAgents),
    // (a fleet's coordinator runs nothing: the workers' busy time is theirs)
    busyMs: fleet ? undefined : () => ({ ...metered.busyMs, idleGaps: metered.idleGaps, processMs: { ...metered.processMs } }),
    broken,
    evaluator: o.evaluator,
    measurer: o.measurer,
  });
  usageSink = runner.recordUsage;
  warnSink = runner.warn;
  runner.pendingWarnings.push(...early);
  if (plan) runner.sandboxReport = plan.sandbox.report();
  return runner;
}
