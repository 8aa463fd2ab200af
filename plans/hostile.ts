import type { CepPlan, CepStep } from './schema.js';

/**
 * Hostile plans: mutations of a valid plan that CEP verification must refuse. Each applies to any
 * plan with what it needs (a split node, a copy …) and returns undefined otherwise. `changes` says
 * whether running the mutant changes what the plan computes (then the execution alone, without the
 * static check, must also catch it); overlapping slices and a deadlock do not (the first computes
 * the same values twice, the second never runs): only the static check refuses those.
 */
export interface HostilePlan {
  name: string;
  what: string;
  changes: boolean;
  mutate(plan: CepPlan): CepPlan | undefined;
}

const clone = (p: CepPlan): CepPlan => structuredClone(p);
const splitRuns = (p: CepPlan) => p.steps.filter((s): s is Extract<CepStep, { op: 'run' }> => s.op === 'run' && s.rows !== undefined);
const copies = (p: CepPlan) => p.steps.filter((s): s is Extract<CepStep, { op: 'copy' }> => s.op === 'copy');
/** Remove steps, and every wait on them. */
const without = (p: CepPlan, ids: string[]): CepPlan => ({ ...p, steps: p.steps.filter((s) => !ids.includes(s.id)).map((s) => ({ ...s, after: s.after.filter((a) => !ids.includes(a)) })) });

export const HOSTILE_PLANS: HostilePlan[] = [
  {
    name: 'dropped-slice',
    what: 'one slice of a split node is never run',
    changes: true,
    mutate: (p) => {
      const s = splitRuns(p)[0];
      return s && without(clone(p), [s.id]);
    },
  },
  {
    name: 'overlapping-slices',
    what: 'a slice also runs the first row of the next slice',
    changes: false,
    mutate: (p) => {
      const q = clone(p);
      const runs = splitRuns(q);
      const a = runs.find((r) => runs.some((b) => b.node === r.node && b.rows![0] === r.rows![1]));
      if (!a) return undefined;
      a.rows = [a.rows![0], a.rows![1] + 1];
      return q;
    },
  },
  {
    name: 'skipped-transfer',
    what: 'a copy a later step needs is left out',
    changes: true,
    mutate: (p) => {
      const c = copies(p).find((x) => p.steps.some((s) => s.op === 'run' && s.device === x.device && p.steps.indexOf(s) > p.steps.indexOf(x)));
      return c && without(clone(p), [c.id]);
    },
  },
  {
    name: 'stale-read',
    what: 'a copy does not wait for the step that writes its rows',
    changes: true,
    mutate: (p) => {
      const q = clone(p);
      const c = copies(q).find((x) => x.after.length > 0);
      if (!c) return undefined;
      c.after = [];
      // Run it first on its device, before anything it could have waited for by program order.
      q.steps = [c, ...q.steps.filter((s) => s !== c)];
      return q;
    },
  },
  {
    name: 'short-transfer',
    what: 'a copy moves one row fewer than its reader needs',
    changes: true,
    mutate: (p) => {
      const q = clone(p);
      const c = copies(q).find((x) => (x.rows ? x.rows[1] - x.rows[0] : 2) > 1 && x.rows);
      if (!c) return undefined;
      c.rows = [c.rows![0], c.rows![1] - 1];
      return q;
    },
  },
  {
    name: 'wrong-device',
    what: 'a slice runs on a device its inputs were never copied to',
    changes: true,
    mutate: (p) => {
      const q = clone(p);
      const r = splitRuns(q).find((s) => s.device !== q.home);
      if (!r) return undefined;
      // The slice moves to home: the copies that read its rows where it was read nothing written there.
      r.device = q.home;
      return q;
    },
  },
  {
    name: 'output-left-away',
    what: 'the rows of an output computed away from home are never copied home',
    changes: true,
    mutate: (p) => {
      const last = copies(p).filter((c) => c.device === p.home && !p.steps.some((s) => s.op === 'run' && p.steps.indexOf(s) > p.steps.indexOf(c)));
      return last.length
        ? without(
            clone(p),
            last.map((c) => c.id),
          )
        : undefined;
    },
  },
  {
    name: 'deadlock',
    what: 'two steps on different devices wait on each other',
    changes: false,
    mutate: (p) => {
      const q = clone(p);
      const c = copies(q).find((x) => x.after.length > 0);
      if (!c) return undefined;
      const w = q.steps.find((s) => s.id === c.after[0])!;
      w.after = [...w.after, c.id];
      return q;
    },
  },
];
