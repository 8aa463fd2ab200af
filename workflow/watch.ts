import { readFileSync } from 'node:fs';
import { UserError } from '../common/index.js';
import { parseWorkflow, workflowHash, type Workflow } from './load.js';

/** What a look at WORKFLOW.md found: nothing new, a valid edit, or an edit that does not load (with the one-line reason). */
export type WorkflowPoll = { kind: 'valid'; hash: string; workflow: Workflow } | { kind: 'invalid'; hash: string; error: UserError };

/**
 * Watches a WORKFLOW.md by content: each `poll()` (the run calls it at round boundaries) reads the
 * file and reports it once each time its content changes (a file being saved twice with the same
 * text, or touched, is no change). A file that cannot be read or does not load is an `invalid`
 * poll, reported once per content, whose error names the file and the key.
 */
export class WorkflowWatcher {
  constructor(
    readonly file: string,
    /** The hash of the content last acted on (the configuration in force came from it). */
    private seen: string | undefined,
    private readonly read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
  ) {}

  poll(): WorkflowPoll | undefined {
    let text: string;
    try {
      text = this.read(this.file);
    } catch (e) {
      const hash = `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
      if (hash === this.seen) return undefined;
      this.seen = hash;
      return { kind: 'invalid', hash, error: new UserError(`${this.file}: cannot be read (${(e as Error).message.split('\n')[0]})`) };
    }
    const hash = workflowHash(text);
    if (hash === this.seen) return undefined;
    this.seen = hash;
    try {
      return { kind: 'valid', hash, workflow: parseWorkflow(this.file, text) };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return { kind: 'invalid', hash, error: e };
    }
  }
}
