import type { Workload } from '../workloads/index.js';
import type { CepPlan } from './schema.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** What a picture of a plan needs, kept with it (the workload's folder may be gone when the report is written). */
export interface PlanGraph {
  workload: string;
  devices: string[];
  nodes: { name: string; target: string; after: string[]; parts: { device: string; rows: [number, number] }[]; extent: number }[];
}

/** The workload's graph with, per node, the rows each device runs. */
export function planGraph(w: Workload, plan: CepPlan): PlanGraph {
  return {
    workload: w.name,
    devices: plan.devices.map((d) => d.name),
    nodes: w.nodes.map((n) => {
      const extent = n.rows ? n.rows.extent : 1;
      const after = [...new Set(Object.values(n.source).map((id) => w.arrays.get(id)!.node))].filter((m) => m !== n.name);
      const parts = plan.steps.flatMap((s) => (s.op === 'run' && s.node === n.name ? [{ device: s.device, rows: (s.rows ?? [0, extent]) as [number, number] }] : []));
      return { name: n.name, target: n.target.name, after, parts, extent };
    }),
  };
}

/**
 * The graph as SVG: nodes in columns by depth, edges from each node to the nodes that read its
 * outputs, each node's box divided along its rows and coloured by the device that runs them; a
 * legend of devices, and a caption (predicted against measured time).
 */
export function planGraphSvg(g: PlanGraph, caption: string): string {
  const depth = new Map<string, number>();
  for (const n of g.nodes) depth.set(n.name, Math.max(0, ...n.after.map((a) => (depth.get(a) ?? 0) + 1)));
  const columns = Math.max(...depth.values()) + 1;
  const perColumn = new Map<number, string[]>();
  for (const n of g.nodes) perColumn.set(depth.get(n.name)!, [...(perColumn.get(depth.get(n.name)!) ?? []), n.name]);
  const rowsMax = Math.max(...[...perColumn.values()].map((c) => c.length));
  const BW = 120;
  const BH = 54;
  const W = Math.max(420, 40 + columns * (BW + 60), 40 + Math.ceil(caption.length * 6.6));
  const H = 70 + rowsMax * (BH + 30) + 30;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [c, names] of perColumn) names.forEach((n, i) => pos.set(n, { x: 20 + c * (BW + 60), y: 40 + i * (BH + 30) }));
  const color = (d: string) => COLORS[g.devices.indexOf(d) % COLORS.length];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<text x="20" y="22" font-size="14">${esc(`${g.workload}: nodes coloured by the device that runs their rows`)}</text>`,
  ];
  for (const n of g.nodes)
    for (const a of n.after) {
      const p = pos.get(a)!;
      const q = pos.get(n.name)!;
      out.push(`<line x1="${p.x + BW}" y1="${p.y + BH / 2}" x2="${q.x}" y2="${q.y + BH / 2}" stroke="#888" stroke-width="1.5"/>`);
    }
  for (const n of g.nodes) {
    const p = pos.get(n.name)!;
    for (const part of n.parts) {
      const y0 = p.y + (BH * part.rows[0]) / n.extent;
      const h = (BH * (part.rows[1] - part.rows[0])) / n.extent;
      out.push(`<rect x="${p.x}" y="${y0.toFixed(1)}" width="${BW}" height="${h.toFixed(1)}" fill="${color(part.device)}" fill-opacity="0.35"/>`);
    }
    out.push(`<rect x="${p.x}" y="${p.y}" width="${BW}" height="${BH}" fill="none" stroke="#333"/>`);
    out.push(`<text x="${p.x + 6}" y="${p.y + 20}">${esc(n.name)}</text><text x="${p.x + 6}" y="${p.y + 38}" fill="#555">${esc(n.target)}${n.parts.length > 1 ? ` (${n.parts.length} slices)` : ''}</text>`);
  }
  g.devices.forEach((d, i) => out.push(`<rect x="${20 + i * 110}" y="${H - 40}" width="12" height="12" fill="${color(d)}" fill-opacity="0.6"/><text x="${36 + i * 110}" y="${H - 30}">${esc(d)}</text>`));
  out.push(`<text x="20" y="${H - 10}" fill="#333">${esc(caption)}</text>`, '</svg>');
  return out.join('\n') + '\n';
}
