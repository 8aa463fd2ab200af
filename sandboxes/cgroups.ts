import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GONE_MS } from './sandbox.js';

let seq = 0;
const prepared = new Map<string, string>();

/**
 * A v2 subtree of kloop's own (delegated, e.g. by `systemd-run --user --scope -p Delegate=yes`)
 * gets memory and pids for its children, once. A cgroup that holds processes cannot hand
 * controllers down ("no internal processes"), so kloop's own processes move into a leaf first
 * (`kloop-self`); candidates' cgroups sit under `kloop/`. Returns the candidates' parent.
 */
function prepareV2(dir: string): string {
  const have = prepared.get(dir);
  if (have) return have;
  const enable = (d: string) => writeFileSync(join(d, 'cgroup.subtree_control'), '+memory +pids');
  try {
    enable(dir);
  } catch {
    const leaf = join(dir, 'kloop-self');
    if (!existsSync(leaf)) mkdirSync(leaf);
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(leaf, 'cgroup.procs'), pid);
      } catch {
        /* gone, or a kernel thread */
      }
    }
    enable(dir);
  }
  const parent = join(dir, 'kloop');
  if (!existsSync(parent)) mkdirSync(parent);
  enable(parent);
  prepared.set(dir, parent);
  return parent;
}

/** One candidate's cgroup: memory and pids limits, and a kill of everything left inside. */
export class CandidateCgroup {
  readonly dirs: string[];
  constructor(
    private readonly c: { version: 1 | 2; memory: string; pids: string },
    limits: { memoryMb: number; pids: number },
  ) {
    const name = `kloop-${process.pid}-${++seq}`;
    if (c.version === 2) {
      const parent = prepareV2(c.memory);
      const dir = join(parent, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
      try {
        writeFileSync(join(dir, 'memory.swap.max'), '0');
      } catch {
        /* no swap accounting */
      }
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

  /**
   * Kill what is left in the candidate's cgroups and remove them (EBUSY until the last process is
   * gone: retry, up to GONE_MS), without blocking the loop's thread: true when every one was emptied and removed.
   */
  async destroy(): Promise<boolean> {
    const until = Date.now() + GONE_MS;
    let removed = 0;
    for (const d of this.dirs) {
      while (Date.now() < until) {
        try {
          const pids = (await readFile(join(d, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
          await rmdir(d);
          removed++;
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    return removed === this.dirs.length;
  }
}
