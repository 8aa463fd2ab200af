import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/index.js';

/** One labelled candidate of the exploit corpus (verifiers/corpus/{hostile,legit}/*.c). */
export interface CorpusEntry {
  file: string;
  name: string;
  kind: 'hostile' | 'legit';
  target: string;
  /** The trick it plays (hostile) or the shape of the optimisation (legit). */
  label: string;
  flags: string[];
  /** The gate layer that must reject a hostile entry. */
  layer?: string;
  /** The verdict a legitimate entry must earn (proved or tested). */
  verdict?: 'proved' | 'tested';
  source: string;
}

export const CORPUS_DIR = join(packageRoot(), 'verifiers', 'corpus');

/** Header line: `// corpus: hostile | target: sgemm | trick: ... | layer: compare | flags: -fopenmp`
 *  (legitimate entries: `// corpus: legit | target: sum | shape: ... | verdict: proved`). */
export function loadCorpus(dir = CORPUS_DIR): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const kind of ['hostile', 'legit'] as const)
    for (const f of readdirSync(join(dir, kind))
      .filter((x) => x.endsWith('.c'))
      .sort()) {
      const file = join(dir, kind, f);
      const source = readFileSync(file, 'utf8');
      const head = source.split('\n')[0];
      const fields = Object.fromEntries(
        head
          .replace(/^\/\/\s*/, '')
          .split('|')
          .map((p) => p.split(':').map((x) => x.trim()))
          .map(([k, ...v]) => [k, v.join(': ')]),
      );
      if (fields.corpus !== kind || !fields.target) throw new Error(`${file}: first line must be "// corpus: ${kind} | target: NAME | ${kind === 'hostile' ? 'trick' : 'shape'}: ..."`);
      if (fields.verdict !== undefined && fields.verdict !== 'proved' && fields.verdict !== 'tested') throw new Error(`${file}: verdict must be proved or tested`);
      out.push({
        file,
        name: f.replace(/\.c$/, ''),
        kind,
        target: fields.target,
        label: fields.trick ?? fields.shape ?? '',
        flags: (fields.flags ?? '').split(/\s+/).filter(Boolean),
        layer: fields.layer,
        verdict: fields.verdict as CorpusEntry['verdict'],
        source,
      });
    }
  return out;
}
