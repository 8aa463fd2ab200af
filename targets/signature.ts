import { canonicalType } from './ctypes.js';

/** One parameter as the signature spells it; `type` is canonical (`real`, `float`, `double`, `int`, `size_t`, `unsigned long`...). */
export interface SignatureParam {
  name: string;
  pointer: boolean;
  /** The pointed-to data is const (`const T *p` or `T const *p`). */
  isConst: boolean;
  type: string;
  /**
   * An array declarator's extents as written (`T A[M][N]` gives ["M", "N"]; `T x[]` gives [""]):
   * the parameter is a pointer to the first element either way (C's adjustment), and the extents
   * after the first fix its row length. Undefined for `T *p`.
   */
  dims?: string[];
}

export interface ParsedSignature {
  fn: string;
  params: SignatureParam[];
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', '__restrict__']);
const BRACKET_QUALIFIER = /^(const|restrict|__restrict|__restrict__|static|volatile)$/;

/**
 * One parameter: `[const] TYPE [const] [*] [const|restrict|__restrict|__restrict__] NAME`, or an
 * array declarator `... NAME[QUALIFIERS EXTENT][EXTENT]...` (C99: `double A[restrict M][N]` is
 * `double (*restrict A)[N]`).
 */
export function parseParam(raw: string): SignatureParam | string {
  // A pointer to rows, `T (*A)[N]`, is the array parameter `T A[][N]`.
  const rows = /^(.*?)\(\s*\*\s*((?:(?:const|restrict|__restrict|__restrict__)\s+)*)([A-Za-z_]\w*)\s*\)\s*((?:\[[^[\]]*\]\s*)+)$/.exec(raw.trim());
  if (rows) return parseParam(`${rows[1]} ${rows[3]}[${rows[2].trim()}]${rows[4]}`);
  const arr = /^(.*?[A-Za-z_]\w*)\s*((?:\[[^[\]]*\]\s*)+)$/.exec(raw.trim());
  if (arr) {
    const groups = [...arr[2].matchAll(/\[([^[\]]*)\]/g)].map((g) => g[1].trim());
    const firstWords = (groups[0] ?? '').match(/[A-Za-z_]\w*|\S+/g) ?? [];
    const quals: string[] = [];
    while (BRACKET_QUALIFIER.test(firstWords[0] ?? '')) quals.push(firstWords.shift()!);
    const dims = [firstWords.join(' '), ...groups.slice(1)];
    const empty = dims.findIndex((d, i) => i > 0 && d === '');
    if (empty > 0) return `parameter "${raw}": only the first extent of an array parameter may be left out`;
    if (arr[1].includes('*')) return `parameter "${raw}": arrays of pointers are not supported (pass one flat array)`;
    const [, before = '', name = ''] = /^(.*?)([A-Za-z_]\w*)\s*$/.exec(arr[1]) ?? [];
    const inner = parseParam(`${before} * ${quals.filter((q) => q !== 'static').join(' ')} ${name}`);
    if (typeof inner === 'string') return inner;
    return { ...inner, dims };
  }
  const toks = raw.match(/[A-Za-z_]\w*|\*|\S/g) ?? [];
  const name = toks.at(-1);
  const help = `use "int N" (or long, size_t, int64_t, unsigned...) for sizes, "real alpha" (or float/double) for scalars, "const real *A" / "real *A" for arrays, "const int *idx" for integer arrays`;
  if (!name || !/^[A-Za-z_]\w*$/.test(name) || QUALIFIERS.has(name)) return `cannot read parameter "${raw}" (${help})`;
  const typeWords: string[] = [];
  let stars = 0;
  let isConst = false;
  for (const t of toks.slice(0, -1)) {
    if (t === '*') stars++;
    else if (t === 'const') isConst ||= stars === 0;
    else if (t === 'restrict' || t === '__restrict' || t === '__restrict__') {
      if (stars === 0) return `parameter "${raw}": ${t} qualifies a pointer (write it after the "*")`;
    } else if (t === 'volatile') return `parameter "${raw}": volatile parameters are not supported`;
    else if (/^[A-Za-z_]\w*$/.test(t) && stars === 0) typeWords.push(t);
    else return `cannot read parameter "${raw}" (${help})`;
  }
  if (stars > 1) return `parameter "${raw}": pointers to pointers are not supported (pass one flat array)`;
  const type = canonicalType(typeWords);
  if (!type) return `parameter "${raw}": type "${typeWords.join(' ')}" is not supported (${help})`;
  return { name, pointer: stars === 1, isConst, type };
}

/** Parse a kernel signature such as `void sgemm(int M, int N, const real *A, real *C)`. */
export function parseSignature(sig: string): ParsedSignature | string {
  const m = /^\s*void\s+([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)\s*;?\s*$/.exec(sig);
  if (!m) return 'expected "void NAME(int N, ..., const real *A, real *B)"';
  const params: SignatureParam[] = [];
  const list = m[2].trim();
  if (list === 'void') return { fn: m[1], params };
  for (const raw of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const p = parseParam(raw);
    if (typeof p === 'string') return p;
    params.push(p);
  }
  return { fn: m[1], params };
}
