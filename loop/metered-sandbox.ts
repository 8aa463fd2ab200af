import type { RunResult, RunSpec, Sandbox } from '../sandboxes/index.js';

/**
 * A sandbox decorator that measures how much wall time had at least one compile, or at least one
 * kernel process, running: the rest of a run's time is kloop's own overhead.
 */
export class MeteredSandbox implements Sandbox {
  readonly name: string;
  private readonly active = { compile: 0, run: 0 };
  private readonly since = { compile: 0, run: 0 };
  readonly busyMs = { compile: 0, run: 0, any: 0 };
  private anyActive = 0;
  private anySince = 0;

  constructor(
    private readonly inner: Sandbox,
    private readonly isCompiler: (cmd: string) => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.name = inner.name;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const kind = this.isCompiler(spec.cmd) ? 'compile' : 'run';
    const t = this.now();
    if (this.active[kind]++ === 0) this.since[kind] = t;
    if (this.anyActive++ === 0) this.anySince = t;
    try {
      return await this.inner.run(spec);
    } finally {
      const e = this.now();
      if (--this.active[kind] === 0) this.busyMs[kind] += e - this.since[kind];
      if (--this.anyActive === 0) this.busyMs.any += e - this.anySince;
    }
  }
}
