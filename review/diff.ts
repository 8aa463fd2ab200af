/** A line diff (LCS) of two sources, as unified-style rows for the reviewer's view. */
export interface DiffRow {
  kind: ' ' | '-' | '+';
  text: string;
  /** Line numbers in the old and new file. */
  a?: number;
  b?: number;
}

export function diffLines(before: string, after: string): DiffRow[] {
  const a = before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) rows.push({ kind: ' ', text: a[i], a: ++i, b: ++j });
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) rows.push({ kind: '-', text: a[i], a: ++i });
    else rows.push({ kind: '+', text: b[j], b: ++j });
  }
  return rows;
}
