import { elemBytes, elementCount, type Size, type Target } from '../targets/index.js';

/** One call of the stale-state check: its input file, the oracle's values for it, the inputs to compare. */
export interface CallInput {
  inputFile: string;
  oracleFile: string;
  inputs: Map<string, Buffer>;
  /** Called without poisoning the outputs first: they hold what the previous call left (a user's loop). */
  keep?: boolean;
}

/**
 * The calls the stale-state check makes in one process, in the same buffers: fresh inputs one after
 * another (each call checked against its own oracle), then inputs seen earlier again (a memo that
 * hits on a later call, or heap residue that survives `free`, shows), then `shared`: inputs that
 * share the first half of every array and differ in the rest, called one after another without
 * poisoning in between (the outputs a user's loop leaves in place), so a kernel keyed on its
 * previous outputs repeating (part of them stays equal) shows too. At least 4 calls.
 */
export function staleCalls(first: CallInput, fresh: CallInput[], shared: CallInput[] = []): CallInput[] {
  const calls = [first, ...fresh];
  calls.push(first);
  if (fresh.length > 1) calls.push(fresh[1]);
  calls.push(...shared.map((c, i) => ({ ...c, keep: i > 0 })));
  return calls;
}

/** The IN list of a check process for these calls. */
export function callList(calls: CallInput[]): string[] {
  return calls.map((c) => `${c.keep ? '=' : ''}${c.inputFile}`);
}

/** The OUT of a check process, one block per call (every array, parameter order). */
export function outputBlocks(t: Target, size: Size, out: Buffer, calls: number): Buffer[] {
  const block = t.arrays.reduce((n, a) => n + elementCount(a, size) * elemBytes(t, a), 0);
  return Array.from({ length: calls }, (_, i) => out.subarray(i * block, (i + 1) * block));
}
