import type { Inferred } from './infer.js';

/** The end of the block that opens at `open` (a `{`), skipping comments and strings. */
function blockEnd(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i + 2) + 1 || src.length;
    else if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i);
    else if (c === '"' || c === "'") {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return src.length;
}

/**
 * Rename a pointer or scalar parameter of the kernel in what kloop init writes (its signature, its
 * body in reference.c, its argument): for a name kloop's generated harness uses itself (`in`, `out`…).
 * A parameter is local to the function, so the rename changes nothing the kernel computes.
 */
export function renameParam(i: Inferred, from: string, to: string): Inferred {
  const word = new RegExp(`\\b${from}\\b`, 'g');
  const at = i.source.indexOf(`${i.signature} {`);
  const open = at + i.signature.length + 1;
  const end = at < 0 ? -1 : blockEnd(i.source, open);
  const signature = i.signature.replace(/\(([^)]*)\)/, (_m, ps: string) => `(${ps.replace(word, to)})`);
  const source = at < 0 ? i.source : i.source.slice(0, at) + signature + ' ' + i.source.slice(open, end).replace(word, to) + i.source.slice(end);
  return {
    ...i,
    signature,
    source,
    scalars: i.scalars.map((s) => (s === from ? to : s)),
    scalarGuesses: new Map([...i.scalarGuesses].map(([k, v]) => [k === from ? to : k, v])),
    args: i.args.map((a) => (a.name === from ? { ...a, name: to, renamedFrom: from } : a)),
  };
}
