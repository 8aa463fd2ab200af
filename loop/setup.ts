import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createAgents, type Spend } from '../agents/index.js';
import { UserError } from '../common/index.js';
import { detectCompiler, findGpu, type Device } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { ProcessSandbox, type Sandbox } from '../sandboxes/index.js';
import { catalogNames, referenceSource, resolveTarget } from '../targets/index.js';
import { composeDevice, composeSandbox, composeVerifier, openMemory, refuseMissingLayers, runsDirOf } from './compose.js';
import { loadWorkflow, type Workflow } from '../workflow/index.js';
import type { KloopEvent, RunOptionsSnapshot } from './events.js';
import { resumeState } from './resume.js';
import { GitRecorder } from './git-recorder.js';
import { MeteredSandbox } from './metered-sandbox.js';
import { Runner } from './runner.js';
import type { EvaluatorFactory } from './evaluator.js';

export interface CreateRunOptions {
  workflow: Workflow;
  targets?: string[];
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
}

/**
 * The launch options of a resumed run: what its journal says it was started with (the workflow file
 * it named, its targets, rounds, budgets, provider and memory); flags given now that differ are
 * ignored, with a warning naming them.
 */
function resumedOptions(now: CreateRunOptions, was: RunOptionsSnapshot): CreateRunOptions {
  const differ = [
    now.targets?.length && JSON.stringify(now.targets) !== JSON.stringify(was.targets) ? '--target' : '',
    now.minutes !== undefined && now.minutes !== was.minutes ? '--minutes' : '',
    now.rounds !== undefined && now.rounds !== was.rounds ? '--rounds' : '',
    now.provider !== undefined && now.provider !== was.provider ? '--provider' : '',
    now.model !== undefined && now.model !== was.model ? '--model' : '',
  ].filter(Boolean);
  if (differ.length) now.onWarning?.(`--resume continues the run as it was launched (${was.targets.length} targets, ${was.minutes ?? 'no'} minute budget, ${was.rounds || 'unlimited'} rounds): ${differ.join(', ')} ignored`);
  const workflow = now.workflow.file === was.workflowFile ? now.workflow : loadWorkflow(was.workflowFile);
  return { ...now, workflow, targets: was.targets, minutes: was.minutes, rounds: was.rounds, provider: was.provider, model: was.model, memoryPath: was.memoryPath ?? now.memoryPath, replay: was.replay ?? now.replay };
}

/** Wire a Runner from a workflow and command-line overrides (plain dependency injection). */
export async function createRun(launch: CreateRunOptions): Promise<Runner> {
  const cwd = launch.cwd ?? process.cwd();
  // --resume continues the run as it was launched: its targets, budgets and settings come from its journal.
  const prior = launch.resume ? resumeState(resolve(cwd, launch.workflow.config.runs.dir), launch.resume, new Date()) : undefined;
  const o = prior ? resumedOptions(launch, prior.options) : launch;
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
  const compiler = detectCompiler();
  // A GPU run names what is missing before anything else happens.
  if (c.device === 'cuda' && !o.device) findGpu(o.workflow.file, 'device is cuda', c.cuda.gpu, o.env ?? process.env);
  const targets = names
    .map((n) => usable(n, () => resolveTarget(n)))
    .filter((t) => t !== undefined)
    .filter((t) => usable(t.name, () => referenceSource(t, o.device?.language ?? (c.device === 'cuda' ? 'cuda' : 'c'))) !== undefined);
  if (!targets.length) throw new UserError(`no target could be loaded: ${broken.map((b) => `${b.target}: ${b.reason}`).join('; ')}`);
  // Sandbox, device, memory and verifier come from the composition root (compose.ts), as for verify, doctor and review.
  const { runsDir, cacheDir } = runsDirOf(o.workflow, cwd);
  // A layer the workflow requires but candidates would not get stops the run here, in one line.
  const plan = o.sandbox ? undefined : composeSandbox(o.workflow, cacheDir);
  if (plan) refuseMissingLayers(plan);
  const inner = o.sandbox ?? plan!.sandbox;
  let nvcc: string | undefined;
  const metered = new MeteredSandbox(inner, (cmd) => cmd === compiler.cc || cmd === compiler.cxx || cmd === nvcc);
  const cores = c.sandbox.threads ?? availableParallelism();
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
  const agents = createAgents({
    workflow: o.workflow,
    env: o.env ?? process.env,
    writerProvider: o.provider,
    writerModel: o.model,
    record: o.record && resolve(cwd, o.record),
    replay: o.replay && resolve(cwd, o.replay),
    // The coding agent is the user's own tool: process-level limits (timeout, output caps), its network and files intact.
    sandbox: new ProcessSandbox(),
    scratchDir: join(runsDir, '.agents'),
    onUsage: (s) => usageSink(s),
    warn: (m) => warnSink(m),
  });
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
    timing: { minPairs: c.timing.min_pairs, maxPairs: Math.max(c.timing.max_pairs, c.timing.min_pairs), minMs: c.timing.min_ms, maxReps: c.timing.max_reps, minSpeedup: c.accept.min_speedup },
    options: prior?.options ?? {
      targets: targets.map((t) => t.dir),
      workflowFile: o.workflow.file,
      rounds: o.rounds ?? c.loop.rounds,
      minutes: o.minutes ?? c.loop.minutes,
      deadline: c.loop.deadline,
      noImprovementRounds: c.loop.no_improvement_rounds,
      candidates: c.loop.candidates,
      pipeline: c.loop.pipeline,
      budgetUsd: c.budget.usd,
      budgetTokens: c.budget.tokens,
      provider: o.provider,
      model: o.model,
      memoryPath: o.memoryPath,
      replay: o.replay,
    },
    resume: o.resume,
    busyMs: () => metered.busyMs,
    broken,
    evaluator: o.evaluator,
  });
  usageSink = runner.recordUsage;
  warnSink = runner.warn;
  runner.pendingWarnings.push(...early);
  if (plan) runner.sandboxReport = plan.sandbox.report();
  return runner;
}
