import type { Analyzer, Profiler, Writer } from '../agents/index.js';
import { UserError } from '../common/index.js';
import { agentKey, mergeEdit, snapshotOf, workflowFromSnapshot, type SettingChange, type Workflow, type WorkflowConfig, type WorkflowSnapshot, type WorkflowWatcher } from '../workflow/index.js';
import type { TimingConfig } from './ab-timing.js';
import type { RunOptionsSnapshot } from './events.js';

/** The agents a round uses: built from the workflow's agents, providers, pricing and prompt templates. */
export interface LiveAgents {
  profiler: Profiler;
  analyzer: Analyzer;
  writer: Writer;
  maxTurns?: number;
  /** Which agent runs each role, for the journal. */
  describe?: Record<string, string>;
  /** Epoch ms until which the writer's provider is paused (0: not paused). */
  pausedUntil?: () => number;
}

/** What a run reads at each round boundary, and a WORKFLOW.md edit may change for work not yet started. */
export interface LiveSettings {
  options: RunOptionsSnapshot;
  timing: TimingConfig;
  budget?: { usd?: number; tokens?: number };
  agents: LiveAgents;
}

/** A reload the run journals: an edit applied (with the diff of effective settings), or one that does not load. */
export type Reload =
  | { kind: 'applied'; file: string; hash: string; applied: SettingChange[]; restart: SettingChange[]; overrides: { key: string; flag: string }[]; workflow: WorkflowSnapshot; live: LiveSettings }
  | { kind: 'invalid'; file: string; hash: string; message: string };

export function timingOf(c: WorkflowConfig): TimingConfig {
  return { minPairs: c.timing.min_pairs, maxPairs: Math.max(c.timing.max_pairs, c.timing.min_pairs), minMs: c.timing.min_ms, maxReps: c.timing.max_reps, minSpeedup: c.accept.min_speedup };
}

/** The run's options under a workflow: its loop and budget settings, except what a command-line flag set at launch. */
export function optionsOf(c: WorkflowConfig, base: RunOptionsSnapshot): RunOptionsSnapshot {
  return {
    ...base,
    rounds: base.flags?.rounds ? base.rounds : c.loop.rounds,
    minutes: base.flags?.minutes ? base.minutes : c.loop.minutes,
    ...loopSettingsOf(c),
  };
}

/** What a workflow says of the loop besides its rounds and minutes: deadline, stop rule, candidates, pipeline, budget. */
export function loopSettingsOf(c: WorkflowConfig): Pick<RunOptionsSnapshot, 'deadline' | 'noImprovementRounds' | 'candidates' | 'pipeline' | 'budgetUsd' | 'budgetTokens'> {
  return { deadline: c.loop.deadline, noImprovementRounds: c.loop.no_improvement_rounds, candidates: c.loop.candidates, pipeline: c.loop.pipeline, budgetUsd: c.budget.usd, budgetTokens: c.budget.tokens };
}

/**
 * Edited keys a launch flag had set (`--minutes`, `--rounds`, `--provider`, `--model`): the edit is
 * newer, so it wins, and the flag no longer applies to the run.
 */
function overridden(changes: SettingChange[], o: RunOptionsSnapshot): { key: string; flag: string }[] {
  const flag: Record<string, string | undefined> = {
    'loop.minutes': o.flags?.minutes ? '--minutes' : undefined,
    'loop.rounds': o.flags?.rounds ? '--rounds' : undefined,
    'agents.writer.provider': o.provider !== undefined ? '--provider' : undefined,
    'agents.writer.model': o.model !== undefined ? '--model' : undefined,
  };
  return changes.filter((c) => flag[c.key]).map((c) => ({ key: c.key, flag: flag[c.key]! }));
}

/**
 * The run's configuration as WORKFLOW.md edits change it. At each round boundary the runner calls
 * `poll`: a valid edit gives the new live settings (agents built again only when their settings
 * changed) and the diff; an edit that does not load, or whose agents cannot be built (a missing API
 * key), keeps the last good configuration and says why in one line.
 */
export class LiveConfig {
  private inForce: WorkflowSnapshot;

  constructor(
    private readonly watcher: WorkflowWatcher,
    inForce: Workflow,
    /** The agents under a workflow, with the writer's provider and model a launch flag still sets. */
    private readonly buildAgents: (w: Workflow, writer: { provider?: string; model?: string }) => LiveAgents,
  ) {
    this.inForce = snapshotOf(inForce);
  }

  get snapshot(): WorkflowSnapshot {
    return this.inForce;
  }

  poll(current: LiveSettings): Reload | undefined {
    const seen = this.watcher.poll();
    if (!seen) return undefined;
    const file = this.watcher.file;
    if (seen.kind === 'invalid') return { kind: 'invalid', file, hash: seen.hash, message: seen.error.message.split('\n')[0] };
    const { next, applied, restart } = mergeEdit(this.inForce, snapshotOf(seen.workflow));
    if (!applied.length && !restart.length) return undefined;
    const c = next.config;
    // An edit to a setting a launch flag had set is newer: it wins, and the flag no longer applies.
    const overrides = overridden(applied, current.options);
    const gone = new Set(overrides.map((x) => x.flag));
    const o = current.options;
    const base: RunOptionsSnapshot = {
      ...o,
      flags: { minutes: !!o.flags?.minutes && !gone.has('--minutes'), rounds: !!o.flags?.rounds && !gone.has('--rounds') },
      provider: gone.has('--provider') ? undefined : o.provider,
      model: gone.has('--model') ? undefined : o.model,
    };
    let agents = current.agents;
    if (applied.some((a) => agentKey(a.key))) {
      try {
        agents = this.buildAgents(workflowFromSnapshot(file, next), { provider: base.provider, model: base.model });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        return { kind: 'invalid', file, hash: seen.hash, message: e.message.split('\n')[0] };
      }
    }
    const live: LiveSettings = { options: optionsOf(c, base), timing: timingOf(c), budget: c.budget, agents };
    this.inForce = next;
    return { kind: 'applied', file, hash: seen.hash, applied, restart, overrides, workflow: next, live };
  }
}
