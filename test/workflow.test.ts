import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';

function wf(text: string): string {
  const f = join(tmp(), 'WORKFLOW.md');
  writeFileSync(f, text);
  return f;
}

describe('WORKFLOW.md', () => {
  it('the shipped default loads with every role section', () => {
    const w = loadWorkflow(DEFAULT_WORKFLOW);
    expect(w.config.accept.min_speedup).toBe(1.02);
    expect(w.config.loop.candidates).toBe(4);
    expect(Object.keys(w.prompts).sort()).toEqual(['analyzer', 'partitioner', 'profiler', 'reflect', 'writer']);
  });

  it('fills defaults for an empty front matter', () => {
    const w = loadWorkflow(wf('---\n{}\n---\n'));
    expect(w.config.timing.min_pairs).toBe(3);
    expect(w.config.memory.path).toBe('.kloop/memory.json');
  });

  it.each([
    ['---\nloop:\n  rundz: 3\n---\n', /loop\.rundz: unknown key \(did you mean "rounds"\?\)/],
    ['---\naccept:\n  min_speedup: fast\n---\n', /accept\.min_speedup: /],
    ['---\n[1, 2]\n---\n', /must be a YAML mapping/],
    ['no front matter', /must start with YAML front matter/],
    ['---\n{}\n---\n## writter\nhello\n', /## writter: unknown role section \(did you mean "writer"\?\)/],
  ])('rejects bad input with one line naming the file: %#', (text, message) => {
    const f = wf(text);
    let err: unknown;
    try {
      loadWorkflow(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(f)).toBe(true);
  });
});
