import type { Target } from './target.js';

/**
 * What a kernel may assume about its scalars and integer arrays, in words for a kernel writer (a
 * model's prompt, TARGET.md): one line each, nothing for a target with neither. The verifier draws
 * every case these lines allow, edge cases included.
 */
export function contractLines(t: Pick<Target, 'params'>): string[] {
  const out: string[] = [];
  for (const p of t.params) {
    if (p.kind === 'scalar') out.push('fixed' in p.value ? `${p.name}: always ${p.value.fixed}` : `${p.name}: any value in [${p.value.range[0]}, ${p.value.range[1]}] (its ends, 0, 1 and -1 included where inside)`);
    if (p.kind !== 'array' || !p.int) continue;
    const what = `${p.name} (${p.role === 'in' ? 'const ' : ''}${p.int.ctype} *, ${p.shapeText.join(' x ')} elements)`;
    const v = p.values;
    if (!v) out.push(`${what}: an integer output, compared exactly`);
    else if (v.kind === 'csr_rowptr') out.push(`${what}: CSR row pointers: 0 first, non-decreasing, ${v.text.slice('csr_rowptr: '.length)} last; any row may be empty or hold every entry`);
    else if (v.kind === 'index') out.push(`${what}: indices in [0, ${v.text.slice('index: '.length)}), in any order, repeats possible`);
    else out.push(`${what}: values in [${v.text.slice('range: ['.length, -1)}], in any order, repeats possible`);
  }
  return out;
}
