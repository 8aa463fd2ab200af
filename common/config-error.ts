import type { z } from 'zod';
import { ConfigError } from './errors.js';

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

type AnyDef = { type: string; shape?: Record<string, unknown>; innerType?: unknown; element?: unknown; valueType?: unknown; options?: unknown[] };
const defOf = (s: unknown): AnyDef | undefined => (s as { _zod?: { def: AnyDef } })?._zod?.def;

/** The keys a strict object schema accepts at `path` (for "did you mean"). */
function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const unwrap = () => {
    for (let d = defOf(s); d && ['optional', 'default', 'prefault', 'nullable', 'pipe', 'catch', 'readonly'].includes(d.type); d = defOf(s)) s = d.innerType ?? (d as { in?: unknown }).in;
  };
  for (const key of path) {
    unwrap();
    const d = defOf(s);
    if (!d) return [];
    if (d.type === 'object' && d.shape) s = d.shape[String(key)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return [];
  }
  unwrap();
  const d = defOf(s);
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Turn the first zod issue into one actionable line naming the file and key. */
export function configErrorFromZod(file: string, schema: z.ZodType, error: z.ZodError): ConfigError {
  // A misspelt key also makes its correct spelling "missing": report the unknown key first.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const key = (issue as { keys: string[] }).keys[0];
    const known = keysAt(schema, path);
    const where = formatPath([...path, key]);
    return new ConfigError(file, where, `unknown key${didYouMean(key, known)}; allowed here: ${known.join(', ')}`);
  }
  return new ConfigError(file, formatPath(path), issue.message);
}
