import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, UserError } from '../common/index.js';
import { loadWorkload, WORKLOAD_CATALOG_DIR, workloadCatalogNames } from '../workloads/index.js';
import { tmp } from './helpers.js';

const TOKENS = ['0', '-1', '2.5', '99999999999', '""', 'null', '[]', '{}', 'R', 'M', 'Q', 'sgemm', 'nope', 'ln.Y', 'up.C', 'x.y', 'rows', 'reshape: true', 'from', 'to', ':', '{', '}', '[', ']', ',', 'target', 'sizes', 'true'];

function mutate(text: string, rng: Rng): string {
  const lines = text.split('\n');
  const i = Math.floor(rng.next() * lines.length);
  switch (Math.floor(rng.next() * 5)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(i, 0, lines[Math.floor(rng.next() * lines.length)]);
      break;
    case 2: {
      const words = lines[i].split(/(\s+|[{}[\],:])/);
      const k = Math.floor(rng.next() * words.length);
      words[k] = TOKENS[Math.floor(rng.next() * TOKENS.length)];
      lines[i] = words.join('');
      break;
    }
    case 3:
      lines[i] = lines[i].replace(/\d+/, () => String(Math.floor(rng.next() * 600)));
      break;
    default:
      lines[i] = lines[i].slice(0, Math.floor(rng.next() * lines[i].length));
  }
  return lines.join('\n');
}

/** Mutated shipped workloads: each loads, or is refused in one line naming a file; never another exception. */
describe('malformed workload.yaml', () => {
  it('300 mutations: every refusal is one line naming the file, never a crash', () => {
    const rng = new Rng(16);
    const root = tmp();
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const name = workloadCatalogNames()[k % 3];
      let text = readFileSync(join(WORKLOAD_CATALOG_DIR, name, 'workload.yaml'), 'utf8');
      for (let m = 1 + Math.floor(rng.next() * 2); m > 0; m--) text = mutate(text, rng);
      const dir = join(root, String(k));
      mkdirSync(dir);
      writeFileSync(join(dir, 'workload.yaml'), text);
      try {
        loadWorkload(dir);
      } catch (e) {
        expect(e, `${text}\n${(e as Error).stack}`).toBeInstanceOf(UserError);
        const msg = (e as Error).message;
        expect(msg.split('\n'), msg).toHaveLength(1);
        expect(msg).toMatch(/(workload|target)\.yaml: |reference\.c/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(150);
  });
});
