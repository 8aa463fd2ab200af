import { startWorker } from '../fleet/index.js';
import { loadWorkflow } from '../workflow/index.js';

export interface WorkerCommandOptions {
  redis: string;
  class?: string;
  concurrency: number;
  name?: string;
  memory?: string;
  lockMs: number;
  stalledMs: number;
  heartbeatMs: number;
}

/**
 * `kloop worker --redis URL`: serve a device class until SIGTERM or SIGINT, then finish the running
 * job, leave the registry and exit. One line per job on stdout.
 */
export async function workerCommand(file: string | undefined, o: WorkerCommandOptions): Promise<void> {
  const workflow = loadWorkflow(file);
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const worker = await startWorker({
    url: o.redis,
    workflow,
    cwd: process.cwd(),
    deviceClass: o.class,
    concurrency: o.concurrency,
    name: o.name,
    memoryPath: o.memory,
    lockMs: o.lockMs,
    stalledMs: o.stalledMs,
    heartbeatMs: o.heartbeatMs,
    log,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: finishing the running job, then leaving`);
      void worker.close().finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
