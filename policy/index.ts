export { workloadLogGain, workloadSpeedup } from './amdahl.js';
export { addGain, addSpend, armOf, closeOpen, emptyPolicyStats, endRound, recordProposal, setRoof, startRound, type ArmStats, type PolicyStats, type RoundRecord } from './arm-stats.js';
export { doesNotFit, expectedCost, type Left, type RoundCost } from './budget-fit.js';
export { decide, type Decision, type DecisionArm, type PolicyArm } from './decide.js';
export { FAMILY_BANDIT, familyOf, familyWeights, proposalReward, type FamilyBanditConfig } from './family-bandit.js';
export { scoreTargets, TARGET_BANDIT, type ArmScore, type TargetBanditConfig } from './target-bandit.js';
