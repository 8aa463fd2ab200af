import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLevels, listDevices, type AcpDescriptor, type ListedDevice } from '../devices/index.js';
import { localDevices } from '../loop/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { fleetStatus } from '../fleet/index.js';

/**
 * `kloop devices [--json]`: this machine's devices as ACP descriptors, from the profiles memory
 * holds (nothing is measured). In a fleet the workers' descriptors follow (the `fleet` seam).
 */
export async function devicesCommand(opts: { workflow?: string; memory?: string; json?: boolean; fleet?: string }): Promise<void> {
  const workflow = loadWorkflow(opts.workflow);
  const fleet = opts.fleet ?? workflow.config.fleet.redis;
  // The sandbox probe's build products are shared with kloop doctor's.
  const listed = await listDevices({
    local: () => localDevices({ workflow, cwd: process.cwd(), cacheDir: join(tmpdir(), 'kloop-doctor'), memoryPath: opts.memory }),
    fleet: fleet ? async () => (await fleetStatus(fleet)).workers.map((w) => ({ source: `worker ${w.id}, class ${w.class}`, descriptor: w.descriptor })) : undefined,
  });
  if (opts.json) {
    console.log(
      JSON.stringify(
        listed.flatMap((d) => ('descriptor' in d ? [d.descriptor] : [])),
        null,
        2,
      ),
    );
    for (const d of listed) if (!('descriptor' in d)) console.error(`kloop: ${unmeasuredLine(d)}`);
    return;
  }
  console.log(listed.map((d) => ('descriptor' in d ? describe(d.source, d.descriptor) : unmeasuredLine(d))).join('\n\n'));
}

function unmeasuredLine(d: Exclude<ListedDevice, { descriptor: AcpDescriptor }>): string {
  return `${d.unmeasured.kind.padEnd(5)} ${d.unmeasured.model} (${d.source}, ${d.unmeasured.id}): ${d.why}`;
}

const gflops = (v: number) => v.toFixed(v < 100 ? 1 : 0);

/** A few lines per device: kind and model, then units, peaks, memory levels, compilers, sandbox, versions. */
export function describe(source: string, d: AcpDescriptor): string {
  const unit = d.units.name.replace(/s$/, '');
  const rows: [string, string][] = [
    ['units', `${d.units.count} ${d.units.name}`],
    [
      'peaks',
      Object.entries(d.peaks)
        .map(([p, v]) => `${p} ${gflops(v.all)} GFLOP/s (${gflops(v.one)} per ${unit})`)
        .join(' · '),
    ],
    ['memory', formatLevels(d.memory.levels)],
    ['compilers', d.compilers.map((c) => `${c.name}: ${c.version}`).join('; ') || 'none'],
    ['sandbox', `${d.sandbox.applied.join(' + ') || 'process group and timeout only'} applied to candidates${d.sandbox.missing.length ? `; missing: ${d.sandbox.missing.join(', ')}` : ''}`],
  ];
  if (d.link) rows.push(['link', `${d.link.gbs.toFixed(2)} GB/s, round trip ${d.link.rttMs.toFixed(2)} ms to the coordinator (measured ${d.link.measuredAt})`]);
  const extensions = Object.entries(d.extensions ?? {});
  if (extensions.length) rows.push(['extensions', extensions.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' · ')]);
  rows.push(['kloop', `${d.kloop}; profile measured ${d.measuredAt}`]);
  return [`${d.kind.padEnd(5)} ${d.model} (${source}, ${d.fingerprint.id})`, ...rows.map(([k, v]) => `      ${k.padEnd(10)} ${v}`)].join('\n');
}
