import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configErrorFromZod, didYouMean, packageRoot, shortHash, UserError } from '../common/index.js';
import { PROMPT_SCHEMAS } from './prompt-schema.js';
import { workflowSchema, type WorkflowConfig } from './schema.js';
import { Template, TemplateError } from './template.js';

/** Prompt sections of the body: one per agent role, plus the analyzer's reflection. */
export const ROLES = ['profiler', 'analyzer', 'writer', 'reflect', 'partitioner'] as const;
export type Role = (typeof ROLES)[number];

export interface Workflow {
  file: string;
  config: WorkflowConfig;
  /** One prompt template per role, from the body's "## role" sections, validated. */
  prompts: Partial<Record<Role, Template>>;
  /** The content hash of the text it was loaded from (a reload compares it); absent when rebuilt from a journal. */
  hash?: string;
}

/** The content hash of a WORKFLOW.md text, as the journal and the watcher compare it. */
export const workflowHash = (text: string): string => shortHash('workflow', text);

/** The WORKFLOW.md shipped with kloop: the embedded defaults. */
export const DEFAULT_WORKFLOW = join(packageRoot(), 'WORKFLOW.md');

/** Split "---\nyaml\n---\nbody". */
export function splitFrontMatter(file: string, text: string): { yaml: string; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!m) throw new ConfigError(file, '', 'must start with YAML front matter between "---" lines');
  return { yaml: m[1], body: m[2] };
}

export function parseSections(file: string, body: string): Partial<Record<Role, Template>> {
  const prompts: Partial<Record<Role, Template>> = {};
  const parts = body.split(/^## +(.+)$/m);
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i].trim().toLowerCase();
    if (!(ROLES as readonly string[]).includes(name)) throw new ConfigError(file, `## ${parts[i].trim()}`, `unknown role section${didYouMean(name, ROLES)}; sections are ${ROLES.join(', ')}`);
    try {
      prompts[name as Role] = new Template(parts[i + 1].trim(), PROMPT_SCHEMAS[name as Role]);
    } catch (e) {
      if (e instanceof TemplateError) throw new ConfigError(file, `## ${name}`, `${e.message} of the section`);
      throw e;
    }
  }
  return prompts;
}

/** Load WORKFLOW.md in four steps: split, parse YAML, validate strictly, typed error. */
export function loadWorkflow(path?: string): Workflow {
  const file = resolve(path ?? (existsSync('WORKFLOW.md') ? 'WORKFLOW.md' : DEFAULT_WORKFLOW));
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  return parseWorkflow(file, readFileSync(file, 'utf8'));
}

/** The same four steps on text already read (a reload parses exactly the text it hashed). */
export function parseWorkflow(file: string, text: string): Workflow {
  const { yaml, body } = splitFrontMatter(file, text);
  let raw: unknown;
  try {
    raw = parseYaml(yaml) ?? {};
  } catch (e) {
    throw new ConfigError(file, '', `invalid YAML in the front matter: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, '', 'the front matter must be a YAML mapping');
  const parsed = workflowSchema.safeParse(raw);
  if (!parsed.success) throw configErrorFromZod(file, workflowSchema, parsed.error);
  return { file, config: parsed.data, prompts: parseSections(file, body), hash: workflowHash(text) };
}
