/**
 * The kernel in a model's reply: the last fenced ```c block that defines the function (or the last
 * fenced block); a reply that is bare C defining it is taken as it is.
 */
export function extractKernel(reply: string, fn: string): string | undefined {
  const blocks = [...reply.matchAll(/```[ \t]*([A-Za-z0-9+#-]*)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1].toLowerCase(), code: m[2] }));
  const defines = (code: string) => new RegExp(`\\b${fn}\\s*\\([^)]*\\)\\s*\\{`).test(code);
  const hit = [...blocks].reverse().find((b) => defines(b.code)) ?? (blocks.length === 0 && defines(reply) ? { code: reply } : undefined);
  return hit ? hit.code.trim() + '\n' : undefined;
}

/** Optional `FLAGS: -fopenmp -funroll-loops` line in a reply. */
export function extractFlags(reply: string): string[] | undefined {
  const m = /^\s*FLAGS:\s*(.*)$/m.exec(reply);
  return m ? m[1].split(/\s+/).filter(Boolean) : undefined;
}

/** The first JSON object in a reply (fenced or bare). */
export function extractJson(reply: string): unknown {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(reply);
  const text = fenced ? fenced[1] : reply.slice(reply.indexOf('{'), reply.lastIndexOf('}') + 1);
  return JSON.parse(text);
}
