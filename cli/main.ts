#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../common/index.js';
import { RunFinished } from '../loop/resume.js';
import type { KloopEvent } from '../loop/index.js';
import type { PlanCommandOptions } from './plan-command.js';
import type { WorkerCommandOptions } from './worker-command.js';

// Each command loads its own modules when it runs: the whole set (ink, the model SDKs, BullMQ, the
// loop) took 1.33-1.42 s of a 2-core VM's start-up, paid by every `kloop verify` and `kloop init`
// (verify's own modules: 0.27 s).
const program = new Command();
program.name('kloop').description('Turns naive compute kernels into verified, measurably faster ones, overnight.').showHelpAfterError();

program
  .command('run')
  .description('run the optimisation loop (default WORKFLOW.md: ./WORKFLOW.md, else the embedded one)')
  .argument('[workflow]', 'path of a WORKFLOW.md')
  .option('-t, --target <name-or-path...>', 'shipped target names or target folders (overrides WORKFLOW.md)')
  .option('-m, --minutes <n>', 'wall-clock budget in minutes', Number)
  .option('-r, --rounds <n>', 'rounds per target', Number)
  .option('--resume <run-id>', 'continue a run that was interrupted')
  .option('--memory <path>', 'memory file (default from WORKFLOW.md: .kloop/memory.json)')
  .option('--provider <name>', "the writer's provider for this run: builtin, anthropic, openai or command")
  .option('--model <name>', "the writer's model for this run")
  .option('--record <file>', "save this run's model traffic (prompts and replies, no keys) to a file")
  .option('--replay <file>', 're-run recorded model traffic with no network (no API keys needed)')
  .option('--no-tui', 'plain log lines instead of the live dashboard')
  .option('--json', 'one JSON event per line on stdout')
  .option('--fleet <redis-url>', "evaluate candidates on a fleet's workers (kloop worker) through this Redis; with --workload, the plan rounds offer its CPU workers to GP1 instead; overrides fleet.redis")
  .option('-w, --workload <name-or-path...>', "workloads: tune their targets' kernels, then plan each across this machine's devices (a plan is kept only if verified and faster than the single-device plan)")
  .action(
    async (
      file: string | undefined,
      opts: { target?: string[]; minutes?: number; rounds?: number; resume?: string; memory?: string; json?: boolean; tui?: boolean; provider?: string; model?: string; record?: string; replay?: string; fleet?: string; workload?: string[] },
    ) => {
      const { loadWorkflow } = await import('../workflow/index.js');
      const { formatEvent } = await import('../tui/event-line.js');
      const { failIfStalled } = await import('./stalled.js');
      const workflow = loadWorkflow(file);
      if (opts.workload?.length) {
        const { refuseTargetsWithWorkloads, runWorkloads } = await import('./run-workloads.js');
        refuseTargetsWithWorkloads(opts.target, opts.workload);
        await failIfStalled(
          'the workload run',
          runWorkloads(workflow, {
            workloads: opts.workload,
            minutes: opts.minutes,
            rounds: opts.rounds,
            memory: opts.memory,
            json: opts.json,
            fleet: opts.fleet,
            onEvent: (e) => (opts.json ? console.log(JSON.stringify(e)) : ((l) => l && console.log(l))(formatEvent(e))),
          }),
        );
        return;
      }
      const { openFleet } = await import('./fleet-commands.js');
      const fleet = await openFleet(workflow, opts.fleet, (line) => console.error(`kloop: ${line}`));
      for (const [flag, v] of [
        ['--minutes', opts.minutes],
        ['--rounds', opts.rounds],
      ] as const)
        if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UserError(`${flag}: expected a non-negative number`);
      // In a terminal: the live dashboard; otherwise (or with --no-tui / --json) one line per event.
      const live = !opts.json && opts.tui !== false && process.stdout.isTTY ? (await import('./live-run.js')).liveRun({ workers: fleet?.watchWorkers }) : undefined;
      const print = (e: KloopEvent) => {
        if (live) live.push(e);
        else if (opts.json) console.log(JSON.stringify(e));
        else {
          const line = formatEvent(e);
          if (line) console.log(line);
        }
      };
      const { createRun } = await import('../loop/setup.js');
      const runner = await createRun({
        workflow,
        targets: opts.target,
        minutes: opts.minutes,
        rounds: opts.rounds,
        resume: opts.resume,
        memoryPath: opts.memory,
        provider: opts.provider,
        model: opts.model,
        record: opts.record,
        replay: opts.replay,
        onEvent: print,
        onWarning: (m) => print({ type: 'warning', message: m }),
        evaluator: fleet?.evaluator,
        measurer: fleet?.measurer,
        device: fleet?.device,
        cores: fleet?.cores,
      });
      const summary = await failIfStalled(`run ${runner.runId} (resume it with kloop run --resume ${runner.runId})`, runner.run()).finally(() => (live?.stop(), fleet?.close()));
      if (!opts.json) console.log('\n' + (await import('./summary-table.js')).summaryTable(summary));
    },
  );

program
  .command('targets')
  .description('list the shipped targets (and check that each loads)')
  .action(async () => {
    const { catalogNames, loadTarget, CATALOG_DIR } = await import('../targets/index.js');
    for (const name of catalogNames()) {
      const t = loadTarget(join(CATALOG_DIR, name));
      console.log(`${t.name.padEnd(10)} ${t.signature}\n${''.padEnd(10)} ${t.description}${t.cuda ? ` [cpu, cuda${t.cuda.starterSource ? ' + tunable starter' : ''}]` : ' [cpu]'}`);
    }
  });

program
  .command('workloads')
  .description('list the shipped workloads (graphs of targets; each is loaded and checked)')
  .action(async () => {
    console.log((await import('./plan-command.js')).workloadsList());
  });

program
  .command('init')
  .description('write a target folder from a C kernel: reference.c, target.yaml with roles, shapes, sizes, flops and bytes inferred (TODO where not), then run its checks')
  .argument('<file>', 'the C file holding the kernel (or a folder kloop init wrote: measure its bench size and run its checks once its TODOs are resolved)')
  .option('--function <name>', 'the kernel function (default: the only one no other function calls)')
  .option('--out <dir>', 'the target folder to write (default: ./NAME)')
  .action(async (file: string, opts: { function?: string; out?: string }) => {
    process.exitCode = await (await import('./init-command.js')).initCommand(file, opts);
  });

program
  .command('plan')
  .description("GP1's plan of a workload on this machine's devices, with its predicted time; --check validates a plan file, --run verifies and times it")
  .argument('[workload]', 'shipped workload name or workload folder')
  .option('--json', 'print the plan (CEP JSON)')
  .option('--out <file>', 'write the plan (CEP JSON) to a file')
  .option('--measure', "measure each node's time on the whole CPU first (else memory's figures or roofline estimates); with a GPU, its node times and its copies too")
  .option('--check <file>', 'validate a plan file: format, workload, devices, slices, transfers, ordering')
  .option('--run <file>', 'verify a plan file against the graph oracle, then time it against the single-device plan, interleaved')
  .option('--workload <name-or-path>', 'the workload a plan file is for (default: the shipped one it names)')
  .option('--pairs <n>', 'interleaved pairs for --run', Number)
  .option('--fleet <redis-url>', "a fleet's workers: GP1 weighs them beside this CPU; with --run, they run the plan's worker devices (default for --run: fleet.redis)")
  .option('--kept', 'list the plans memory keeps (of the workload named, or all), with what was measured')
  .option('--emulate-gpu', "with --run: the plan's GPU device under kloop's CPU emulation of CUDA (its logic verified; never timed)")
  .option('--memory <path>', 'memory file (default from WORKFLOW.md)')
  .action(async (workload: string | undefined, opts: PlanCommandOptions) => {
    if (opts.pairs !== undefined && !(Number.isInteger(opts.pairs) && opts.pairs >= 2)) throw new UserError('--pairs: expected an integer >= 2');
    process.exitCode = await (await import('./plan-command.js')).planCommand(workload, opts);
  });

program
  .command('verify')
  .description('run the whole verification gate on one kernel file and print the evidence (exit 0 only if accepted)')
  .argument('<target>', 'shipped target name or target folder')
  .argument('<file>', 'C file (or CUDA file with --device cuda or cuda-emulated) defining the kernel')
  .option('--flags <flags>', 'extra compiler flags (from the target allow-list)', '')
  .option('--device <device>', 'cpu, cuda (a GPU) or cuda-emulated (CUDA logic on the CPU, no timing)', 'cpu')
  .option('--json', 'print the verdict as JSON')
  .option('--memory <path>', 'memory file holding the device profile', '.kloop/memory.json')
  .action(async (target: string, file: string, opts: { flags: string; json?: boolean; memory: string; device: string }) => {
    process.exitCode = await (await import('./verify-command.js')).verifyCommand(target, file, opts);
  });

program
  .command('watch')
  .description('the live dashboard of a run (default: the latest); plain lines off a terminal')
  .argument('[run]', 'run id or run folder')
  .option('--json', 'one JSON event per line')
  .action(async (run: string | undefined, opts: { json?: boolean }) => {
    const { loadWorkflow } = await import('../workflow/index.js');
    await (await import('./watch-command.js')).watchCommand(loadWorkflow().config.runs.dir, run, opts);
  });

program
  .command('review')
  .description('review kept winners across runs: evidence, diff, approve (promote and commit) or reject (reason into memory)')
  .option('--target <name>', 'only this target')
  .option('--run <run-id>', 'only this run')
  .option('--memory <path>', 'memory file (default from WORKFLOW.md)')
  .action(async (opts: { target?: string; run?: string; memory?: string }) => {
    await (await import('./review-command.js')).reviewCommand({ memory: opts.memory, target: opts.target, run: opts.run });
  });

program
  .command('report')
  .description('write the morning report of a run: Markdown with SVG plots (speedup over time, roofline) and the results table')
  .argument('<run>', 'run id (under runs/) or the path of a run folder')
  .option('--out <dir>', "where to write it (default: the run folder's report/)")
  .action(async (run: string, opts: { out?: string }) => {
    const { loadWorkflow } = await import('../workflow/index.js');
    const dir = existsSync(join(run, 'journal.jsonl')) ? run : join(loadWorkflow().config.runs.dir, run);
    console.log((await import('../report/index.js')).writeReport(dir, opts.out));
  });

program
  .command('memory')
  .description("list the best kernels memory keeps: per target, device fingerprint and the sizes each was tuned at (a workload node's, or the bench size)")
  .option('--target <name>', 'one target only')
  .option('--memory <path>', 'memory file (default from WORKFLOW.md)')
  .action(async (opts: { target?: string; memory?: string }) => {
    const { loadWorkflow } = await import('../workflow/index.js');
    const { openMemory } = await import('../loop/compose.js');
    const { keptKernelsList } = await import('./memory-command.js');
    console.log(keptKernelsList(await openMemory(loadWorkflow(), process.cwd(), opts.memory).baselines(), opts.target));
  });

program
  .command('gc')
  .description('prune old runs: whole run folders beyond the newest N or older than D days (with both: only those past both), and the bulky files of ended runs; never a live run')
  .option('--keep <n>', 'keep the newest N runs whole', Number)
  .option('--older-than <days>', 'remove runs last written more than DAYS days ago', Number)
  .option('--dry-run', 'print what would go, remove nothing')
  .action(async (opts: { keep?: number; olderThan?: number; dryRun?: boolean }) => {
    const { loadWorkflow } = await import('../workflow/index.js');
    console.log(await (await import('./gc-command.js')).gcCommand(loadWorkflow().config.runs.dir, opts));
  });

program
  .command('doctor')
  .description('report the compiler, sandbox layers, device profile and providers, with what to install or change')
  .argument('[workflow]', 'path of a WORKFLOW.md')
  .option('--memory <path>', 'memory file holding the device profile')
  .option('--fleet <redis-url>', "a fleet's workers, device classes, queue depths and heartbeats (default: fleet.redis)")
  .action(async (file: string | undefined, opts: { memory?: string; fleet?: string }) => {
    process.exitCode = await (await import('./doctor.js')).doctor({ workflow: file, memory: opts.memory, fleet: opts.fleet });
  });

program
  .command('worker')
  .description('serve a fleet as a device host: take the jobs of a device class from Redis, build, verify and A/B time each candidate here, sandboxed')
  .argument('[workflow]', 'path of a WORKFLOW.md (sandbox and device settings)')
  .requiredOption('--redis <url>', 'the fleet: redis://[user:password@]host:port[/db] or rediss://… (TLS)')
  .option('--class <name>', 'the device class to serve (default: the workflow device, cpu or cuda)')
  .option('--concurrency <n>', 'jobs at once (1 per device: timing wants it alone)', Number, 1)
  .option('--name <id>', 'this worker in the registry (default: host-pid)')
  .option('--memory <path>', 'memory file holding the device profile')
  .option('--lock-ms <ms>', 'job lock: a killed worker loses its job to another after about this long', Number, 30_000)
  .option('--stalled-ms <ms>', 'how often to look for jobs whose worker is gone', Number, 15_000)
  .option('--heartbeat-ms <ms>', 'heartbeat interval', Number, 5_000)
  .action(async (file: string | undefined, opts: WorkerCommandOptions) => {
    for (const k of ['concurrency', 'lockMs', 'stalledMs', 'heartbeatMs'] as const)
      if (!(Number.isInteger(opts[k]) && opts[k] >= 1)) throw new UserError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: expected a positive integer`);
    await (await import('./worker-command.js')).workerCommand(file, opts);
  });

program
  .command('devices')
  .description('list the devices as ACP descriptors (kind, units, measured peaks, memory levels, compilers, sandbox) from the profiles in memory; nothing is measured')
  .argument('[workflow]', 'path of a WORKFLOW.md')
  .option('--memory <path>', 'memory file holding the device profiles')
  .option('--json', 'print the descriptors as a JSON array')
  .option('--fleet <redis-url>', "also every fleet worker's descriptor (default: fleet.redis)")
  .action(async (file: string | undefined, opts: { memory?: string; json?: boolean; fleet?: string }) => {
    await (await import('./devices-command.js')).devicesCommand({ workflow: file, memory: opts.memory, json: opts.json, fleet: opts.fleet });
  });

program.parseAsync().catch((e: unknown) => {
  if (e instanceof RunFinished) {
    console.log(`kloop: ${e.message}`);
    process.exit(0);
  }
  if (e instanceof UserError) {
    console.error(`kloop: ${e.message}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
