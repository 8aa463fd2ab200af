import { CSyntaxError, forEachExpr, parseC, type Expr, type Func, type Unit } from '../csyntax/index.js';
import { ConfigError, UserError } from '../common/index.js';
import { HEADER_ALLOW } from '../verifiers/index.js';

/** The kernel function a file holds, the file's own functions it calls, and the source of those (and of the file's includes and macros it uses). */
export interface Selected {
  fn: Func;
  helpers: Map<string, Func>;
  /** reference.c: the includes, the macros the kernel uses, its helpers and the kernel, as written. */
  source: string;
  /** The file's object-like macros whose body is an expression (`#define TILE 4`, `#define W0 0.25f`). */
  macros: Map<string, Expr>;
}

/** `#define NAME body` lines whose body parses as an expression. */
function objectMacros(lines: string[]): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const l of lines) {
    const m = /^#\s*define\s+([A-Za-z_]\w*)\s+(.+)$/.exec(l.replace(/\\\n/g, ' ').trim());
    if (!m) continue;
    try {
      const f = parseC(`void kl_m(void) { kl_v = (${m[2]}); }`).items[0] as Func;
      const st = f.body.body[0];
      if (st.k === 'expr' && st.e.k === 'assign') out.set(m[1], st.e.r);
    } catch {
      /* not an expression: left alone */
    }
  }
  return out;
}

function calls(f: Func): Set<string> {
  const out = new Set<string>();
  forEachExpr(f.body, (e) => {
    if (e.k === 'call' && e.fn.k === 'id') out.add(e.fn.name);
  });
  return out;
}

/** Parse a C file and pick its kernel: the function named, or the only one no other function of the file calls. */
export function selectKernel(file: string, text: string, name?: string): Selected {
  let unit: Unit;
  try {
    unit = parseC(text);
  } catch (e) {
    if (e instanceof CSyntaxError) throw new UserError(`${file}: ${e.message} (kloop init reads C kernels: loops, arithmetic, arrays, pragmas; no goto, switch or struct)`);
    throw e;
  }
  const funcs = unit.items.filter((x): x is Func => x.k === 'func');
  if (!funcs.length) throw new UserError(`${file}: no function definition found`);
  let fn: Func | undefined;
  if (name) {
    fn = funcs.find((f) => f.name === name);
    if (!fn) throw new ConfigError(file, '--function', `no function "${name}" in the file (it defines ${funcs.map((f) => f.name).join(', ')})`);
  } else {
    const called = new Set(funcs.flatMap((f) => [...calls(f)]));
    const roots = funcs.filter((f) => !called.has(f.name));
    if (roots.length !== 1) throw new UserError(`${file}: ${roots.length ? `several functions could be the kernel (${roots.map((f) => f.name).join(', ')})` : 'every function is called by another'}: name one with --function NAME`);
    fn = roots[0];
  }
  if (fn.ret.replace(/\b(static|inline|__inline)\b/g, '').trim() !== 'void') throw new ConfigError(file, fn.name, `the kernel must return void (it returns ${fn.ret}); write its results through a pointer argument`);
  // The helpers it needs: the file's functions it calls, transitively.
  const byName = new Map(funcs.map((f) => [f.name, f]));
  const helpers = new Map<string, Func>();
  const todo = [...calls(fn)];
  while (todo.length) {
    const n = todo.pop()!;
    const h = byName.get(n);
    if (!h || helpers.has(n) || n === fn.name) continue;
    helpers.set(n, h);
    todo.push(...calls(h));
  }
  const keep = funcs.filter((f) => f === fn || helpers.has(f.name));
  const words = new Set(keep.flatMap((f) => text.slice(f.span!.start, f.span!.end).match(/[A-Za-z_]\w*/g) ?? []));
  const raw = unit.items.filter((x): x is { k: 'raw'; text: string } => x.k === 'raw');
  const head = raw.filter((r) => HEADER_ALLOW.has(/^#\s*include\s*<([^>]+)>/.exec(r.text)?.[1] ?? '') || (/^#\s*define\s+([A-Za-z_]\w*)/.test(r.text) && words.has(/^#\s*define\s+([A-Za-z_]\w*)/.exec(r.text)![1])));
  // Each function with the comment lines just above it, as written.
  const body = keep.map((f) => {
    const before = text.slice(0, f.span!.start);
    const comment = /((?:[ \t]*(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*)[ \t]*\n)*)$/.exec(before)?.[1] ?? '';
    return comment + text.slice(f.span!.start, f.span!.end);
  });
  const source = [...head.map((h) => h.text.trim()), ...(head.length ? [''] : []), body.join('\n\n')].join('\n') + '\n';
  return { fn, helpers, source, macros: objectMacros(raw.map((r) => r.text)) };
}
