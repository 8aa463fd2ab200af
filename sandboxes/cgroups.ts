import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let seq = 0;

/** One candidate's cgroup: memory and pids limits, and a kill of everything left inside. */
export class CandidateCgroup {
  readonly dirs: string[];
  constructor(
    private readonly c: { version: 1 | 2; memory: string; pids: string },
    limits: { memoryMb: number; pids: number },
  ) {
    const name = `kloop-${process.pid}-${++seq}`;
    if (c.version === 2) {
      const parent = join(c.memory, 'kloop');
      if (!existsSync(parent)) {
        mkdirSync(parent);
        // v2: controllers must be enabled for the children of our subtree
        try {
          writeFileSync(join(c.memory, 'cgroup.subtree_control'), '+memory +pids');
          writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory +pids');
        } catch {
          /* already enabled */
        }
      }
      const dir = join(parent, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      writeFileSync(join(dir, 'pids.max'), String(limits.pids));
      this.dirs = [dir];
    } else {
      const mem = join(c.memory, 'kloop', name);
      const pids = join(c.pids, 'kloop', name);
      mkdirSync(mem, { recursive: true });
      mkdirSync(pids, { recursive: true });
      writeFileSync(join(mem, 'memory.limit_in_bytes'), String(limits.memoryMb * 1024 * 1024));
      try {
        writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryMb * 1024 * 1024));
      } catch {
        /* no swap accounting */
      }
      writeFileSync(join(pids, 'pids.max'), String(limits.pids));
      this.dirs = [mem, pids];
    }
  }

  /** Files a wrapper writes its own pid into, before it execs the candidate. */
  procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** Kill every process still inside, then remove the cgroups (EBUSY right after exit: retry). */
  async destroy(): Promise<void> {
    for (const d of this.dirs) {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          const pids = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
          rmdirSync(d);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}
