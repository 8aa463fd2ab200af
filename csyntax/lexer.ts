export type TokKind = 'id' | 'num' | 'str' | 'op' | 'pp';
export interface Tok {
  kind: TokKind;
  text: string;
  line: number;
  /** Offsets in the source, for slicing raw top-level text. */
  start: number;
  end: number;
}

export class CSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const OPS = ['>>=', '<<=', '...', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '^=', '|=', '##'];

/** Tokenise C source; comments are dropped, preprocessor lines become one `pp` token each. */
export function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = true;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('/*', i)) {
      const e = src.indexOf('*/', i + 2);
      if (e < 0) throw new CSyntaxError('unterminated comment', line);
      for (let j = i; j < e; j++) if (src[j] === '\n') line++;
      i = e + 2;
      continue;
    }
    const start = i;
    if (c === '#' && lineStart) {
      let text = '';
      while (i < src.length && src[i] !== '\n') {
        if (src[i] === '\\' && src[i + 1] === '\n') {
          i += 2;
          line++;
          text += ' ';
          continue;
        }
        if (src.startsWith('//', i)) {
          while (i < src.length && src[i] !== '\n') i++;
          break;
        }
        text += src[i++];
      }
      toks.push({ kind: 'pp', text: text.trim(), line, start, end: i });
      continue;
    }
    lineStart = false;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /\w/.test(src[i])) i++;
      toks.push({ kind: 'id', text: src.slice(start, i), line, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[uUlLfF]*/.exec(src.slice(i));
      i += m![0].length;
      toks.push({ kind: 'num', text: m![0], line, start, end: i });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      toks.push({ kind: 'str', text: src.slice(start, i), line, start, end: i });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i)) ?? c;
    i += op.length;
    toks.push({ kind: 'op', text: op, line, start, end: i });
  }
  return toks;
}
