/**
 * `npm run bench [-- --minutes 10 --target sgemm ... --device cuda]`: a fresh run (new memory, so every target
 * starts from its reference) with the embedded defaults, then the table: per target the reference
 * and best time, speedup over the reference, GFLOP/s and % of its roof; candidates per hour; the
 * share of wall time spent outside compile and kernel processes; and on the CPU the vendor row:
 * OpenBLAS sgemm timed in this same process run, with kloop's best sgemm as a fraction of it.
 * `npm run bench -- --vendor-only` times just the vendor row.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summaryTable } from '../cli/summary-table.js';
import { formatEvent } from '../tui/event-line.js';
import { createRun } from '../loop/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { evalExpr, resolveTarget } from '../targets/index.js';
import { timeOpenBlasSgemm, vendorRow } from './vendor-sgemm.js';
import { gapTable, type EventMark } from './idle-gaps.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    target: { type: 'string', multiple: true },
    quiet: { type: 'boolean', default: false },
    device: { type: 'string', default: 'cpu' },
    'vendor-only': { type: 'boolean', default: false },
    /** Rounds of different targets in flight at once (loop.pipeline; default: the embedded WORKFLOW.md's). */
    pipeline: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const cwd = mkdtempSync(join(tmpdir(), 'kloop-bench-'));
const workflow = loadWorkflow(DEFAULT_WORKFLOW);
workflow.config.git.commit = false;
if (values.pipeline !== undefined) workflow.config.loop.pipeline = Number(values.pipeline);
if (values.device !== 'cpu' && values.device !== 'cuda') throw new Error('--device: cpu or cuda');

/** OpenBLAS at the sgemm target's bench size, with kloop's thread count (the CPU only). */
async function vendor(kloopGflops?: number): Promise<void> {
  if (values.device !== 'cpu') return;
  const sgemm = resolveTarget('sgemm');
  const size = { M: sgemm.benchSize.M, N: sgemm.benchSize.N, K: sgemm.benchSize.K };
  const threads = workflow.config.sandbox.threads ?? availableParallelism();
  const v = await timeOpenBlasSgemm({ workDir: join(cwd, 'vendor'), size, flops: evalExpr(sgemm.flops, sgemm.benchSize), threads });
  console.log(vendorRow(size, v, kloopGflops));
}
if (values['vendor-only']) {
  await vendor();
  rmSync(cwd, { recursive: true, force: true });
  process.exit(0);
}
workflow.config.device = values.device;
// On a GPU: the shipped targets that carry a CUDA reference.
const targets = values.target ?? (values.device === 'cuda' ? ['sgemm', 'softmax', 'layernorm', 'sum'] : undefined);

console.log(`kloop loop benchmark: ${minutes} min, fresh memory in ${cwd}`);
/** The machine's CPU time so far, busy and total, in clock ticks (Linux's /proc/stat; undefined elsewhere). */
function cpuTicks(): { busy: number; total: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}
const cpu0 = cpuTicks();
const marks: EventMark[] = [];
const runner = await createRun({
  workflow,
  cwd,
  targets,
  minutes,
  rounds: 0,
  onEvent: (e) => {
    marks.push({ at: performance.now(), what: e.type === 'candidate.state' ? `${e.type}:${e.state}` : e.type });
    if (values.quiet) return;
    if (e.type === 'round.end' || e.type === 'baseline.updated' || e.type === 'bench.input' || e.type === 'device.profile' || e.type === 'run.end')
      console.log(formatEvent(e) ?? `[${'target' in e ? e.target : ''}] round ${'round' in e ? e.round : ''} done`);
  },
});
const summary = await runner.run();
console.log('\n' + summaryTable(summary));
const hours = summary.elapsedMs / 3_600_000;
const busy = summary.busy!;
console.log(`\ncandidates per hour: ${(summary.candidates / hours).toFixed(0)}`);
console.log(`compile busy ${(busy.compileMs / 1000).toFixed(1)} s, kernel processes busy ${(busy.runMs / 1000).toFixed(1)} s, either ${(busy.anyMs / 1000).toFixed(1)} s of ${(summary.elapsedMs / 1000).toFixed(1)} s wall`);
const pm = busy.processMs;
if (pm) console.log(`process-seconds (two at once count twice): compiles ${(pm.compile / 1000).toFixed(1)}, check runs ${(pm.check / 1000).toFixed(1)}, timed runs ${(pm.timed / 1000).toFixed(1)}, other ${(pm.other / 1000).toFixed(1)}`);
console.log(`share of wall time outside compile and run: ${(100 * busy.outsideShare).toFixed(1)}%`);
if (busy.idleGaps) console.log(gapTable(busy.idleGaps, marks));
const cpu1 = cpuTicks();
if (cpu0 && cpu1) console.log(`machine CPU busy (all processes, /proc/stat): ${((100 * (cpu1.busy - cpu0.busy)) / (cpu1.total - cpu0.total)).toFixed(1)}%`);
console.log(`timed runs held the device alone ${((busy.exclusiveMs ?? 0) / 1000).toFixed(1)} s (${((100 * (busy.exclusiveMs ?? 0)) / summary.elapsedMs).toFixed(1)}% of wall)`);
const verified = summary.perTarget.filter((t) => t.keeps > 0).length;
console.log(`targets with a verified speedup: ${verified} of ${summary.perTarget.length}`);
const nearRoof = summary.perTarget.filter((t) => (t.pctOfRoof ?? 0) >= 30);
console.log(`targets at >= 30% of their roof (the level their working set fits in, or peak compute): ${nearRoof.length} of ${summary.perTarget.length}`);
await vendor(summary.perTarget.find((t) => t.target === 'sgemm')?.bestGflops);
