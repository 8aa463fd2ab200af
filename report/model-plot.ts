import type { Journaled } from '../loop/index.js';
import { describeModelQuality } from '../model/index.js';
import { chart, type Series } from './svg.js';

type Ev<T extends Journaled['type']> = Extract<Journaled, { type: T }>;

/**
 * The compute model's page of the report: its quality line (the run's model.quality event) and
 * predicted against measured time for every measured candidate it predicted, log–log, one colour
 * per target, with the y = x line (on it: a perfect prediction). Each point was predicted before
 * the model trained on that candidate.
 */
export function modelSection(events: Journaled[]): { markdown: string[]; svg?: string } {
  const quality = [...events].reverse().find((e): e is Ev<'model.quality'> => e.type === 'model.quality');
  const points = new Map<string, [number, number][]>();
  for (const e of events) {
    if (e.type !== 'candidate.result') continue;
    const r = e.result;
    if ((r.status !== 'keep' && r.status !== 'discard') || !(r.predictedNs! > 0) || !(r.medianNs! > 0)) continue;
    const list = points.get(r.target) ?? [];
    list.push([r.medianNs! / 1e6, r.predictedNs! / 1e6]);
    points.set(r.target, list);
  }
  if (!quality && !points.size) return { markdown: [] };
  const md = ['## Compute model', '', quality ? `${describeModelQuality(quality.model, quality.trained, quality.quality)}.` : 'The compute model predicted these candidates before they were built.', ''];
  if (!points.size) return { markdown: md };
  const all = [...points.values()].flat().flat();
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const series: Series[] = [...points].map(([name, p]) => ({ name, points: p }));
  const svg = chart({
    title: 'Compute model: predicted against measured time',
    x: { min: lo, max: hi, log: true, label: 'measured median time (ms)' },
    y: { min: lo, max: hi, log: true, label: 'predicted before building (ms)' },
    series,
    markers: true,
    lines: [
      {
        points: [
          [lo, lo],
          [hi, hi],
        ],
        label: 'y = x',
        dashed: true,
      },
    ],
  });
  md.push('![compute model: predicted against measured](model.svg)', '');
  return { markdown: md, svg };
}
