import { lex, type Tok } from '../csyntax/index.js';

/**
 * Does the kernel take the size (or alignment) of `real`, of a type built from it, or of an
 * expression of such a type? In the proof build `real` is a symbolic C++ class, so such a value
 * differs there from the C build's (4 or 8): the proof would read another program. Legitimate code
 * does this for malloc, so it is not refused; the proof says `inapplicable` instead (tested only).
 * Macro bodies are read as code, so a `#define` hides neither `sizeof` nor `real`. Over-approximates:
 * any operand that mentions a `real`-typed name counts.
 */
export function sizeofReal(source: string): { line: number } | undefined {
  let toks: Tok[];
  try {
    toks = lex(source);
  } catch {
    return undefined;
  }
  // Macro bodies become tokens in place; a macro's name stands for what its body mentions.
  const code: Tok[] = [];
  const sizeofNames = new Set(['sizeof', '_Alignof', 'alignof', '__alignof__', '__alignof']);
  const realNames = new Set(['real']);
  for (const t of toks) {
    const d = t.kind === 'pp' ? /^#\s*define\s+(\w+)(\([^)]*\))?/.exec(t.text) : null;
    if (t.kind !== 'pp') code.push(t);
    else if (d) {
      let body: Tok[] = [];
      try {
        body = lex(t.text.replace(/\\\r?\n/g, ' ').slice(d[0].length)).map((b) => ({ ...b, line: t.line }));
      } catch {
        /* unreadable: the compiler will say */
      }
      if (body.some((b) => sizeofNames.has(b.text))) sizeofNames.add(d[1]);
      if (body.some((b) => b.text === 'real')) realNames.add(d[1]);
      code.push(...body);
    }
  }
  // Types built from real: typedefs of it, structs and unions holding it; then names declared with them.
  const realVars = new Set<string>();
  const isReal = (t: Tok | undefined) => t !== undefined && t.kind === 'id' && realNames.has(t.text);
  for (let pass = 0; pass < 2; pass++)
    for (let i = 0; i < code.length; i++) {
      const t = code[i];
      if ((t.text === 'struct' || t.text === 'union') && code[i + 1]?.kind === 'id' && code[i + 2]?.text === '{') {
        let depth = 0;
        let j = i + 2;
        let holds = false;
        for (; j < code.length; j++) {
          if (code[j].text === '{') depth++;
          else if (code[j].text === '}' && --depth === 0) break;
          else holds ||= isReal(code[j]);
        }
        if (holds) realNames.add(code[i + 1].text);
      }
      if (t.text === 'typedef') {
        const end = code.findIndex((x, k) => k > i && x.text === ';');
        const span = code.slice(i, end < 0 ? code.length : end);
        const name = span.filter((x) => x.kind === 'id').at(-1);
        if (name && span.slice(0, -1).some(isReal)) realNames.add(name.text);
      }
      if (!isReal(t) || code[i - 1]?.text === 'struct' || code[i - 1]?.text === 'union') continue;
      // Declarators after the type: `real a = 0, *b, c[4];`, `const real *X,` (each parameter has its own type).
      let depth = 0;
      let expectName = true;
      for (let j = i + 1; j < code.length; j++) {
        const x = code[j];
        if (x.text === '(' || x.text === '[' || x.text === '{') depth++;
        else if (x.text === ')' || x.text === ']' || x.text === '}') {
          if (--depth < 0) break;
        } else if (depth === 0 && x.text === ';') break;
        else if (depth === 0 && x.text === ',') expectName = true;
        else if (expectName && x.kind === 'id' && !/^(const|volatile|restrict|__restrict|__restrict__)$/.test(x.text)) {
          realVars.add(x.text);
          expectName = false;
        } else if (expectName && x.text !== '*') break;
      }
    }
  for (let i = 0; i < code.length; i++) {
    if (code[i].kind !== 'id' || !sizeofNames.has(code[i].text)) continue;
    const operand: Tok[] = [];
    if (code[i + 1]?.text === '(') {
      let depth = 0;
      for (let j = i + 1; j < code.length; j++) {
        if (code[j].text === '(') depth++;
        else if (code[j].text === ')' && --depth === 0) break;
        operand.push(code[j]);
      }
    } else for (let j = i + 1; j < code.length && (code[j].kind === 'id' || /^(\*|&|\.|->|\[|\]|\d+)$/.test(code[j].text) || code[j].kind === 'num'); j++) operand.push(code[j]);
    // An empty operand is the macro `#define S sizeof` itself: its uses are checked where they stand.
    if (operand.length === 0 && code[i].text !== 'sizeof') continue;
    if (operand.some((x) => x.kind === 'id' && (realNames.has(x.text) || realVars.has(x.text)))) return { line: code[i].line };
  }
  return undefined;
}
