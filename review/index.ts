export { approve, commitMessage, reject, reviewQueue } from './actions.js';
export { diffLines, type DiffRow } from './diff.js';
