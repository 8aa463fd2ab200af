export { DEFAULT_WORKFLOW, loadWorkflow, parseSections, ROLES, splitFrontMatter, type Role, type Workflow } from './load.js';
export { workflowSchema, type WorkflowConfig } from './schema.js';
export { FILTERS, parseTemplate, renderTemplate, Template, TemplateError, validateTemplate, type VarSchema } from './template.js';
export { PROMPT_SCHEMAS } from './prompt-schema.js';
