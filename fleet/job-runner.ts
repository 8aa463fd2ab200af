import { join } from 'node:path';
import type { DeviceProfile } from '../devices/index.js';
import { composeDevice, composeSandbox } from '../loop/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { evaluateJob, jobContext, type JobContext } from './evaluate-job.js';
import { JobRefused, type Job, type JobResult } from './job.js';

/**
 * The process a worker runs its jobs in (one per concurrent job), so that a job past its time
 * limit can be killed with everything it started: its sandboxed processes are started by the
 * sandbox's helper, which kills them all when this process dies. It lives as long as its worker:
 * when the worker's channel closes (the worker exited or was killed) it exits too.
 */
export interface RunnerInit {
  type: 'init';
  workflowFile: string;
  kind: 'cpu' | 'cuda';
  profile: DeviceProfile;
  workDir: string;
}
export type ToRunner = RunnerInit | { type: 'job'; job: Job; key: string; worker: string };
export type FromRunner = { type: 'ready' } | { type: 'result'; key: string; result: JobResult } | { type: 'error'; key: string; message: string; refused: boolean };

let ctx: JobContext | undefined;

function init(m: RunnerInit): void {
  const workflow = loadWorkflow(m.workflowFile);
  const cacheDir = join(m.workDir, 'cache');
  const plan = composeSandbox(workflow, cacheDir);
  const { device } = composeDevice({ workflow, sandbox: plan.sandbox, cacheDir, kind: m.kind, readOnly: [m.workDir] });
  ctx = jobContext(device, m.profile, m.workDir);
  process.send!({ type: 'ready' });
}

async function run(m: Extract<ToRunner, { type: 'job' }>): Promise<FromRunner> {
  try {
    return { type: 'result', key: m.key, result: await evaluateJob(ctx!, m.job, m.key, m.worker) };
  } catch (e) {
    const refused = e instanceof JobRefused;
    return { type: 'error', key: m.key, message: refused ? (e as Error).message : ((e as Error).stack ?? String(e)), refused };
  }
}

process.on('message', (m: ToRunner) => {
  if (m.type === 'init') init(m);
  else void run(m).then((reply) => process.send!(reply));
});
process.on('disconnect', () => process.exit(0));
