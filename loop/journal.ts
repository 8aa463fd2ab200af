import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { faultPoint } from '../common/index.js';
import type { Journaled, KloopEvent } from './events.js';

/** Append-only JSONL log of every event: the run's source of truth for --resume. */
export class Journal {
  private seq: number;

  constructor(
    readonly path: string,
    private readonly now: () => Date,
  ) {
    this.seq = Journal.read(path).at(-1)?.seq ?? 0;
  }

  append(e: KloopEvent): Journaled {
    const j = { ...e, seq: ++this.seq, ts: this.now().toISOString() } as Journaled;
    const line = JSON.stringify(j) + '\n';
    faultPoint('journal-line', () => appendFileSync(this.path, line.slice(0, line.length >> 1)));
    appendFileSync(this.path, line);
    return j;
  }

  /** Every complete line; a line cut short by a kill is ignored. */
  static read(path: string): Journaled[] {
    if (!existsSync(path)) return [];
    const out: Journaled[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Journaled);
      } catch {
        /* torn last line */
      }
    }
    return out;
  }
}
