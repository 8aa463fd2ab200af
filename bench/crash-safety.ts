/**
 * `npm run crash-safety [-- --points N --seed S --candidates C]`: kills a real `kloop run` with SIGKILL N times
 * (default 20), resumes it each time, and checks what a kill must never do. The points mix crash
 * points inside kloop (KLOOP_FAULT, common/fault.ts: half a journal line, half a memory line, the
 * memory's state written aside under its lock, a git commit object written with its branch not yet
 * moved) with kills at random moments. After every kill: the memory opens and reads, results.tsv
 * has no duplicate row, the journal reads. When a run has finished: every kept winner is in memory
 * exactly once, in its target's baseline lineage once, and on the git branch once, and the branch
 * holds nothing else. Prints the table; exit 1 if any check failed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../common/index.js';
import { Journal, parseResults } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { CATALOG_DIR } from '../targets/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
/** Kills to make (a crash point a session never reaches lets it run to the end: that is not a kill, and another point is tried). */
const POINTS = opt('points', 20);
const rng = new Rng(opt('seed', 1));
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const ROUNDS = '2';

const repo = mkdtempSync(join(tmpdir(), 'kloop-crash-'));
const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
git('init', '-q', '-b', 'main');
git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
const memoryPath = join(repo, '.kloop', 'memory.json');
// Two shipped targets at small bench sizes (the kill points are about state, not speed).
const small = (name: string, bench: string) => {
  const dir = join(repo, 'targets', name);
  cpSync(join(CATALOG_DIR, name), dir, { recursive: true });
  writeFileSync(join(dir, 'target.yaml'), readFileSync(join(dir, 'target.yaml'), 'utf8').replace(/^  bench: .*$/m, `  bench: ${bench}`));
  return dir;
};
const TARGETS = ['--target', small('jacobi', '{N: 256, M: 256}'), '--target', small('sum', '{N: 1000000}')];
// --candidates N: candidates per round (default: the workflow's), through a WORKFLOW.md in the repo.
const CANDIDATES = opt('candidates', 0);
if (CANDIDATES > 0) writeFileSync(join(repo, 'WORKFLOW.md'), `---\nloop: { candidates: ${CANDIDATES} }\n---\n`);

type Kind = 'journal-line' | 'memory-line' | 'memory-state' | 'git-commit' | 'timed';
interface Row {
  point: number;
  run: string;
  kind: Kind;
  where: string;
  killed: boolean;
  checks: string[];
  problems: string[];
}

/** One kloop process: killed at the point (a fault inside it, or SIGKILL after `ms`), or left to finish. */
function session(argv: string[], fault: string | undefined, ms: number | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...(fault ? { KLOOP_FAULT: fault } : {}) };
    delete env.NODE_OPTIONS;
    const p = spawn(process.execPath, [CLI, 'run', ...argv, '--no-tui'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c));
    p.stderr.on('data', (c: Buffer) => (out += c));
    const timer = ms === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out });
    });
  });
}

/** What must hold after any kill. */
async function afterKill(runDir: string): Promise<{ checks: string[]; problems: string[] }> {
  const problems: string[] = [];
  try {
    const m = FileStore.open(memoryPath);
    await Promise.all([m.winners(), m.reviews(), m.insights({}), m.getBaseline('jacobi', 'x'), m.tried('jacobi', 'x')]);
  } catch (e) {
    problems.push(`memory does not read: ${(e as Error).message.split('\n')[0]}`);
  }
  const tsv = join(runDir, 'results.tsv');
  if (existsSync(tsv)) {
    const ids = parseResults(readFileSync(tsv, 'utf8')).map((r) => r.id);
    if (new Set(ids).size !== ids.length) problems.push(`results.tsv has duplicate rows: ${ids.filter((x, i) => ids.indexOf(x) !== i).join(', ')}`);
  }
  try {
    Journal.read(join(runDir, 'journal.jsonl'));
  } catch (e) {
    problems.push(`journal does not read: ${(e as Error).message}`);
  }
  return { checks: ['memory reads', 'results.tsv unique', 'journal reads'], problems };
}

/** What must hold once a run has finished: every kept winner once in memory, lineage and git, nothing else. */
async function afterFinish(runId: string, runDir: string): Promise<{ checks: string[]; problems: string[] }> {
  const problems: string[] = [];
  const rows = parseResults(readFileSync(join(runDir, 'results.tsv'), 'utf8'));
  const kept = rows.filter((r) => r.status === 'keep').map((r) => r.id);
  const m = FileStore.open(memoryPath);
  const winners = (await m.winners({ runId })).map((w) => w.candidateId);
  const same = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  if (!same(winners, kept)) problems.push(`memory winners ${JSON.stringify(winners)} != kept ${JSON.stringify(kept)}`);
  const fp = (Journal.read(join(runDir, 'journal.jsonl')).find((e) => e.type === 'run.start') as { fingerprint: string } | undefined)?.fingerprint ?? '';
  const lineage: string[] = [];
  for (const t of ['jacobi', 'sum']) for (const l of (await m.getBaseline(t, fp))?.lineage ?? []) if (l.runId === runId) lineage.push(l.candidateId);
  if (!same(lineage, kept)) problems.push(`baseline lineage ${JSON.stringify(lineage)} != kept ${JSON.stringify(kept)}`);
  let branch: string[] = [];
  try {
    branch = [...git('log', '--format=%B', `kloop/${runId}`).matchAll(/candidate ([\w.-]+)/g)].map((x) => x[1]);
  } catch {
    branch = [];
  }
  if (!same(branch, kept)) problems.push(`git branch kloop/${runId} holds ${JSON.stringify(branch)} != kept ${JSON.stringify(kept)}`);
  return { checks: ['winners once in memory', 'lineage once', 'git branch = kept'], problems };
}

const kinds: Kind[] = ['git-commit', 'journal-line', 'memory-line', 'memory-state', 'timed'];
const rows: Row[] = [];
let runId: string | undefined;
let finishedRuns = 0;
let killsSoFar = 0;
let point = 0;
while (killsSoFar < POINTS && point < 3 * POINTS) {
  point++;
  const kind = kinds[(point - 1) % kinds.length];
  // Where: the Nth time the crash point is reached in this session (low counts: early work), or a moment.
  const n = rng.int(1, { 'journal-line': 40, 'memory-line': 12, 'memory-state': 3, 'git-commit': 1, timed: 1 }[kind]);
  const ms = kind === 'timed' ? rng.int(1000, 6000) : undefined;
  const fault = kind === 'timed' ? undefined : `${kind}:${n}`;
  const argv = runId ? ['--resume', runId] : [...TARGETS, '--rounds', ROUNDS];
  const r = await session(argv, fault, ms);
  const id = runId ?? /run (\S+):/.exec(r.out)?.[1];
  if (!id) {
    // Killed at a moment before the run existed (a loaded machine is slow to start): nothing to resume, start again.
    if (r.signal === 'SIGKILL' && kind === 'timed') {
      rows.push({ point, run: '-', kind, where: `${ms} ms`, killed: true, checks: ['killed before a run started: nothing to resume'], problems: [] });
      continue;
    }
    rows.push({ point, run: '?', kind, where: fault ?? `${ms} ms`, killed: false, checks: [], problems: [`kloop did not start a run: ${r.out.slice(-300)}`] });
    break;
  }
  const runDir = join(repo, 'runs', id);
  const killed = r.signal === 'SIGKILL';
  if (killed) killsSoFar++;
  const a = await afterKill(runDir);
  const row: Row = { point, run: id, kind, where: fault ?? `${ms} ms`, killed, checks: a.checks, problems: a.problems };
  if (!killed && r.code !== 0) row.problems.push(`exit ${r.code}: ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
  // Not killed: the session ran to the end (the crash point was not reached). The run is finished: check it whole.
  if (!killed && r.code === 0) {
    const f = await afterFinish(id, runDir);
    row.checks.push(...f.checks);
    row.problems.push(...f.problems);
    finishedRuns++;
    runId = undefined;
  } else runId = id;
  rows.push(row);
}
// The last run killed: resume it to its end, and check it whole.
if (runId) {
  const r = await session(['--resume', runId], undefined, undefined);
  const runDir = join(repo, 'runs', runId);
  const f = await afterFinish(runId, runDir);
  const a = await afterKill(runDir);
  rows.push({
    point: point + 1,
    run: runId,
    kind: 'timed',
    where: 'resumed to the end',
    killed: false,
    checks: [...a.checks, ...f.checks],
    problems: [...(r.code === 0 ? [] : [`exit ${r.code}: ${r.out.slice(-300)}`]), ...a.problems, ...f.problems],
  });
  finishedRuns++;
}

console.log('| # | run | crash point | where | killed | checks | result |\n|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.point} | ${r.run.slice(-4)} | ${r.kind} | ${r.where} | ${r.killed ? 'SIGKILL' : 'ran to the end'} | ${r.checks.join(', ')} | ${r.problems.length ? `**${r.problems.join('; ')}**` : 'ok'} |`);
const kills = rows.filter((r) => r.killed).length;
const bad = rows.filter((r) => r.problems.length).length;
console.log(
  `\n${kills} kills (${rows.filter((r) => r.killed && r.kind !== 'timed').length} at crash points inside kloop), ${finishedRuns} runs resumed to their end and checked whole; ${bad ? `${bad} points FAILED` : 'every check held'} (work folder ${repo})`,
);
process.exitCode = bad ? 1 : 0;
