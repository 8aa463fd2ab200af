import type { RunResult, RunSpec, Sandbox } from '../sandboxes/index.js';

/** Process-seconds (ms) by what ran: compiles, check runs, timed runs, and anything else. */
export interface ProcessMs {
  compile: number;
  check: number;
  timed: number;
  other: number;
}

/**
 * A sandbox decorator that measures how much wall time had at least one compile, or at least one
 * kernel process, running: the rest of a run's time is kloop's own overhead.
 */
export class MeteredSandbox implements Sandbox {
  readonly name: string;
  private readonly active = { compile: 0, run: 0 };
  private readonly since = { compile: 0, run: 0 };
  readonly busyMs = { compile: 0, run: 0, any: 0 };
  /**
   * Process-seconds (ms, summed over processes, so two at once count twice) by what ran: compiles,
   * check runs (the gate's cases, one or several a process, oracles, references), timed runs, and anything else (profiles, nm).
   */
  readonly processMs: ProcessMs = { compile: 0, check: 0, timed: 0, other: 0 };
  /**
   * The intervals (performance.now() ms, from and to) of at least `minGapMs` with no compile and no
   * kernel process running, oldest first, at most `maxGaps`: where kloop's own overhead went.
   */
  readonly idleGaps: [number, number][] = [];
  private anyActive = 0;
  private anySince = 0;
  private idleSince: number;

  constructor(
    private readonly inner: Sandbox,
    private readonly isCompiler: (cmd: string) => boolean,
    private readonly now: () => number = () => performance.now(),
    private readonly minGapMs = 5,
    private readonly maxGaps = 100_000,
  ) {
    this.name = inner.name;
    this.idleSince = now();
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const kind = this.isCompiler(spec.cmd) ? 'compile' : 'run';
    const t = this.now();
    if (this.active[kind]++ === 0) this.since[kind] = t;
    if (this.anyActive++ === 0) {
      this.anySince = t;
      if (t - this.idleSince >= this.minGapMs && this.idleGaps.length < this.maxGaps) this.idleGaps.push([this.idleSince, t]);
    }
    try {
      return await this.inner.run(spec);
    } finally {
      const e = this.now();
      this.processMs[kind === 'compile' ? 'compile' : spec.args[0] === 'check' || spec.args[0] === 'cases' ? 'check' : spec.args[0] === 'time' ? 'timed' : 'other'] += e - t;
      if (--this.active[kind] === 0) this.busyMs[kind] += e - this.since[kind];
      if (--this.anyActive === 0) {
        this.busyMs.any += e - this.anySince;
        this.idleSince = e;
      }
    }
  }
}
