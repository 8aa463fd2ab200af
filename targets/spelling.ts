import { parseParam, type SignatureParam } from './signature.js';

/**
 * The source with the precision's own keyword (`float` in a float target, `double` in a double
 * one) spelled `real`, for the builds where `real` is not that type (the oracle's tracked type and
 * the proof's symbolic one). In the C build the two spellings are the same type, so this changes
 * nothing there; comments, literals and `#include` lines are left alone. The other precision's
 * keyword stays as written (a double accumulator in a float kernel stays double).
 */
export function asRealSpelling(source: string, real: 'float' | 'double'): string {
  let out = '';
  let i = 0;
  const n = source.length;
  let lineStart = true;
  while (i < n) {
    const c = source[i];
    const two = source.slice(i, i + 2);
    if (two === '//') {
      const e = source.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += source.slice(i, end);
      i = end;
      continue;
    }
    if (two === '/*') {
      const e = source.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      out += source.slice(i, end);
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (lineStart && /^[ \t]*#[ \t]*include\b/.test(source.slice(i, i + 40))) {
      const e = source.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += source.slice(i, end);
      i = end;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(source[j])) j++;
      const word = source.slice(i, j);
      out += word === real ? 'real' : word;
      i = j;
      lineStart = false;
      continue;
    }
    if (/\d/.test(c)) {
      // A number (with its suffixes: 1.0f stays 1.0f).
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j])) j++;
      out += source.slice(i, j);
      i = j;
      lineStart = false;
      continue;
    }
    out += c;
    if (c === '\n') lineStart = true;
    else if (c !== ' ' && c !== '\t') lineStart = false;
    i++;
  }
  return out;
}

/**
 * The parameters of the definition of `fn` in a source file (`void fn(...) {`), or undefined
 * where no definition reads plainly (macros, K&R style): then nothing is compared.
 */
export function definitionParams(source: string, fn: string): SignatureParam[] | undefined {
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const m = new RegExp(`\\bvoid\\s+${fn}\\s*\\(([^()]*)\\)\\s*\\{`).exec(noComments);
  if (!m) return undefined;
  const list = m[1].trim();
  if (list === '' || list === 'void') return [];
  const out: SignatureParam[] = [];
  for (const raw of list.split(',')) {
    const p = parseParam(raw.trim());
    if (typeof p === 'string') return undefined;
    out.push(p);
  }
  return out;
}
