import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../common/index.js';
import type { Device } from '../devices/index.js';
import { describeExit } from '../sandboxes/index.js';
import type { Size, Target } from '../targets/index.js';
import { compareOutputs } from './compare.js';
import { DISTRIBUTIONS, makeInputs, type Distribution } from './inputs.js';
import { formatSize, hiddenSizes } from './sizes.js';
import type { CaseRecord, Verdict } from './verdict.js';

const EXIT_GUARD = 3;

export interface CheckCase {
  size: Size;
  distribution: Distribution;
  seed: number;
  hidden: boolean;
  inputFile: string;
  oracleFile: string;
  inputs: Map<string, Buffer>;
}

/** The checks of one round for one target: fresh seeds, inputs written once, oracle run once. */
export interface CheckPlan {
  target: Target;
  cases: CheckCase[];
}

export interface VerifierOptions {
  device: Device;
  hiddenSizes?: number;
  caseTimeoutMs?: number;
}

export class Verifier {
  constructor(private readonly opts: VerifierOptions) {}

  /** Make the round's cases and their expected values (oracle = reference in double with error bounds). */
  async prepare(target: Target, seed: number, dir: string): Promise<CheckPlan> {
    mkdirSync(dir, { recursive: true });
    const oracle = await this.opts.device.buildOracle({ target, workDir: dir });
    if (!oracle.ok) throw new Error(`the reference of ${target.name} does not build as the oracle (C++ with a tracked scalar):\n${oracle.log}`);
    const rng = new Rng(seed);
    const sizes = [...target.checkSizes.map((s) => ({ s, hidden: false })), ...hiddenSizes(target, rng.u32(), this.opts.hiddenSizes ?? 6).map((s) => ({ s, hidden: true }))];
    const cases: CheckCase[] = [];
    for (const [i, { s, hidden }] of sizes.entries()) {
      const caseSeed = rng.u32();
      const distribution = DISTRIBUTIONS[(i + seed) % DISTRIBUTIONS.length];
      const inputs = makeInputs(target, s, caseSeed, distribution);
      const inputFile = join(dir, `case${i}.in`);
      const oracleFile = join(dir, `case${i}.oracle`);
      writeFileSync(inputFile, inputs.bytes);
      const r = await this.opts.device.check({ binary: oracle.binary!, target, size: s, input: inputFile, output: oracleFile, poison: 0, workDir: dir, timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`the oracle of ${target.name} failed at ${formatSize(s)} (${describeExit(r)}): ${r.stderr.slice(0, 500)}`);
      cases.push({ size: s, distribution, seed: caseSeed, hidden, inputFile, oracleFile, inputs: inputs.arrays });
    }
    return { target, cases };
  }

  /** Run every case in its own process and compare in ours. The first failure decides. */
  async verify(plan: CheckPlan, binary: string, workDir: string): Promise<Verdict> {
    const { target } = plan;
    const records: CaseRecord[] = [];
    let maxErrorRatio = 0;
    for (const [i, c] of plan.cases.entries()) {
      const out = join(workDir, `check${i}.out`);
      const poison = i % 2 === 0 ? 0x7fc0dead : new Rng(c.seed).u32();
      const r = await this.opts.device.check({ binary, target, size: c.size, input: c.inputFile, output: out, poison, workDir, timeoutMs: this.opts.caseTimeoutMs ?? 10_000 });
      const rec: CaseRecord = { size: c.size, distribution: c.distribution, seed: c.seed, hidden: c.hidden, ok: false, ms: r.wallMs };
      records.push(rec);
      const repro = { size: c.size, seed: c.seed, distribution: c.distribution };
      if (r.exitCode === EXIT_GUARD) return { status: 'rejected', layer: 'bounds', reason: r.stderr.trim().split('\n').pop()!, reproducer: repro, cases: records, maxErrorRatio };
      if (r.exitCode !== 0 || r.timedOut)
        return { status: 'rejected', layer: 'run', reason: `the kernel ${describeExit(r)} at ${formatSize(c.size)}`, detail: r.stderr.slice(0, 4000), reproducer: repro, cases: records, maxErrorRatio };
      const cmp = compareOutputs(target, c.size, c.inputs, readFileSync(out), readFileSync(c.oracleFile));
      if (!cmp.ok) {
        if (cmp.kind === 'mutated-input') return { status: 'rejected', layer: 'inputs', reason: `input ${cmp.array} was modified (element ${cmp.index})`, reproducer: { ...repro, array: cmp.array }, cases: records, maxErrorRatio };
        if (cmp.kind === 'short-output') return { status: 'rejected', layer: 'run', reason: cmp.detail, reproducer: repro, cases: records, maxErrorRatio };
        return {
          status: 'rejected',
          layer: 'compare',
          reason: `wrong ${cmp.array}[${cmp.index.join('][')}]: got ${cmp.got}, expected ${cmp.expected} ± ${cmp.tolerance.toExponential(2)} (${cmp.count} elements wrong)`,
          reproducer: { ...repro, array: cmp.array, index: cmp.index, got: cmp.got, expected: cmp.expected, tolerance: cmp.tolerance },
          cases: records,
          maxErrorRatio,
        };
      }
      rec.ok = true;
      maxErrorRatio = Math.max(maxErrorRatio, cmp.maxErrorRatio);
    }
    return { status: 'tested', cases: records, maxErrorRatio };
  }
}
