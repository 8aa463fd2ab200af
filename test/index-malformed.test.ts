import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { Rng } from '../common/index.js';
import { generateHarness } from '../devices/cpu/harness.js';
import { CATALOG_DIR, loadTarget } from '../targets/index.js';
import { hiddenSizes, makeInputs } from '../verifiers/index.js';
import { tmp } from './helpers.js';

/**
 * Mutated target.yaml files of the targets with scalars and integer arrays (spmv_csr, gather,
 * histogram): every key deleted, retyped, given wrong structures, scalars and types. Each is one
 * line naming target.yaml and never a stack trace, or a target whose inputs and harness are made.
 */
const WRONG: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  '',
  'x',
  'M*',
  [],
  {},
  [1, 2],
  { a: 1 },
  [[[]]],
  'NaN',
  2 ** 53 + 1,
  { index: 'N', range: [0, 1] },
  { csr_rowptr: -1 },
  { range: [5, 1] },
  { index: 0 },
  { value: 1, range: [0, 1] },
  { range: [1, 1] },
  { bench: 9 },
];
const SIGNATURE_PARTS = ['volatile int *p', 'char *s', 'float **pp', 'long double x', 'unsigned char *u', 'const int n', 'double d', 'int64_t *w', 'real r[]', 'size_t z', 'restrict int q'];

function keyPaths(o: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (o === null || typeof o !== 'object') return [];
  return Object.entries(o).flatMap(([k, v]) => {
    const p = [...at, Array.isArray(o) ? Number(k) : k];
    return [p, ...keyPaths(v, p)];
  });
}

function setAt(o: unknown, path: (string | number)[], value: unknown, del = false): unknown {
  const copy = structuredClone(o) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  if (del) {
    if (Array.isArray(cur)) cur.splice(Number(path.at(-1)), 1);
    else delete cur[path.at(-1)!];
  } else cur[path.at(-1)!] = value;
  return copy;
}

describe('malformed targets with scalars and integer arrays', () => {
  it.each(['spmv_csr', 'gather', 'histogram'])('%s: one line naming target.yaml, or a target whose inputs and harness are made', (name) => {
    const root = tmp();
    const doc = parseYaml(readFileSync(join(CATALOG_DIR, name, 'target.yaml'), 'utf8')) as Record<string, unknown>;
    const rng = new Rng(name.length * 7919);
    const paths = keyPaths(doc);
    const variants: { what: string; doc: unknown }[] = paths.map((p) => ({ what: `deleted ${p.join('.')}`, doc: setAt(doc, p, undefined, true) }));
    for (let i = 0; i < 80; i++) {
      const p = rng.pick(paths);
      const v = rng.pick(WRONG);
      variants.push({ what: `${p.join('.')} = ${JSON.stringify(v)}`, doc: setAt(doc, p, v) });
    }
    const sig = String(doc.signature);
    for (const part of SIGNATURE_PARTS) variants.push({ what: `signature + ${part}`, doc: { ...doc, signature: sig.replace(/\)\s*$/, `, ${part})`) } });
    for (const real of ['float', 'double']) variants.push({ what: `real: ${real}`, doc: { ...doc, real } });
    let refused = 0;
    variants.forEach((v, i) => {
      const dir = join(root, `v${i}`);
      cpSync(join(CATALOG_DIR, name), dir, { recursive: true });
      writeFileSync(join(dir, 'target.yaml'), toYaml(v.doc));
      try {
        const t = loadTarget(dir);
        for (const s of [...t.checkSizes, ...hiddenSizes(t, 7, 4)]) makeInputs(t, s, i, 'normal');
        generateHarness(t, { scalar: 'real' });
        generateHarness(t, { scalar: 'tracked' });
      } catch (e) {
        refused++;
        const msg = (e as Error).message;
        expect(msg.split('\n'), `${v.what}: ${msg}`).toHaveLength(1);
        expect(msg, v.what).toContain(join(dir, 'target.yaml'));
        expect((e as Error).constructor.name, `${v.what}: ${(e as Error).stack}`).toMatch(/ConfigError|UserError/);
      }
    });
    expect(refused).toBeGreaterThan(variants.length / 3);
  });
});
