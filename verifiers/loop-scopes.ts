import { lex, type Tok } from '../csyntax/index.js';

/** What a variable renamed here carries after its name (see `unscoped`). */
const MARK = '__kls';

/** Words that begin a for-loop's declaration (`for (int k = ...`, `for (size_t i = ...`). */
const DECL_START = /^(const|unsigned|signed|int|long|short|char|size_t|ptrdiff_t|u?int(8|16|32|64)_t|u?intptr_t|ssize_t|real|float|double)$/;

/**
 * The source with each variable declared in a for loop's first clause renamed apart, within that
 * loop (its header and its braced body), so that a flow-insensitive reading of names does not merge
 * two loops' `k` (`for (int k = 0; k < nnz; k++)` and `for (int k = rowptr[i]; k < rowptr[i + 1]; k++)`
 * are two variables). Only loops whose body is a braced block are renamed: their extent is exact
 * (the matching brace, after preprocessing); other loops keep their names (merged: the conservative
 * reading). The new names are fresh (no identifier of the source has them); lines and offsets of
 * everything else are unchanged.
 */
export function scopeLoopVariables(source: string): string {
  let toks: Tok[];
  try {
    toks = lex(source);
  } catch {
    return source;
  }
  const code = toks.filter((t) => t.kind !== 'pp');
  const ids = new Set(code.filter((t) => t.kind === 'id').map((t) => t.text));
  const text = code.map((t) => t.text);
  const matching = (open: number): number => {
    let depth = 0;
    for (let j = open; j < code.length; j++) {
      if (text[j] === '(' || text[j] === '[' || text[j] === '{') depth++;
      else if (text[j] === ')' || text[j] === ']' || text[j] === '}') depth--;
      if (depth === 0) return j;
    }
    return -1;
  };
  let fresh = 0;
  for (let i = 0; i + 1 < code.length; i++) {
    if (text[i] !== 'for' || text[i + 1] !== '(' || !DECL_START.test(text[i + 2] ?? '')) continue;
    const close = matching(i + 1);
    if (close < 0 || text[close + 1] !== '{') continue;
    const end = matching(close + 1);
    if (end < 0) continue;
    // The declared names: identifiers followed by = , or ; at the first clause's top level.
    const names: string[] = [];
    let depth = 0;
    for (let j = i + 2; j < close && !(depth === 0 && text[j] === ';'); j++) {
      if (text[j] === '(' || text[j] === '[') depth++;
      else if (text[j] === ')' || text[j] === ']') depth--;
      // (a declarator: after the type, a `*` or a comma; not a value such as `ii_t` in `int i = ii_t;`)
      else if (depth === 0 && code[j].kind === 'id' && !DECL_START.test(text[j]) && ['=', ',', ';', '['].includes(text[j + 1]) && (DECL_START.test(text[j - 1]) || text[j - 1] === '*' || text[j - 1] === ',')) names.push(text[j]);
    }
    for (const name of names) {
      let renamed: string;
      do renamed = `${name}${MARK}${++fresh}`;
      while (ids.has(renamed));
      ids.add(renamed);
      for (let j = i + 2; j <= end; j++) if (text[j] === name && code[j].kind === 'id' && text[j - 1] !== '.' && text[j - 1] !== '->') text[j] = renamed;
    }
  }
  // Splice the new names in by offset (everything else as it was).
  let out = '';
  let at = 0;
  code.forEach((t, j) => {
    if (text[j] === t.text) return;
    out += source.slice(at, t.start) + text[j];
    at = t.end;
  });
  return out + source.slice(at);
}

/** A text shown to a person with the loop variables' own names back. */
export const unscoped = (s: string): string => s.replace(new RegExp(`${MARK}\\d+`, 'g'), '');
