/**
 * Kahn's algorithm, stable in the order the nodes were given: the order, or (a cycle) the
 * nodes on one cycle as "a -> b -> a".
 */
export function topologicalOrder(nodes: readonly string[], edges: readonly [string, string][]): string[] | string {
  const indeg = new Map(nodes.map((n) => [n, 0]));
  const out = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [a, b] of edges) {
    out.get(a)!.push(b);
    indeg.set(b, indeg.get(b)! + 1);
  }
  const order: string[] = [];
  const ready = nodes.filter((n) => indeg.get(n) === 0);
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const m of out.get(n)!) {
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) ready.push(m);
    }
  }
  if (order.length === nodes.length) return order;
  // Walk predecessors inside the remainder until a node repeats: that is a cycle.
  const left = new Set(nodes.filter((n) => !order.includes(n)));
  const pred = new Map<string, string>();
  for (const [a, b] of edges) if (left.has(a) && left.has(b)) pred.set(b, a);
  let n = [...left][0];
  const seen: string[] = [];
  while (!seen.includes(n)) {
    seen.push(n);
    n = pred.get(n)!;
  }
  const cycle = seen.slice(seen.indexOf(n)).reverse();
  return [...cycle, cycle[0]].join(' -> ');
}
