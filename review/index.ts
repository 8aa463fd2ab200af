export { approve, commitMessage, reject, reviewQueue } from './actions.js';
export { diffLines, type DiffRow } from './diff.js';
export { approvePlan, planCommitMessage, planPath, planQueue, rejectPlan } from './plan-actions.js';
export { keptCep, planAssignment, planCopies } from './plan-summary.js';
