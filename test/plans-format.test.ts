import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng, UserError } from '../common/index.js';
import { bindPlan, buildPlan, checkPlan, cepJsonSchema, cepSchemaFile, parsePlan, PlanError, type CepPlan } from '../plans/index.js';
import { cpuDescriptor, groups, smallWorkload } from './plan-helpers.js';

const w = smallWorkload();
const d = cpuDescriptor();
const good = (): CepPlan =>
  structuredClone(
    buildPlan(
      w,
      groups(d),
      0,
      w.nodes.map((n) =>
        n.rows
          ? [
              { device: 0, rows: [0, 4] },
              { device: 1, rows: [4, n.rows.extent] },
            ]
          : [{ device: 1, rows: [0, 1] }],
      ),
    ),
  );

function refused(edit: (p: Record<string, unknown>) => void, through: 'parse' | 'bind' = 'parse'): string {
  const p = good() as unknown as Record<string, unknown>;
  edit(p);
  try {
    const plan = parsePlan(JSON.parse(JSON.stringify(p)), 'plan.json');
    if (through === 'bind') bindPlan(plan, w, 'plan.json');
  } catch (e) {
    expect(e).toBeInstanceOf(PlanError);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message.split('\n')).toHaveLength(1);
    return (e as Error).message;
  }
  throw new Error('accepted');
}
const steps = (p: Record<string, unknown>) => p.steps as Record<string, unknown>[];

describe('CEP plan format', () => {
  it('a plan GP1 builds round-trips through JSON and the validator', () => {
    const p = good();
    expect(parsePlan(JSON.stringify(p), 'x')).toEqual(p);
    expect(p.cep).toBe(1);
  });

  it('the committed JSON Schema file is what the code generates (npm run cep:schema rewrites it)', () => {
    expect(JSON.parse(readFileSync(cepSchemaFile(), 'utf8'))).toEqual(cepJsonSchema());
  });

  it.each([
    ['not JSON', () => parsePlan('{"cep": 1,', 'plan.json'), /^plan\.json: cep plan: not JSON/],
    ['not an object', () => parsePlan('[1]', 'plan.json'), /^plan\.json: cep plan: expected a JSON object, got an array$/],
    ['a newer version', () => parsePlan({ ...good(), cep: 2 }, 'plan.json'), /^plan\.json: cep plan: cep: version 2 is newer than this kloop reads \(version 1\); upgrade kloop$/],
  ])('refuses %s in one line', (_w, f, m) => {
    expect(f).toThrow(m);
  });

  it.each([
    ['an unknown key, with a suggestion', (p: Record<string, unknown>) => ((p.hoem = p.home), delete p.home), /plan\.json: cep plan: hoem: unknown key \(did you mean "home"\?\)/],
    ['an unknown step op', (p: Record<string, unknown>) => (steps(p)[0].op = 'move'), /steps\[0\]\.op: /],
    ['rows backwards', (p: Record<string, unknown>) => (steps(p).find((s) => s.rows)!.rows = [5, 2]), /steps\[\d+\]\.rows: expected \[first, end\) with first < end/],
    ['a step without a device', (p: Record<string, unknown>) => delete steps(p)[0].device, /steps\[0\]\.device: /],
    ['a malformed array name', (p: Record<string, unknown>) => (steps(p).find((s) => s.op === 'copy')!.array = 'mmC'), /steps\[\d+\]\.array: expected NODE\.ARRAY/],
    ['a core number that is not an integer', (p: Record<string, unknown>) => ((p.devices as Record<string, unknown>[])[0].cores = [0.5]), /devices\[0\]\.cores\[0\]: /],
  ])('refuses %s with the field named', (_w, edit, m) => {
    expect(refused(edit)).toMatch(m);
  });

  it.each([
    ['another workload', (p: Record<string, unknown>) => (p.workload = { name: 'other', hash: 'x' }), /workload\.name: the plan is for workload "other", not "small"/],
    ['another version of the workload', (p: Record<string, unknown>) => ((p.workload as { hash: string }).hash = 'abc'), /workload\.hash: the plan was made for another version of small .*make it again with kloop plan small/],
    ['an unknown device', (p: Record<string, unknown>) => (steps(p)[0].device = 'gpu0'), /steps\[0\]\.device: no device "gpu0" \(devices: cpu-g0, cpu-g1\)/],
    ['an unknown home', (p: Record<string, unknown>) => (p.home = 'cpu-g2'), /home: no device "cpu-g2" \(did you mean "cpu-g0"\?\)/],
    ['an unknown node', (p: Record<string, unknown>) => (steps(p).find((s) => s.op === 'run')!.node = 'lm'), /steps\[\d+\]\.node: no node "lm" \(did you mean "ln"\?\)/],
    ['an unknown array', (p: Record<string, unknown>) => (steps(p).find((s) => s.op === 'copy')!.array = 'mm.D'), /steps\[\d+\]\.array: no array "mm\.D" in small/],
    ['a step waiting on no step', (p: Record<string, unknown>) => (steps(p)[1].after = ['nope']), /steps\[1\]\.after\[0\]: no step "nope"/],
    ['two steps with one id', (p: Record<string, unknown>) => (steps(p)[1].id = steps(p)[0].id), /steps\[1\]\.id: ".*" names two steps/],
    ['rows past the node', (p: Record<string, unknown>) => (steps(p).find((s) => s.rows && s.op === 'run')!.rows = [0, 99]), /steps\[\d+\]\.rows: node \w+ has \d+ rows along \w+; \[0, 99\) goes past them/],
    ['rows on a node that does not split', (p: Record<string, unknown>) => (steps(p).find((s) => s.node === 'tot')!.rows = [0, 1]), /node tot does not split into rows/],
    [
      'a copy into its own device',
      (p: Record<string, unknown>) => {
        const c = steps(p).find((s) => s.op === 'copy')!;
        c.from = c.device;
      },
      /steps\[\d+\]\.from: copies .* into itself/,
    ],
  ])('refuses a plan naming %s, in one line', (_w, edit, m) => {
    expect(refused(edit, 'bind')).toMatch(m);
  });
});

describe('mutated plans', () => {
  it('500 mutations of a valid plan: each is valid, refused in one line, or rejected by the static check; never a crash', () => {
    const rng = new Rng(42);
    const base = good();
    const values: unknown[] = [null, -1, 0, 1, 3, 1e9, 2.5, '', 'cpu-g0', 'cpu-g1', 'gpu', 'ln', 'mm.C', 'sm.Y', 'x.y', 'run', 'copy', [], [0], [0, 1], [3, 2], [0, 1e6], {}, true, base.steps[0].id, [base.steps[1].id]];
    const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] => (typeof v === 'object' && v !== null ? [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))] : [at]);
    const outcomes = { valid: 0, refused: 0, rejected: 0 };
    for (let k = 0; k < 500; k++) {
      const p = structuredClone(base) as unknown as Record<string, unknown>;
      const all = paths(p).filter((x) => x.length > 0);
      const path = all[Math.floor(rng.next() * all.length)];
      let parent = p as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path[path.length - 1];
      if (rng.next() < 0.2 && !Array.isArray(parent)) delete parent[last];
      else parent[last] = structuredClone(values[Math.floor(rng.next() * values.length)]);
      try {
        const v = checkPlan(bindPlan(parsePlan(JSON.stringify(p), 'plan.json'), w, 'plan.json'));
        if (v.ok) outcomes.valid++;
        else {
          expect(v.reason.split('\n')).toHaveLength(1);
          outcomes.rejected++;
        }
      } catch (e) {
        expect(e, (e as Error).stack).toBeInstanceOf(PlanError);
        expect((e as Error).message.split('\n')).toHaveLength(1);
        outcomes.refused++;
      }
    }
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(10);
  });
});
