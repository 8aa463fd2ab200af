export { benchWork, cacheSizesOf, CONTEXT_FEATURES, FEATURE_COUNT, FEATURE_NAMES, featurize, named, type FeatureContext } from './features.js';
export { nestFacts, type NestFacts } from './nest-facts.js';
export { OnlineRidge, type RidgeFit, type RidgeOptions, type RidgeState } from './regressor.js';
export { Cm1Model, cm1Inputs, CM1_INPUTS, CM1_MIN_TRAINED, CM1_PRIOR, CM1_SIGNATURE, type Cm1Json, type ComputeModel, type ModelQuery, type Prediction } from './compute-model.js';
export { describeModelQuality, median, modelQuality, ranks, spearman, type ModelQuality, type QualityPair } from './quality.js';
