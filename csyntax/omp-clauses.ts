/** One reduction item of an OpenMP pragma: `reduction(+:s, y[0:(long)N])` gives (+, s) and (+, y, section "0:(long)N"). */
export interface ReductionItem {
  op: string;
  name: string;
  /** The array section's text inside the brackets, for an array item. */
  section?: string;
}

/** The arguments of each `name(...)` clause of a pragma, parentheses balanced (a cast inside a section is part of it). */
export function ompClauses(pragma: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`\\b${name}\\s*\\(`, 'g');
  for (let m = re.exec(pragma); m; m = re.exec(pragma)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < pragma.length && depth > 0; i++) depth += pragma[i] === '(' ? 1 : pragma[i] === ')' ? -1 : 0;
    if (depth === 0) out.push(pragma.slice(start, i - 1));
  }
  return out;
}

/** Split at top-level commas (not those inside brackets or parentheses). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

/** Every item of every reduction clause of a pragma; an item that is neither a name nor `name[section]` keeps its whole text as the name. */
export function reductionItems(pragma: string): ReductionItem[] {
  const out: ReductionItem[] = [];
  for (const args of ompClauses(pragma, 'reduction')) {
    const colon = args.indexOf(':');
    if (colon < 0) continue;
    const op = args.slice(0, colon).trim();
    for (const item of splitTop(args.slice(colon + 1))) {
      const sec = /^(\w+)\s*\[([\s\S]*)\]$/.exec(item);
      out.push(sec ? { op, name: sec[1], section: sec[2] } : { op, name: item });
    }
  }
  return out;
}
