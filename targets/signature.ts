/** Parse a kernel signature such as `void sgemm(int M, int N, const real *A, real *C)`. */
export interface ParsedSignature {
  fn: string;
  params: { name: string; pointer: boolean; isConst: boolean; type: string }[];
}

export function parseSignature(sig: string): ParsedSignature | string {
  const m = /^\s*void\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*;?\s*$/.exec(sig);
  if (!m) return 'expected "void NAME(int N, ..., const real *A, real *B)"';
  const params: ParsedSignature['params'] = [];
  for (const raw of m[2]
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const pm = /^(const\s+)?(int|real)\s*(\*)?\s*(?:restrict\s+|__restrict\s+)?([A-Za-z_]\w*)$/.exec(raw);
    if (!pm) return `cannot read parameter "${raw}" (use "int NAME" for sizes, "const real *NAME" or "real *NAME" for arrays)`;
    const [, c, type, star, name] = pm;
    if (type === 'int' && star) return `parameter "${raw}": int arrays are not supported`;
    if (type === 'real' && !star) return `parameter "${raw}": scalar real parameters are not supported`;
    params.push({ name, pointer: !!star, isConst: !!c, type });
  }
  return { fn: m[1], params };
}
