import { elementCount } from './load.js';
import type { ArrayParam, Size, Target } from './target.js';

/** Bytes of one element of an array: its integer type's, or the target's precision's. */
export const elemBytes = (t: Pick<Target, 'real'>, a: ArrayParam): number => a.int?.bytes ?? (t.real === 'float' ? 4 : 8);

/** A reader of one element of an array from a raw little-endian buffer, as a number. */
export function readElem(t: Pick<Target, 'real'>, a: ArrayParam): (b: Buffer, byteOffset: number) => number {
  if (a.int) {
    if (a.int.bytes === 1) return a.int.signed ? (b, o) => b.readInt8(o) : (b, o) => b.readUInt8(o);
    if (a.int.bytes === 2) return a.int.signed ? (b, o) => b.readInt16LE(o) : (b, o) => b.readUInt16LE(o);
    if (a.int.bytes === 4) return a.int.signed ? (b, o) => b.readInt32LE(o) : (b, o) => b.readUInt32LE(o);
    return a.int.signed ? (b, o) => Number(b.readBigInt64LE(o)) : (b, o) => Number(b.readBigUInt64LE(o));
  }
  return t.real === 'float' ? (b, o) => b.readFloatLE(o) : (b, o) => b.readDoubleLE(o);
}

/** One piece of a harness's IN file: a scalar's value or an in/inout array, in parameter order. */
export interface InputPiece {
  name: string;
  kind: 'scalar' | 'array';
  bytes: number;
}

/** What an IN file holds at a size: every scalar and every in/inout array, in parameter order, raw little-endian. */
export function inputLayout(t: Target, size: Size): InputPiece[] {
  const out: InputPiece[] = [];
  const realBytes = t.real === 'float' ? 4 : 8;
  for (const p of t.params) {
    if (p.kind === 'scalar') out.push({ name: p.name, kind: 'scalar', bytes: realBytes });
    else if (p.kind === 'array' && p.role !== 'out') out.push({ name: p.name, kind: 'array', bytes: elementCount(p, size) * elemBytes(t, p) });
  }
  return out;
}
