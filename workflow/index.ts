export { DEFAULT_WORKFLOW, loadWorkflow, parseSections, ROLES, splitFrontMatter, type Role, type Workflow } from './load.js';
export { workflowSchema, type WorkflowConfig } from './schema.js';
