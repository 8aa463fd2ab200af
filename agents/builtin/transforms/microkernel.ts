import { clone, coeffOf, mapExpr, printExpr, printStmt, substitute, type Expr, type Stmt } from '../../../csyntax/index.js';
import type { Contraction, Leaf } from './contraction.js';

/**
 * Every numeric choice of a register-blocked micro-kernel, so that tuning can move each one:
 * rows and vectors per tile (the register block), vector width in bytes, the reduction block (KC),
 * the lane-dimension block (NC), whether operands that move only along the lanes are packed into
 * contiguous panels, and whether row panels run in parallel.
 */
export interface MicroParams {
  mr: number;
  nv: number;
  vb: number;
  kc: number;
  nc: number;
  pack: boolean;
  omp: boolean;
}

export const MARKER = 'kloop:microkernel';

/** The parameters a generated kernel was made with (its first comment), if it is one. */
export function microParamsOf(source: string): MicroParams | undefined {
  const m = new RegExp(`/\\* ${MARKER} (\\{[^}]*\\}) \\*/`).exec(source);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]) as MicroParams;
  } catch {
    return undefined;
  }
}

export const describeParams = (p: MicroParams) => `${p.mr}x${p.nv} vectors of ${p.vb} B, kc ${p.kc}, nc ${p.nc}${p.pack ? ', packed' : ''}${p.omp ? ', omp rows' : ''}`;

interface Gen {
  c: Contraction;
  realType: string;
  p: MicroParams;
  ty: string;
  vl: number;
  nr: number;
  /** Leaves packed into panels (index into c.leaves). */
  packed: number[];
}

const paren = (s: string) => `(${s})`;

/** An expression with names replaced (by printed expressions). */
function subst(e: Expr, by: Record<string, string>): string {
  const out = mapExpr(clone(e), (x) => (x.k === 'id' && by[x.name] !== undefined ? { k: 'id', name: paren(by[x.name]) } : x));
  return printExpr(out);
}

/** The summand with vector leaves named and scalars cast to the element type (GCC vector extensions broadcast scalars). */
function vectorSummand(g: Gen, r: number, v: number): string {
  const { c } = g;
  const names = new Map<Expr, string>();
  c.leaves.forEach((l, j) => {
    if (!l.usesN) return;
    names.set(l.expr, g.packed.includes(j) ? `kl_b${j}_${v}` : `kl_d${j}_${l.usesM ? r : 'x'}_${v}`);
  });
  const rowSub = { [c.m.v]: `kl_r${r}` };
  const walk = (e: Expr): string => {
    const named = names.get(e);
    if (named) return named;
    switch (e.k) {
      case 'bin':
        return `(${walk(e.l)} ${e.op} ${walk(e.r)})`;
      case 'un':
        return `(${e.op}${walk(e.arg)})`;
      case 'cast':
        return walk(e.arg);
      case 'index':
        return `(${g.ty})${subst(e, rowSub)}`;
      default:
        return `(${g.ty})${subst(e, rowSub)}`;
    }
  };
  return walk(c.e);
}

function kHeaders(g: Gen, blocked: boolean): string[] {
  return g.c.ks.map((k, i) => (blocked && i === 0 ? `for (long ${k.v} = kl_k0; ${k.v} < kl_k1; ${k.v}++)` : `for (long ${k.v} = ${paren(printExpr(k.lo))}; ${k.v} < ${paren(printExpr(k.hi))}; ${k.v}++)`));
}

/**
 * Where S(m, n) lives: the output element itself (store form), or a scratch array (other forms).
 * Printed for names m, n given as expressions.
 */
function sRef(g: Gen, m: string, n: string): string {
  const { c } = g;
  if (useStore(c, g.realType)) return `${c.store!.array}[${subst(c.store!.idx, { [c.m.v]: m, [c.n.v]: n })}]`;
  return `kl_S[(${m} - kl_mlo) * (kl_nhi - kl_nlo) + (${n} - kl_nlo)]`;
}

/** The output element can hold the running sums: contiguous in n, and of the accumulation's type. */
function useStore(c: Contraction, realType: string): boolean {
  if (!c.store || coeffOf(c.store.idx, c.n.v) !== 1) return false;
  return c.form === 'direct' || c.type === 'real' || c.type === realType;
}

/** The generated statement replacing the nest (a block), or undefined if these parameters do not fit it. */
export function microKernelBlock(c: Contraction, p: MicroParams, elemBytes: number, realType: string): string | undefined {
  const ty = c.type === 'real' ? 'real' : c.type;
  const tyBytes = c.type === 'double' ? 8 : c.type === 'float' ? 4 : elemBytes;
  const vl = p.vb / tyBytes;
  if (!Number.isInteger(vl) || vl < 2) return undefined;
  const nr = p.nv * vl;
  const packed = c.leaves
    .map((l, j) => ({ l, j }))
    .filter(({ l }) => l.usesN && !l.usesM && (p.pack || l.nCoeff !== 1))
    .map(({ j }) => j);
  const blocked = c.ks.length === 1;
  // packing needs one reduction loop (the panel is indexed by it); a leaf that must be packed cannot go without
  if (!blocked && packed.length) return undefined;
  const g: Gen = { c, realType, p, ty, vl, nr, packed };
  const M = c.m.v;
  const N = c.n.v;
  const store = useStore(c, realType);
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  const omp = (s: string) => (p.omp ? L(s) : undefined);
  L('{');
  L(`const long kl_mlo = ${paren(printExpr(c.m.lo))}, kl_mhi = ${paren(printExpr(c.m.hi))}, kl_nlo = ${paren(printExpr(c.n.lo))}, kl_nhi = ${paren(printExpr(c.n.hi))};`);
  const [outerV, innerV, outerLo, outerHi, innerLo, innerHi] = c.outer === 'm' ? [M, N, 'kl_mlo', 'kl_mhi', 'kl_nlo', 'kl_nhi'] : [N, M, 'kl_nlo', 'kl_nhi', 'kl_mlo', 'kl_mhi'];
  const originalOrder = (body: string) => `for (long ${outerV} = ${outerLo}; ${outerV} < ${outerHi}; ${outerV}++) for (long ${innerV} = ${innerLo}; ${innerV} < ${innerHi}; ${innerV}++) { ${body} }`;
  // initial values of S
  if (!store) L(`${ty} *kl_S = (${ty} *)malloc(sizeof(${ty}) * (kl_mhi > kl_mlo && kl_nhi > kl_nlo ? (kl_mhi - kl_mlo) * (kl_nhi - kl_nlo) : 1));`);
  const init = c.form === 'direct' ? (store ? undefined : `${c.store!.array}[${printExpr(c.store!.idx)}]`) : printExpr(c.acc!.init);
  if (init !== undefined) L(originalOrder(`${sRef(g, M, N)} = ${init};`));
  const kLo = paren(printExpr(c.ks[0].lo));
  const kHi = paren(printExpr(c.ks[0].hi));
  // the lane block holds whole panels
  const nc = Math.ceil(p.nc / nr) * nr;
  const panel = nc * p.kc;
  // One parallel region: every thread packs the panels itself (private, no barrier) and takes the
  // same row panels in every block (a static schedule over the same iterations, so without waiting:
  // nowait). Where threads sleep at once (OMP_WAIT_POLICY=PASSIVE, as in checks) each region or barrier costs a wake-up.
  omp('#pragma omp parallel');
  L('{');
  if (packed.length) L(`${ty} *kl_bp = (${ty} *)aligned_alloc(64, ${Math.ceil((packed.length * panel * tyBytes) / 64) * 64});`);
  L(`for (long kl_n0 = kl_nlo; kl_n0 < kl_nhi; kl_n0 += ${nc}) {`);
  L(`const long kl_n1 = kl_n0 + ${nc} < kl_nhi ? kl_n0 + ${nc} : kl_nhi;`);
  if (blocked) L(`for (long kl_k0 = ${kLo}; kl_k0 < ${kHi}; kl_k0 += ${p.kc}) { const long kl_k1 = kl_k0 + ${p.kc} < ${kHi} ? kl_k0 + ${p.kc} : ${kHi};`);
  else L('{');
  const K = c.ks[0].v;
  packed.forEach((j, slot) => {
    L(`for (long kl_p = kl_n0; kl_p < kl_n1; kl_p += ${nr}) {`);
    L(`${ty} *kl_dst = kl_bp + ${slot * panel} + (kl_p - kl_n0) / ${nr} * ${p.kc * nr};`);
    L(`for (long ${K} = kl_k0; ${K} < kl_k1; ${K}++) for (int kl_l = 0; kl_l < ${nr}; kl_l++) { const long ${N} = kl_p + kl_l; kl_dst[(${K} - kl_k0) * ${nr} + kl_l] = ${N} < kl_n1 ? (${ty})(${printExpr(c.leaves[j].expr)}) : (${ty})0; }`);
    L('}');
  });
  omp('#pragma omp for schedule(static) nowait');
  L(`for (long kl_m0 = kl_mlo; kl_m0 < kl_mhi; kl_m0 += ${p.mr}) {`);
  L(`for (long kl_p = kl_n0; kl_p < kl_n1; kl_p += ${nr}) {`);
  // Full-width panels (or any panel, when every lane-moving operand is packed and zero-padded) run the
  // register tile; rows past the end are computed on the last row (clamped) and never stored.
  const padded = c.leaves.every((l, j) => !l.usesN || packed.includes(j));
  L(padded ? '{' : `if (kl_p + ${nr} <= kl_n1) {`);
  for (let r = 0; r < p.mr; r++) L(`const long kl_r${r} = kl_m0 + ${r} < kl_mhi ? kl_m0 + ${r} : kl_mhi - 1;`);
  L(`const int kl_whole = kl_m0 + ${p.mr} <= kl_mhi && kl_p + ${nr} <= kl_n1;`);
  L(`const long kl_nn = kl_n1 - kl_p < ${nr} ? kl_n1 - kl_p : ${nr};`);
  // the register tile
  const cname = (r: number, v: number) => `kl_c${r}_${v}`;
  const sAddr = (r: number, v: number) => `&${sRef(g, `kl_m0 + ${r}`, `kl_p + ${v * vl}`)}`;
  const vars: string[] = [];
  for (let r = 0; r < p.mr; r++) for (let v = 0; v < p.nv; v++) vars.push(cname(r, v));
  L(`kl_vec ${vars.join(', ')};`);
  L('if (kl_whole) {');
  for (let r = 0; r < p.mr; r++) for (let v = 0; v < p.nv; v++) L(`__builtin_memcpy(&${cname(r, v)}, ${sAddr(r, v)}, sizeof(kl_vec));`);
  L('} else {');
  for (let r = 0; r < p.mr; r++) {
    L(`{ ${ty} kl_row[${nr}] = {0}; if (kl_m0 + ${r} < kl_mhi) for (long kl_l = 0; kl_l < kl_nn; kl_l++) kl_row[kl_l] = ${sRef(g, `kl_m0 + ${r}`, 'kl_p + kl_l')};`);
    for (let v = 0; v < p.nv; v++) L(`__builtin_memcpy(&${cname(r, v)}, kl_row + ${v * vl}, sizeof(kl_vec));`);
    L('}');
  }
  L('}');
  packed.forEach((j, slot) => L(`const ${ty} *kl_pb${j} = kl_bp + ${slot * panel} + (kl_p - kl_n0) / ${nr} * ${p.kc * nr};`));
  L(kHeaders(g, blocked).join(' ') + ' {');
  c.leaves.forEach((l: Leaf, j) => {
    if (!l.usesN) return;
    for (let v = 0; v < p.nv; v++) {
      if (packed.includes(j)) L(`kl_vec kl_b${j}_${v}; __builtin_memcpy(&kl_b${j}_${v}, kl_pb${j} + (${K} - kl_k0) * ${nr} + ${v * vl}, sizeof(kl_vec));`);
      else
        for (let r = 0; r < (l.usesM ? p.mr : 1); r++) {
          const at = subst(l.expr, { [M]: `kl_r${r}`, [N]: `kl_p + ${v * vl}` });
          L(`kl_vec kl_d${j}_${l.usesM ? r : 'x'}_${v}; __builtin_memcpy(&kl_d${j}_${l.usesM ? r : 'x'}_${v}, &${at}, sizeof(kl_vec));`);
        }
    }
  });
  for (let r = 0; r < p.mr; r++)
    for (let v = 0; v < p.nv; v++) {
      const e = vectorSummand(g, r, v);
      const x = cname(r, v);
      if (c.op === '+=' || c.op === '-=') L(`${x} ${c.op} ${e};`);
      // a selection, as the reference compares: the new value where it is smaller (larger), else the old
      else L(`{ kl_vec kl_e = (kl_vec){0} + ${e}; ${x} = kl_select(kl_e ${c.op === 'min' ? '<' : '>'} ${x}, kl_e, ${x}); }`);
    }
  L('}');
  L('if (kl_whole) {');
  for (let r = 0; r < p.mr; r++) for (let v = 0; v < p.nv; v++) L(`__builtin_memcpy(${sAddr(r, v)}, &${cname(r, v)}, sizeof(kl_vec));`);
  L('} else {');
  for (let r = 0; r < p.mr; r++) {
    L(`if (kl_m0 + ${r} < kl_mhi) { ${ty} kl_row[${nr}];`);
    for (let v = 0; v < p.nv; v++) L(`__builtin_memcpy(kl_row + ${v * vl}, &${cname(r, v)}, sizeof(kl_vec));`);
    L(`for (long kl_l = 0; kl_l < kl_nn; kl_l++) ${sRef(g, `kl_m0 + ${r}`, 'kl_p + kl_l')} = kl_row[kl_l]; }`);
  }
  L('}');
  if (padded) L('}');
  else {
    L('} else {');
    // edges of operands loaded in place: element by element, in the reference's own order over the reduction loops
    L(`for (long ${M} = kl_m0; ${M} < (kl_m0 + ${p.mr} < kl_mhi ? kl_m0 + ${p.mr} : kl_mhi); ${M}++) for (long ${N} = kl_p; ${N} < (kl_p + ${nr} < kl_n1 ? kl_p + ${nr} : kl_n1); ${N}++) {`);
    L(`${ty} kl_s = ${sRef(g, M, N)};`);
    L(`${kHeaders(g, blocked).join(' ')} ${c.op === '+=' || c.op === '-=' ? `kl_s ${c.op} ${printExpr(c.e)};` : `{ ${ty} kl_e = ${printExpr(c.e)}; if (kl_e ${c.op === 'min' ? '<' : '>'} kl_s) kl_s = kl_e; }`}`);
    L(`${sRef(g, M, N)} = kl_s;`);
    L('}');
    L('}');
  }
  L('}'); // p
  L('}'); // m0
  L('}'); // k0
  L('}'); // n0
  if (packed.length) L('free(kl_bp);');
  L('}'); // parallel region
  if (!store) {
    const post: Stmt[] = c.form === 'direct' ? [{ k: 'expr', e: { k: 'assign', op: '=', l: { k: 'index', arr: { k: 'id', name: c.store!.array }, idx: c.store!.idx }, r: { k: 'id', name: 'kl_acc' } } }] : c.acc!.post;
    const accName = c.form === 'direct' ? 'kl_acc' : c.acc!.name;
    const sExpr: Expr = { k: 'id', name: sRef(g, M, N) };
    L(originalOrder(post.map((s) => printStmt(substitute(s, accName, sExpr)).trim()).join(' ')));
    L('free(kl_S);');
  }
  L('}');
  return lines.join('\n');
}

/** The vector type the block uses (a top-level typedef). */
export function vectorTypedef(c: Contraction, p: MicroParams, elemBytes: number): string {
  const ty = c.type === 'real' ? 'real' : c.type;
  const lines = [`typedef ${ty} kl_vec __attribute__((vector_size(${p.vb})));`];
  if (c.op === 'min' || c.op === 'max') {
    // lane-wise selection by a comparison's mask (GCC's vector comparisons give 0 / -1 per lane)
    const bytes = c.type === 'double' ? 8 : c.type === 'float' ? 4 : elemBytes;
    lines.push(`typedef ${bytes === 8 ? 'long long' : 'int'} kl_ivec __attribute__((vector_size(${p.vb})));`);
    lines.push('static inline kl_vec kl_select(kl_ivec m, kl_vec a, kl_vec b) { return (kl_vec)(((kl_ivec)a & m) | ((kl_ivec)b & ~m)); }');
  }
  return lines.join('\n');
}
