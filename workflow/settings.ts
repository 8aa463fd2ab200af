import { ConfigError } from '../common/index.js';
import { ROLES, type Role, type Workflow } from './load.js';
import { PROMPT_SCHEMAS } from './prompt-schema.js';
import { workflowSchema, type WorkflowConfig } from './schema.js';
import { Template, TemplateError } from './template.js';

/**
 * A workflow's effective settings as data: the validated front matter (every default filled in)
 * and each role's prompt template source. This is what the journal keeps, so that `--resume`
 * continues with the configuration in force at the kill, whatever the file says by then.
 */
export interface WorkflowSnapshot {
  config: WorkflowConfig;
  prompts: Partial<Record<Role, string>>;
}

/** One effective setting that differs: its key in the front matter (`loop.candidates`) or its prompt section (`## writer`). */
export interface SettingChange {
  key: string;
  from: string;
  to: string;
}

/**
 * What a running run reads again at a round boundary: its budgets and stop conditions (`loop`,
 * `budget`), the acceptance bar, timing, and the loop's agents (their providers, models, prices
 * and prompt sections). Everything else cannot change under a running run (the targets already
 * running, the device and what measures on it, where memory and runs live, the sandbox, the fleet,
 * git recording, the verification gate: one gate per run; and any section added later until the run
 * reads it live): an edit to it is reported as needing a new run and is not applied.
 */
const LIVE_SECTIONS = ['loop', 'accept', 'timing', 'budget', 'providers', 'pricing'] as const;
const LIVE_AGENTS = ['profiler', 'analyzer', 'writer'] as const;
const LIVE_PROMPTS = ['profiler', 'analyzer', 'writer', 'reflect'];
const LIVE = new RegExp(`^((${LIVE_SECTIONS.join('|')})|agents\\.(${LIVE_AGENTS.join('|')}))([.[]|$)|^## (${LIVE_PROMPTS.join('|')})$`);

export const needsRestart = (key: string): boolean => !LIVE.test(key);

/** Settings whose change means the agents (providers, models, prompt templates, prices) are built again. */
export const agentKey = (key: string): boolean => /^(agents|providers|pricing)\b/.test(key) || key.startsWith('## ');

export function snapshotOf(w: Workflow): WorkflowSnapshot {
  const prompts: WorkflowSnapshot['prompts'] = {};
  for (const r of ROLES) if (w.prompts[r]) prompts[r] = w.prompts[r]!.source;
  return { config: w.config, prompts };
}

/** The workflow a snapshot describes (a journaled one: validated again, as if loaded from `file`). */
export function workflowFromSnapshot(file: string, s: WorkflowSnapshot): Workflow {
  const parsed = workflowSchema.safeParse(s.config);
  if (!parsed.success) throw new ConfigError(file, '', `the configuration journaled for this run no longer validates (${parsed.error.issues[0]?.message}); start a new run`);
  const prompts: Workflow['prompts'] = {};
  for (const r of ROLES) {
    const src = s.prompts[r];
    if (src === undefined) continue;
    try {
      prompts[r] = new Template(src, PROMPT_SCHEMAS[r]);
    } catch (e) {
      if (e instanceof TemplateError) throw new ConfigError(file, `## ${r}`, `${e.message} of the journaled section`);
      throw e;
    }
  }
  return { file, config: parsed.data, prompts };
}

/** Every leaf setting under a dotted key, its value as JSON; a prompt as `## role`. */
export function flattenSettings(s: WorkflowSnapshot): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, key: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (!entries.length && key) out.set(key, '{}');
      for (const [k, x] of entries) walk(x, key ? `${key}.${k}` : k);
    } else if (v !== undefined) out.set(key, JSON.stringify(v));
  };
  walk(s.config, '');
  for (const r of ROLES) if (s.prompts[r] !== undefined) out.set(`## ${r}`, s.prompts[r]!);
  return out;
}

const describe = (key: string, v: string | undefined): string => (v === undefined ? '(unset)' : key.startsWith('## ') ? `${v.length} chars` : v);

/** The settings that differ between two snapshots, in a stable order. */
export function diffSettings(a: WorkflowSnapshot, b: WorkflowSnapshot): SettingChange[] {
  const fa = flattenSettings(a);
  const fb = flattenSettings(b);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])];
  return keys.filter((k) => fa.get(k) !== fb.get(k)).map((k) => ({ key: k, from: describe(k, fa.get(k)), to: describe(k, fb.get(k)) }));
}

/**
 * What a valid edit does to the configuration in force: every section that may change mid-run
 * takes the edited value; the sections that cannot keep the value in force, and the edit to them
 * is listed under `restart`.
 */
export function mergeEdit(inForce: WorkflowSnapshot, edited: WorkflowSnapshot): { next: WorkflowSnapshot; applied: SettingChange[]; restart: SettingChange[] } {
  const config = { ...inForce.config } as Record<string, unknown>;
  for (const s of LIVE_SECTIONS) config[s] = edited.config[s];
  config.agents = { ...inForce.config.agents, ...Object.fromEntries(LIVE_AGENTS.map((r) => [r, edited.config.agents[r]])) };
  const prompts = { ...inForce.prompts };
  for (const r of ROLES) if (LIVE_PROMPTS.includes(r)) prompts[r] = edited.prompts[r];
  for (const r of ROLES) if (prompts[r] === undefined) delete prompts[r];
  const next: WorkflowSnapshot = { config: config as WorkflowConfig, prompts };
  const all = diffSettings(inForce, edited);
  return { next, applied: all.filter((c) => !needsRestart(c.key)), restart: all.filter((c) => needsRestart(c.key)) };
}
