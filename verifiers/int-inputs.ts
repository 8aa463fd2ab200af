import { ConfigError, type Rng } from '../common/index.js';
import { elementCount, type ArrayParam, type ScalarParam, type Size, type Target } from '../targets/index.js';
import { valueBounds } from '../targets/params.js';

/**
 * Contents of integer arrays and values of scalar parameters. The verifier picks them itself, of
 * every kind the declared structure allows, edge cases included: a check plan draws every variant
 * (see `variant`), the timed runs a typical one (`bench`).
 *   csr_rowptr: uniform rows, most rows empty, everything in one row, skewed (a few long rows), only
 *               the first and last rows, balanced (every row the same length, or one more);
 *   index:      uniform with 0 and the largest index present, a few values repeated, mostly the
 *               largest index, sorted runs, all distinct where they fit, runs of consecutive
 *               indices (a banded matrix's columns, an identity gather);
 *   range:      uniform with both ends present, only the ends, one value, sorted.
 */
export const INT_VARIANTS = { csr_rowptr: 6, index: 6, range: 4 } as const;

/** Row lengths summing to `total` over `rows` rows, for a variant. */
function rowCounts(rng: Rng, rows: number, total: number, variant: number): number[] {
  const counts = new Array<number>(rows).fill(0);
  const put = (pick: () => number) => {
    for (let e = 0; e < total; e++) counts[pick()]++;
  };
  switch (variant) {
    case 1: {
      // Most rows empty: the entries go to about a quarter of the rows.
      const live = rng.shuffle([...Array(rows).keys()]).slice(0, Math.max(1, Math.ceil(rows / 4)));
      put(() => rng.pick(live));
      break;
    }
    case 2: {
      const r = rng.int(0, rows - 1);
      counts[r] = total;
      break;
    }
    case 3:
      // Skewed: a row's weight falls off as a power of its rank (a few long rows, many short ones).
      put(() => Math.min(rows - 1, Math.floor(rows * rng.next() ** 3)));
      break;
    case 4:
      put(() => (rng.next() < 0.5 ? 0 : rows - 1));
      break;
    case 5: {
      // Balanced: total / rows each, the remainder one more in random rows.
      counts.fill(Math.floor(total / rows));
      for (const r of rng.shuffle([...Array(rows).keys()]).slice(0, total % rows)) counts[r]++;
      break;
    }
    default:
      put(() => rng.int(0, rows - 1));
  }
  return counts;
}

function indexValues(rng: Rng, n: number, lo: number, hi: number, variant: number): number[] {
  const uniform = () => rng.int(lo, hi);
  let xs: number[];
  switch (variant) {
    case 1: {
      const few = Array.from({ length: rng.int(1, 3) }, uniform);
      xs = Array.from({ length: n }, () => rng.pick(few));
      break;
    }
    case 2:
      xs = Array.from({ length: n }, () => (rng.next() < 0.8 ? hi : uniform()));
      break;
    case 3: {
      xs = Array.from({ length: n }, uniform);
      // Sorted runs of random lengths (as column indices within CSR rows are).
      for (let i = 0; i < n;) {
        const len = rng.int(1, Math.max(1, Math.min(n - i, 16)));
        const run = xs.slice(i, i + len).sort((a, b) => a - b);
        xs.splice(i, len, ...run);
        i += len;
      }
      break;
    }
    case 4: {
      const span = hi - lo + 1;
      if (n <= span && span <= 1 << 22) {
        const pool = rng.shuffle(Array.from({ length: span }, (_, i) => lo + i));
        xs = pool.slice(0, n);
      } else xs = Array.from({ length: n }, uniform);
      break;
    }
    case 5: {
      // Runs of consecutive indices from random starts (wrapping inside the range).
      const span = hi - lo + 1;
      xs = [];
      while (xs.length < n) {
        const start = rng.int(0, span - 1);
        const len = Math.min(n - xs.length, rng.int(1, Math.max(1, Math.min(span, 64))));
        for (let i = 0; i < len; i++) xs.push(lo + ((start + i) % span));
      }
      break;
    }
    default:
      xs = Array.from({ length: n }, uniform);
  }
  if (variant !== 1 && n >= 2) {
    // Both extremes present (the largest index is the one an off-by-one misses), each written over
    // an element only where it is missing (so distinct values stay distinct).
    const j = rng.int(0, n - 1);
    if (!xs.includes(hi)) xs[j] = hi;
    if (!xs.includes(lo)) xs[xs[(j + 1) % n] === hi ? (j + 2) % n : (j + 1) % n] = lo;
  }
  return xs;
}

function rangeValues(rng: Rng, n: number, lo: number, hi: number, variant: number): number[] {
  switch (variant) {
    case 1:
      return Array.from({ length: n }, () => (rng.next() < 0.5 ? lo : hi));
    case 2: {
      const v = rng.int(lo, hi);
      return new Array<number>(n).fill(v);
    }
    case 3:
      return Array.from({ length: n }, () => rng.int(lo, hi)).sort((a, b) => a - b);
    default:
      return indexValues(rng, n, lo, hi, 0);
  }
}

/**
 * One integer input array's contents at a size, for a variant (`bench`: the typical, uniform one).
 * `edge` (see data-paths.ts): `lumped`, every entry in one row (CSR) or one value repeated, the
 * largest (index, range); `contains`, these values written in at random places where in bounds.
 */
export function intArray(t: Target, a: ArrayParam, size: Size, rng: Rng, variant: number, edge?: { lumped?: boolean; contains?: number[] }): Buffer {
  const n = elementCount(a, size);
  const b = valueBounds(a, size);
  const fail = (msg: string): never => {
    throw new ConfigError(t.file, `args.${a.name}.values`, `${msg} at ${JSON.stringify(size)}`);
  };
  if (typeof b === 'string') return fail(b);
  let xs: number[];
  const v = a.values!;
  if (v.kind === 'csr_rowptr') {
    const rows = n - 1;
    if (rows === 0 && b.hi !== 0) fail(`${v.text} is ${b.hi} but the array has one element (no rows to hold the entries)`);
    const counts = rows ? rowCounts(rng, rows, b.hi, edge?.lumped ? 2 : variant % INT_VARIANTS.csr_rowptr) : [];
    xs = [0];
    for (const c of counts) xs.push(xs[xs.length - 1] + c);
  } else if (v.kind === 'index') xs = indexValues(rng, n, b.lo, b.hi, variant % INT_VARIANTS.index);
  else xs = rangeValues(rng, n, b.lo, b.hi, variant % INT_VARIANTS.range);
  if (v.kind !== 'csr_rowptr' && edge?.lumped) xs.fill(b.hi);
  if (v.kind !== 'csr_rowptr' && edge?.contains) {
    const want = edge.contains.filter((x) => x >= b.lo && x <= b.hi);
    const at = rng.shuffle([...Array(n).keys()]).slice(0, want.length);
    at.forEach((i, j) => (xs[i] = want[j]));
  }
  const width = a.int!.bytes;
  const out = Buffer.alloc(n * width);
  xs.forEach((x, i) => {
    if (width === 1) {
      if (a.int!.signed) out.writeInt8(x, i);
      else out.writeUInt8(x, i);
    } else if (width === 2) {
      if (a.int!.signed) out.writeInt16LE(x, i * 2);
      else out.writeUInt16LE(x, i * 2);
    } else if (width === 4) {
      if (a.int!.signed) out.writeInt32LE(x, i * 4);
      else out.writeUInt32LE(x, i * 4);
    } else if (a.int!.signed) out.writeBigInt64LE(BigInt(x), i * 8);
    else out.writeBigUInt64LE(BigInt(x), i * 8);
  });
  return out;
}

/**
 * A scalar's value: fixed, or drawn from its range by variant: uniform, the low end, the high end,
 * then each value a kernel might single out (the bench value, 0, 1, -1 where inside the range), one
 * per variant, so that a plan's consecutive variants (one per distribution) draw every one of them;
 * `bench` for timed runs.
 */
export function scalarValue(p: ScalarParam, rng: Rng, variant: number, bench: boolean, edge?: number): number {
  if ('fixed' in p.value) return p.value.fixed;
  if (edge !== undefined) return edge;
  if (bench) return p.bench;
  const [lo, hi] = p.value.range;
  const specials = [...new Set([p.bench, 0, 1, -1].filter((x) => x > lo && x < hi))];
  const v = variant % (3 + specials.length);
  if (v === 1) return lo;
  if (v === 2) return hi;
  if (v >= 3) return specials[v - 3];
  return lo + (hi - lo) * rng.next();
}
