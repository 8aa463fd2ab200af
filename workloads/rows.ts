import { evalExpr, type Size, type Target } from '../targets/index.js';
import type { RowSplit } from './workload.js';

/**
 * Whether a node may be split along `symbol` (`rows:` in workload.yaml), read from the target's
 * shapes at the node's sizes: every array's leading extent is `coef * symbol + offset` (checked at
 * symbol = 1, 2 and the node's value) or does not depend on it; no other extent depends on it; an
 * output grows with it and has no offset (two slices never write one row). The shapes cannot say
 * whether rows are truly independent (a column-wise softmax has row-wise shapes): the workload's
 * author says so, and CEP verification checks it on every plan. A string says what is wrong.
 */
export function rowSplit(t: Target, sizes: Size, symbol: string): RowSplit | string {
  if (!t.sizeSymbols.includes(symbol)) return `"${symbol}" is not a size symbol of ${t.name} (${t.sizeSymbols.join(', ')})`;
  const at = (v: number): Size => ({ ...sizes, [symbol]: v });
  const n = sizes[symbol];
  const arrays: RowSplit['arrays'] = {};
  for (const a of t.arrays) {
    if (a.role === 'inout') return `${a.name} is inout: a slice would read rows another slice writes`;
    const ext = (v: number) => a.shape.map((d) => evalExpr(d, at(v)));
    const e1 = ext(1);
    const e2 = ext(2);
    const en = ext(n);
    for (let i = 1; i < a.shape.length; i++) if (e1[i] !== e2[i] || e1[i] !== en[i]) return `${a.name}'s extent ${i + 1} (${a.shapeText[i]}) depends on ${symbol}: its rows are not contiguous slices`;
    const coef = e2[0] - e1[0];
    const offset = e1[0] - coef;
    if (en[0] !== coef * n + offset || coef < 0) return `${a.name}'s leading extent (${a.shapeText[0]}) is not a multiple of ${symbol} plus a constant`;
    if (coef === 0) {
      if (a.role !== 'in') return `output ${a.name} (${a.shapeText.join(' x ')}) does not grow with ${symbol}: its rows cannot be split along ${symbol}`;
      arrays[a.name] = 'whole';
      continue;
    }
    if (offset < 0) return `${a.name}'s leading extent (${a.shapeText[0]}) is smaller than ${symbol} rows at ${symbol} = 1`;
    if (a.role !== 'in' && offset !== 0) return `output ${a.name}'s leading extent (${a.shapeText[0]}) has an offset: slices would overlap`;
    arrays[a.name] = { coef, offset };
  }
  if (!Object.values(arrays).some((v) => v !== 'whole')) return `no array of ${t.name} grows with ${symbol}`;
  return { symbol, extent: n, arrays };
}

/** The rows [lo, hi) of an array a slice [r0, r1) of its node reads or writes (all of them for a `whole` array). */
export function sliceRows(split: RowSplit, arg: string, r0: number, r1: number, rows: number): [number, number] {
  const s = split.arrays[arg];
  if (s === undefined || s === 'whole') return [0, rows];
  return [s.coef * r0, s.coef * r1 + s.offset];
}
