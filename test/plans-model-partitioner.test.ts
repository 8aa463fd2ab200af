import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAgents } from '../agents/index.js';
import { LowdbStore } from '../memory/index.js';
import { costModel, HOSTILE_PLANS, planRound, planWorkload, proposeWithModel, type CepPlan, type PlanProposer } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow, parseWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';
import { cpuDescriptor, executor, references, smallWorkload } from './plan-helpers.js';

const w = smallWorkload();
const d = cpuDescriptor('cpu-model', 2);
const kernels = references(w);
const measured = new Map(w.nodes.map((n, i) => [n.name, (i + 1) * 1e5]));
const plans = planWorkload({ workload: w, descriptor: d, kernels, measured, cores: [0, 1] });
const template = loadWorkflow(DEFAULT_WORKFLOW).prompts.partitioner!;
const descriptors = new Map([[d.fingerprint.id, d]]);
const costFor = (devices: CepPlan['devices']) => costModel({ devices, descriptors, kernels, measured });

/** A scripted in-process provider: replies with what the test gives, records the prompt. */
function scripted(reply: string | Error): PlanProposer & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    template,
    provider: {
      generate: async (req) => {
        prompts.push(req.messages[0].content);
        if (reply instanceof Error) throw reply;
        return { text: reply };
      },
    },
  };
}
const fenced = (p: unknown) => `Here is my plan.\n\n\`\`\`json\n${JSON.stringify(p, null, 2)}\n\`\`\`\n`;
const groupsPlan = plans.sets.find((s) => s.set === '2 core groups')!.candidate.plan;

describe('the model-backed partitioner', () => {
  it('is prompted with the workload, the devices, measured node times and GP1’s plan; a valid reply is predicted like GP1’s', async () => {
    const p = scripted(fenced(groupsPlan));
    const r = await proposeWithModel({ proposer: p, workload: w, descriptor: d, plans, measured, costFor });
    expect(p.prompts[0]).toContain('Plan workload small');
    expect(p.prompts[0]).toMatch(/- cpu-g1: cpu AMD EPYC 7B13, ACP cpu-model, cores 1/);
    expect(p.prompts[0]).toMatch(/- mm: sgemm: void sgemm\(.*\) at M=12 N=10 K=16; 12 rows along M; reads A <- ln\.Y, B <- mm\.B; 0\.200 ms/);
    expect(p.prompts[0]).toContain(JSON.stringify(groupsPlan));
    expect(r.problem).toBeUndefined();
    expect(r.candidate!.plan.predicted).toMatchObject({ by: 'model partitioner' });
    expect(r.candidate!.sim.ms).toBeCloseTo(plans.sets[1].candidate.sim.ms, 6);
  });

  it.each([
    ['a reply without JSON', () => 'I would split the matrix products.', /not a valid CEP plan/],
    ['a malformed plan', () => fenced({ ...groupsPlan, steps: 'all of them' }), /not a valid CEP plan: the partitioner: cep plan: steps: /],
    ['a hostile plan', () => fenced(HOSTILE_PLANS.find((h) => h.name === 'dropped-slice')!.mutate(groupsPlan)), /refused: node \w+: rows .* \(a dropped slice\)/],
    ['a device it was not offered', () => fenced({ ...groupsPlan, devices: groupsPlan.devices.map((x) => ({ ...x, cores: [x.cores![0] + 4] })) }), /names device cpu-g0 \(cpu-model, cores 4\), which was not offered/],
    ['a provider that fails', () => new Error('HTTP 529 overloaded'), /the partitioner's provider failed: HTTP 529 overloaded/],
  ])('%s is a verdict, not a crash', async (_what, reply, problem) => {
    const r = await proposeWithModel({ proposer: scripted(reply()), workload: w, descriptor: d, plans, measured, costFor });
    expect(r.candidate).toBeUndefined();
    expect(r.problem).toMatch(problem);
  });

  it('in a plan round, a refused proposal is reported and the round goes on with GP1’s plan', async () => {
    const memory = LowdbStore.memory();
    const r = await planRound({
      workload: w,
      descriptor: d,
      kernels,
      executor: executor(),
      memory,
      dir: tmp(),
      runId: 'r',
      minSpeedup: 0,
      pairs: 2,
      reps: 1,
      targetMs: 5,
      seed: 3,
      now: () => 'now',
      proposer: scripted('no plan today'),
    });
    expect(r.model).toMatch(/not a valid CEP plan/);
    expect(r.set).not.toBe('model partitioner');
  }, 60_000);

  it('is configured like the other roles (agents.partitioner) and needs its "## partitioner" section', () => {
    const text = readFileSync(DEFAULT_WORKFLOW, 'utf8').replace(/^agents:\n/m, 'agents:\n  partitioner: { provider: command, command: { argv: [cat] } }\n');
    const opts = { env: {}, sandbox: new ProcessSandbox(), scratchDir: tmp(), onUsage: () => {}, warn: () => {} };
    const withSection = parseWorkflow('WORKFLOW.md', text);
    const agents = createAgents({ ...opts, workflow: withSection });
    expect(agents.partitioner).toBeDefined();
    expect(agents.describe.partitioner).toBe('command/cat');
    expect(createAgents({ ...opts, workflow: loadWorkflow(DEFAULT_WORKFLOW) }).partitioner).toBeUndefined();
    const noSection = parseWorkflow('WORKFLOW.md', text.replace(/\n## partitioner[\s\S]*$/, '\n'));
    expect(() => createAgents({ ...opts, workflow: noSection })).toThrow(/WORKFLOW\.md: ## partitioner: a model-backed partitioner needs a "## partitioner" prompt section/);
  });
});
