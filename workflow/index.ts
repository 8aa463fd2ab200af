export { DEFAULT_WORKFLOW, loadWorkflow, parseSections, parseWorkflow, ROLES, splitFrontMatter, workflowHash, type Role, type Workflow } from './load.js';
export { workflowSchema, type WorkflowConfig } from './schema.js';
export { FILTERS, parseTemplate, renderTemplate, Template, TemplateError, validateTemplate, type VarSchema } from './template.js';
export { PROMPT_SCHEMAS } from './prompt-schema.js';
export { agentKey, diffSettings, flattenSettings, mergeEdit, needsRestart, snapshotOf, workflowFromSnapshot, type SettingChange, type WorkflowSnapshot } from './settings.js';
export { WorkflowWatcher, type WorkflowPoll } from './watch.js';
