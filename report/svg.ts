/** A small SVG chart writer (no dependencies): line charts and log-log scatter with roof lines. */
export interface Series {
  name: string;
  points: [number, number][];
  /** Draw as a step line (value holds until the next point). */
  step?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Axis {
  min: number;
  max: number;
  log: boolean;
  label: string;
}

function scale(a: Axis, lo: number, hi: number): (v: number) => number {
  const f = (v: number) => (a.log ? Math.log10(Math.max(v, 1e-12)) : v);
  const [u, w] = [f(a.min), f(a.max)];
  return (v) => lo + ((f(v) - u) / (w - u || 1)) * (hi - lo);
}

function ticks(a: Axis): number[] {
  if (a.log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(a.min)); e <= Math.ceil(Math.log10(a.max)); e++) out.push(10 ** e);
    return out.filter((t) => t >= a.min * 0.999 && t <= a.max * 1.001);
  }
  const step = 10 ** Math.floor(Math.log10((a.max - a.min) / 4 || 1));
  const out: number[] = [];
  for (let t = Math.ceil(a.min / step) * step; t <= a.max; t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3))));

export function chart(o: { title: string; x: Axis; y: Axis; series: Series[]; lines?: { points: [number, number][]; label: string; dashed?: boolean }[]; markers?: boolean; width?: number; height?: number }): string {
  const W = o.width ?? 720;
  const H = o.height ?? 420;
  const m = { l: 70, r: 170, t: 40, b: 50 };
  const sx = scale(o.x, m.l, W - m.r);
  const sy = scale(o.y, H - m.b, m.t);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of ticks(o.x)) parts.push(`<line x1="${sx(t)}" y1="${m.t}" x2="${sx(t)}" y2="${H - m.b}" stroke="#eee"/><text x="${sx(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(o.y)) parts.push(`<line x1="${m.l}" y1="${sy(t)}" x2="${W - m.r}" y2="${sy(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.x.label)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.y.label)}</text>`);
  for (const l of o.lines ?? []) {
    parts.push(`<polyline fill="none" stroke="#555" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="5 4"' : ''} points="${l.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    const [lx, ly] = l.points[l.points.length - 1];
    parts.push(`<text x="${sx(lx) - 4}" y="${sy(ly) - 6}" text-anchor="end" fill="#555">${esc(l.label)}</text>`);
  }
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts: [number, number][] = [];
    s.points.forEach(([x, y], k) => {
      if (s.step && k > 0) pts.push([x, s.points[k - 1][1]]);
      pts.push([x, y]);
    });
    if (pts.length > 1 && !o.markers) parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${o.markers ? 5 : 3}" fill="${c}"/>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + i * 18}" width="12" height="12" fill="${c}"/><text x="${W - m.r + 30}" y="${m.t + i * 18 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
