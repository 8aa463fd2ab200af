import { lex, type Tok } from '../csyntax/index.js';
import { asRealSpelling } from './spelling.js';

/**
 * A kernel file as the C++ builds read it (the oracle's tracked type, the proof's symbolic one):
 * the precision's keyword spelled `real` (asRealSpelling), and array parameters, which C++ does
 * not have with extents from other parameters, written as what C makes of them. `T x[N]` is
 * `T *x`; `T A[M][N]` is a pointer to rows of N, so the parameter becomes a flat pointer and the
 * body opens with `T (*A)[N] = (T (*)[N])kl_arr_A;` (GNU C++ takes such a type), which indexes
 * exactly as the C build does, so nothing in the body changes.
 */
export function asCxxSource(source: string, real: 'float' | 'double'): string {
  const text = asRealSpelling(source, real);
  let toks: Tok[];
  try {
    toks = lex(text);
  } catch {
    return text;
  }
  const edits: { start: number; end: number; text: string }[] = [];
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.text === '{' && t.kind === 'op') depth++;
    else if (t.text === '}' && t.kind === 'op') depth--;
    if (depth !== 0 || t.kind !== 'id' || toks[i + 1]?.text !== '(') continue;
    // A definition (or declaration) at file scope: NAME ( params ) { or ;
    const close = matching(toks, i + 1);
    const after = toks[close + 1]?.text;
    if (close < 0 || (after !== '{' && after !== ';')) continue;
    const params = split(toks, i + 2, close);
    const opening: string[] = [];
    for (const p of params) {
      const lb = p.findIndex((x) => x.text === '[');
      if (lb < 1) continue;
      // `T A[M][N]`, or a pointer to rows `T (*A)[N]` (whose every bracket is a row's).
      const pointerToRows = p[lb - 1].text === ')' && p[lb - 2]?.kind === 'id' ? p.findIndex((x, k) => x.text === '(' && p[k + 1]?.text === '*') : -1;
      if (p[lb - 1].kind !== 'id' && pointerToRows < 0) continue;
      const name = p[lb - (pointerToRows < 0 ? 1 : 2)].text;
      const type = text.slice(p[0].start, p[pointerToRows < 0 ? lb - 1 : pointerToRows].start).trim();
      const groups = bracketGroups(p.slice(lb), text);
      if (!groups) continue;
      const rowQuals = pointerToRows < 0 ? [] : p.slice(pointerToRows + 2, lb - 2).map((x) => x.text);
      const quals = [...rowQuals, ...(pointerToRows < 0 ? groups[0].quals : [])].map((q) => (q === 'restrict' ? '__restrict' : q)).join(' ');
      const rows = groups.slice(pointerToRows < 0 ? 1 : 0).map((g) => `[${g.extent}]`);
      const pointerName = rows.length ? `kl_arr_${name}` : name;
      edits.push({ start: p[0].start, end: p[p.length - 1].end, text: `${type} *${quals ? quals + ' ' : ''}${pointerName}` });
      if (rows.length && after === '{') opening.push(` ${type} (*${name})${rows.join('')} = (${type} (*)${rows.join('')})${pointerName};`);
    }
    if (opening.length) edits.push({ start: toks[close + 1].end, end: toks[close + 1].end, text: opening.join('') });
    i = close;
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Index of the token closing the bracket at `open`, or -1. */
function matching(toks: Tok[], open: number): number {
  let d = 0;
  for (let j = open; j < toks.length; j++) {
    if (toks[j].kind !== 'op') continue;
    if ('([{'.includes(toks[j].text)) d++;
    else if (')]}'.includes(toks[j].text) && --d === 0) return j;
  }
  return -1;
}

/** The parameters between `from` and `to`, split at top-level commas. */
function split(toks: Tok[], from: number, to: number): Tok[][] {
  const out: Tok[][] = [[]];
  let d = 0;
  for (let j = from; j < to; j++) {
    const x = toks[j];
    if (x.kind === 'op' && '([{'.includes(x.text)) d++;
    if (x.kind === 'op' && ')]}'.includes(x.text)) d--;
    if (d === 0 && x.text === ',') out.push([]);
    else out[out.length - 1].push(x);
  }
  return out.filter((p) => p.length);
}

/** `[static restrict N][M]...`: each group's qualifiers (the first's) and extent text. */
function bracketGroups(ts: Tok[], text: string): { quals: string[]; extent: string }[] | undefined {
  const out: { quals: string[]; extent: string }[] = [];
  let j = 0;
  while (j < ts.length) {
    if (ts[j].text !== '[') return undefined;
    const end = matching(ts, j);
    if (end < 0) return undefined;
    const inner = ts.slice(j + 1, end);
    const quals: string[] = [];
    while (inner.length && /^(const|restrict|__restrict|__restrict__|static|volatile)$/.test(inner[0].text)) {
      const q = inner.shift()!.text;
      if (q !== 'static') quals.push(q);
    }
    out.push({ quals, extent: inner.length ? text.slice(inner[0].start, inner[inner.length - 1].end) : '' });
    j = end + 1;
  }
  return out;
}
