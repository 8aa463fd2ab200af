import { resolveWorkload, workloadCatalogNames, type Workload } from '../workloads/index.js';

/** `kloop workloads`: each shipped workload, its graph (node: target at its sizes, split along which rows) and its outputs. */
export function workloadsList(): string {
  return workloadCatalogNames()
    .map((n) => describeWorkload(resolveWorkload(n)))
    .join('\n\n');
}

export function describeWorkload(w: Workload): string {
  const lines = [`${w.name.padEnd(18)} ${w.description}`];
  for (const n of w.nodes) {
    const sizes = Object.entries(n.sizes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const reads = Object.entries(n.source)
      .filter(([arg, src]) => src !== `${n.name}.${arg}` && n.target.arrays.find((a) => a.name === arg)?.role === 'in')
      .map(([arg, src]) => `${arg} <- ${src}`);
    lines.push(`${''.padEnd(18)} ${n.name}: ${n.target.name} ${sizes}${n.rows ? ` (rows split along ${n.rows.symbol})` : ''}${reads.length ? `; ${reads.join(', ')}` : ''}`);
  }
  lines.push(`${''.padEnd(18)} outputs: ${w.outputs.join(', ')}`);
  return lines.join('\n');
}
