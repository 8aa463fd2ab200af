import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink';
import { openMemory } from '../loop/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { approve, approvePlan, planQueue, reject, rejectPlan, reviewQueue } from '../review/index.js';
import { ReviewApp, type ReviewActions } from '../tui/review-app.js';
import { keptPlansList } from './plan-command.js';

/** `kloop review`: the queue of kept winners and kept CEP plans across runs, in the terminal. */
export async function reviewCommand(opts: { memory?: string; target?: string; run?: string }): Promise<void> {
  // The memory every kloop process shares (compose.ts): --memory, else the workflow's memory.path.
  const memory = openMemory(loadWorkflow(), process.cwd(), opts.memory);
  const actions: ReviewActions = {
    load: () => reviewQueue(memory, { target: opts.target, runId: opts.run }),
    approve: async (w) => {
      const r = await approve(memory, w);
      return `approved ${w.candidateId}: written to ${r.path}${r.commit ? `, committed ${r.commit.slice(0, 10)}` : ` (${r.note})`}`;
    },
    reject: async (w, reason) => {
      await reject(memory, w, reason);
      return `rejected ${w.candidateId}: "${reason}" recorded in memory for the analyzer`;
    },
    edit: async (w) => {
      const f = join(tmpdir(), `${w.candidateId}.c`);
      writeFileSync(f, w.source);
      spawnSync(process.env.EDITOR || 'vi', [f], { stdio: 'inherit' });
    },
    // Kept plans (kloop run --workload): --target names a workload here, --run the run that kept it.
    plans: {
      load: () => planQueue(memory, { workload: opts.target, runId: opts.run }),
      approve: async (p) => {
        const r = await approvePlan(memory, p);
        return `approved the plan for ${p.workload} on ${p.devices}: written to ${r.path}${r.commit ? `, committed ${r.commit.slice(0, 10)}` : ` (${r.note})`}`;
      },
      reject: async (p, reason) => {
        await rejectPlan(memory, p, reason);
        return `rejected the plan for ${p.workload} on ${p.devices}: "${reason}" recorded in memory for the partitioner; the same plan is not kept again`;
      },
    },
  };
  if (!process.stdin.isTTY) {
    // Off a terminal there are no keys to press: list the queue, one line per winner.
    const queue = await actions.load();
    console.log(`${queue.length} winner(s) to review (run kloop review in a terminal to decide):`);
    for (const w of queue) console.log(`${w.candidateId}\t${w.target}\t${w.speedup.toFixed(2)}x (CI ${w.ciLow.toFixed(2)}-${w.ciHigh.toFixed(2)})\t${w.verdict}\t${w.description}`);
    // Kept CEP plans not yet reviewed (kloop run --workload), with what was measured when each was kept.
    const plans = await actions.plans!.load();
    if (plans.length) console.log(`\n${plans.length} kept plan(s):\n${keptPlansList(plans)}`);
    return;
  }
  const app = render(<ReviewApp actions={actions} />);
  await app.waitUntilExit();
}
