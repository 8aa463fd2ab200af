export { FleetClient, FleetJobFailed, type JobTrip } from './client.js';
export { fleetEvaluator, type FleetSettings } from './fleet-evaluator.js';
export { JOB_VERSION, jobSchema, JobRefused, parseJob, type Job, type JobResult } from './job.js';
export { CLASS_PATTERN, KEYS, QUEUE_PREFIX, queueName } from './names.js';
export { checkUrl, connectRedis, redactUrl } from './redis.js';
export { listWorkers, type WorkerRecord } from './registry.js';
export { harnessVersion, resultKey, targetDigest } from './result-key.js';
export { fleetStatus, type FleetStatus } from './status.js';
export { describeResult, startWorker, type FleetWorker, type WorkerOptions } from './worker.js';
