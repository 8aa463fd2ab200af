import { isRealSpelling } from './ctypes.js';
import { sameIntType } from './params.js';
import { parseParam, type SignatureParam } from './signature.js';
import type { Target } from './target.js';

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
  const m = new RegExp(`\\bvoid\\s+${fn}\\s*\\(((?:[^()]|\\([^()]*\\))*)\\)\\s*\\{`).exec(noComments);
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

/** The target's parameters as a signature spells them (the precision as `real`). */
export function signatureParams(t: Pick<Target, 'params'>): SignatureParam[] {
  return t.params.map((p) => {
    if (p.kind === 'size') return { name: p.name, pointer: false, isConst: false, type: p.int.ctype };
    if (p.kind === 'scalar') return { name: p.name, pointer: false, isConst: false, type: 'real' };
    return { name: p.name, pointer: true, isConst: p.role === 'in', type: p.int ? p.int.ctype : 'real' };
  });
}

/**
 * Why the definition of `fn` in a source does not take the parameters the signature gives (one
 * line), or undefined where it does or where no definition reads plainly. The precision may be
 * spelled real or its own keyword; integer types compare as LP64 gives them (int64_t is long).
 */
export function definitionMismatch(source: string, fn: string, sig: SignatureParam[], real: 'float' | 'double'): string | undefined {
  const def = definitionParams(source, fn);
  if (!def) return undefined;
  if (def.length !== sig.length) return `${fn}() takes ${def.length} parameters, the signature ${sig.length}`;
  const show = (p: SignatureParam) => `${p.isConst && p.pointer ? 'const ' : ''}${p.type}${p.pointer ? ' *' : ' '}${p.name}`;
  for (const [i, d] of def.entries()) {
    const s = sig[i];
    if ((d.type === 'float' || d.type === 'double') && d.type !== real) return `parameter "${d.name}" is ${d.type} but the target's precision is ${real}; spell it real or ${real}`;
    const same = d.pointer === s.pointer && (isRealSpelling(d.type) ? isRealSpelling(s.type) : !isRealSpelling(s.type) && sameIntType(d.type, s.type));
    if (!same) return `parameter ${i + 1} is "${show(d)}" but the signature says "${show(s)}"`;
  }
  return undefined;
}
