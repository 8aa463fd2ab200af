import { canonicalType } from './ctypes.js';

/** One parameter as the signature spells it; `type` is canonical (`real`, `float`, `double`, `int`, `size_t`, `unsigned long`...). */
export interface SignatureParam {
  name: string;
  pointer: boolean;
  /** The pointed-to data is const (`const T *p` or `T const *p`). */
  isConst: boolean;
  type: string;
}

export interface ParsedSignature {
  fn: string;
  params: SignatureParam[];
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', '__restrict__']);

/** One parameter: `[const] TYPE [const] [*] [const|restrict|__restrict|__restrict__] NAME`, or `... NAME[]`. */
export function parseParam(raw: string): SignatureParam | string {
  // `T name[]` and `T name[restrict]` (C99) are `T *name` and `T *restrict name`.
  const arr = /^(.*?)([A-Za-z_]\w*)\s*\[([^\]]*)\]$/.exec(raw.trim());
  if (arr) {
    if (!/^\s*((const|restrict|__restrict|__restrict__|static)\s*)*(\w+)?\s*$/.test(arr[3])) return `cannot read parameter "${raw}" (write the array as a pointer)`;
    return parseParam(`${arr[1]} * ${arr[3].replace(/\bstatic\b|\b\d+\b|\b[A-Za-z_]\w*\b(?<!const|restrict|__restrict|__restrict__)/g, ' ')} ${arr[2]}`);
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
  const m = /^\s*void\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*;?\s*$/.exec(sig);
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
