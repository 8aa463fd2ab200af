import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskUsage, parseResults, planCandidatePrune, pruneCandidate, pruneRound, type Journaled, type RunSummary } from '../loop/index.js';
import { summaryTable } from '../cli/summary-table.js';
import { CLI, kloop, seedProfile, smallTarget, tmp } from './helpers.js';

/** Every file and folder under dir (relative), sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

function put(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** A candidate folder as the loop leaves it once judged: sources, verdicts, timings, and the bulk. */
function judgedCandidate(dir: string): { timedOut: Buffer } {
  const timedOut = Buffer.alloc(300_000, 7);
  put(join(dir, 'kernel.c'), 'void k(void) {}\n');
  put(join(dir, 'candidate.json'), '{}');
  put(join(dir, 'build.log'), '$ cc ...\n');
  put(join(dir, 'verdict.json'), '{"status":"tested"}');
  put(join(dir, 'timings.json'), '{"speedup":1.5}');
  put(join(dir, 'timings.fresh.json'), '{"speedup":1.4}');
  put(join(dir, 'turns', 'turn-1.c'), 'void k(void) {}\n');
  put(join(dir, 'turns', 'turn-1.prompt.md'), 'write a kernel');
  put(join(dir, 'timed.out'), timedOut);
  put(join(dir, 'again.out'), Buffer.alloc(100_000, 1));
  put(join(dir, 'calls.out'), Buffer.alloc(10, 1));
  put(join(dir, 'kernel.o'), Buffer.alloc(3000));
  put(join(dir, 'kernel.bin'), Buffer.alloc(20_000));
  put(join(dir, 'kernel.i'), 'int x;');
  put(join(dir, 'kloop_prelude.h'), 'typedef float real;');
  put(join(dir, 'check-lane0', 'check0.out'), Buffer.alloc(80));
  put(join(dir, 'check-lane1', 'check1.out'), Buffer.alloc(80_000, 3));
  put(join(dir, 'san-lane0', 'san0.out'), Buffer.alloc(80));
  put(join(dir, 'sanitizer', 'kernel-san.bin'), Buffer.alloc(90_000));
  put(join(dir, 'sanitizer', 'kernel-san.o'), Buffer.alloc(30_000));
  put(join(dir, 'proof', 'candidate-proof.bin'), Buffer.alloc(35_000));
  put(join(dir, 'proof', 'proof-candidate.out'), Buffer.alloc(120_000, 9));
  put(join(dir, 'proof', 'proof-candidate-sizes.txt'), 'R=3 C=5\n');
  // A candidate may leave a link in its folder: it goes, and what it points at is never read or touched.
  symlinkSync('/etc/hostname', join(dir, 'link.out'));
  return { timedOut };
}

const KEPT_FILES = ['build.log', 'candidate.json', 'kernel.c', 'pruned.json', 'proof', 'proof/proof-candidate-sizes.txt', 'timings.fresh.json', 'timings.json', 'turns', 'turns/turn-1.c', 'turns/turn-1.prompt.md', 'verdict.json'].sort();

describe('a judged candidate folder', () => {
  it('is pruned to its source, verdict, timings, transcripts and logs, with the sha256 of large outputs', async () => {
    const dir = join(tmp('kloop-disk-'), 'sum-r1-c1');
    const { timedOut } = judgedCandidate(dir);
    const before = diskUsage(dir);
    const plan = planCandidatePrune(dir, { kept: false });
    expect(tree(dir)).toContain('timed.out'); // planning touches nothing
    const logs: string[] = [];
    const freed = await pruneCandidate(dir, { kept: false, log: (m) => logs.push(m) });
    expect(logs).toEqual([]);
    expect(freed).toBe(plan.bytes);
    expect(tree(dir)).toEqual(KEPT_FILES);
    expect(existsSync('/etc/hostname')).toBe(true);
    const record = JSON.parse(readFileSync(join(dir, 'pruned.json'), 'utf8'));
    expect(record.sha256['timed.out']).toEqual({ bytes: timedOut.length, sha256: createHash('sha256').update(timedOut).digest('hex') });
    expect(Object.keys(record.sha256).sort()).toEqual(['again.out', 'check-lane1/check1.out', 'proof/proof-candidate.out', 'timed.out']);
    expect(record.removed).toEqual(expect.arrayContaining(['timed.out', 'check-lane0', 'sanitizer', 'san-lane0', 'kernel.bin', 'kernel.o', 'link.out', 'proof/candidate-proof.bin']));
    expect(diskUsage(dir)).toBeLessThan(before - freed + 2000);
    expect(diskUsage(dir)).toBeLessThan(20_000);
    // Pruning again changes nothing.
    expect(await pruneCandidate(dir, { kept: false, log: (m) => logs.push(m) })).toBe(0);
    expect(tree(dir)).toEqual(KEPT_FILES);
  });

  it('keeps its built program when it was kept (a new baseline); the round plan goes', async () => {
    const root = tmp('kloop-disk-');
    const slots = ['sum-r2-c1', 'sum-r2-c2'].map((id) => ({ id, dir: join(root, 'candidates', id) }));
    slots.forEach((s) => judgedCandidate(s.dir));
    const planDir = join(root, 'rounds', 'sum-r2');
    put(join(planDir, 'case0.in'), Buffer.alloc(1000));
    put(join(planDir, 'path-abc', 'case.oracle'), Buffer.alloc(1000));
    const logs: string[] = [];
    await pruneRound({ candidateDirs: slots, kept: 'sum-r2-c2', planDir, log: (m) => logs.push(m) });
    expect(logs).toEqual([]);
    expect(tree(slots[0].dir)).toEqual(KEPT_FILES);
    expect(tree(slots[1].dir)).toEqual([...KEPT_FILES, 'kernel.bin', 'kernel.o'].sort());
    expect(existsSync(planDir)).toBe(false);
  });

  it('never throws: a folder that is gone is nothing to prune', async () => {
    const logs: string[] = [];
    expect(await pruneCandidate(join(tmp(), 'nope'), { kept: false, log: (m) => logs.push(m) })).toBe(0);
    expect(await pruneRound({ candidateDirs: [{ id: 'x', dir: join(tmp(), 'nope') }], planDir: join(tmp(), 'nope'), log: (m) => logs.push(m) })).toBe(0);
  });
});

/** A run folder written by an older kloop: nothing pruned, its scratch folders still there. */
function oldRun(runsDir: string, id: string, o: { startedDaysAgo: number; ended?: boolean; owner?: number }): string {
  const dir = join(runsDir, id);
  const ts = new Date(Date.now() - o.startedDaysAgo * 86_400_000).toISOString();
  const events = [{ type: 'run.start', runId: id, targets: ['sum'], seq: 1, ts }, ...(o.ended === false ? [] : [{ type: 'run.end', reason: 'done', seq: 2, ts }])];
  put(join(dir, 'journal.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  put(join(dir, 'results.tsv'), 'id\ttarget\tround\tstatus\nsum-r1-c1\tsum\t1\tkeep\nsum-r1-c2\tsum\t1\tdiscard\n');
  judgedCandidate(join(dir, 'candidates', 'sum-r1-c1'));
  judgedCandidate(join(dir, 'candidates', 'sum-r1-c2'));
  put(join(dir, 'rounds', 'sum-bench.in'), Buffer.alloc(200_000));
  put(join(dir, 'rounds', 'sum-r1', 'case0.in'), Buffer.alloc(1000));
  if (o.owner !== undefined) put(join(dir, 'owner.json'), JSON.stringify({ pid: o.owner, host: hostname(), since: ts }));
  const t = new Date(Date.now() - o.startedDaysAgo * 86_400_000);
  utimesSync(join(dir, 'journal.jsonl'), t, t);
  return dir;
}

describe('kloop gc', () => {
  const sleepers: ReturnType<typeof spawn>[] = [];
  afterAll(() => sleepers.forEach((s) => s.kill('SIGKILL')));

  it('lists in a dry run and removes nothing; removes old runs and prunes ended ones; never touches a live run', async () => {
    const cwd = tmp('kloop-gc-');
    const runs = join(cwd, 'runs');
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    const dead = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => dead.on('exit', r));
    const oldest = oldRun(runs, '20250101-000000-aaaa', { startedDaysAgo: 30 });
    const old = oldRun(runs, '20250201-000000-bbbb', { startedDaysAgo: 20 });
    // Killed mid-run: its owner's pid is gone, so it has ended (and a resume finds what it needs).
    const killed = oldRun(runs, '20250301-000000-cccc', { startedDaysAgo: 10, ended: false, owner: dead.pid! });
    // Live, and old enough to go by both rules: left alone.
    const live = oldRun(runs, '20250115-000000-dddd', { startedDaysAgo: 25, ended: false, owner: sleeper.pid! });
    // Written by an older kloop (no owner record), its journal moving now: live too.
    const legacyLive = oldRun(runs, '20250116-000000-eeee', { startedDaysAgo: 24, ended: false });
    utimesSync(join(legacyLive, 'journal.jsonl'), new Date(), new Date());
    put(join(runs, '.cache', 'bench', 'bench-sum-1234.oracle'), Buffer.alloc(5000));
    const before = tree(runs);

    const dry = kloop(cwd, ['gc', '--keep', '2', '--dry-run']);
    expect(dry.code, dry.out).toBe(0);
    expect(tree(runs)).toEqual(before);
    expect(dry.out).toMatch(/would remove run 20250101-000000-aaaa \([\d.]+ (kB|MB)\): beyond the newest 2/);
    expect(dry.out).toMatch(/would prune run 20250301-000000-cccc: 2 candidate folders/);
    expect(dry.out).toMatch(/left live run 20250115-000000-dddd alone: owned by live pid/);
    expect(dry.out).toMatch(/left live run 20250116-000000-eeee alone: no owner record/);
    expect(dry.out).not.toContain('.cache'); // a run is live: the shared cache stays
    expect(dry.out).toMatch(/dry run: would free [\d.]+ MB; nothing was removed/);

    const real = kloop(cwd, ['gc', '--keep', '2']);
    expect(real.code, real.out).toBe(0);
    // Newest first: killed (c), old (b), legacyLive (e), live (d), oldest (a). The newest 2 are c and b.
    expect(existsSync(oldest)).toBe(false);
    expect(real.out).toMatch(/removed run 20250101-000000-aaaa/);
    expect(tree(live)).toEqual(before.filter((p) => p.startsWith('20250115-000000-dddd/')).map((p) => p.slice('20250115-000000-dddd/'.length)));
    expect(tree(legacyLive)).toContain('candidates/sum-r1-c1/timed.out');
    for (const dir of [killed, old]) {
      expect(existsSync(join(dir, 'rounds'))).toBe(false);
      expect(tree(join(dir, 'candidates', 'sum-r1-c2'))).toEqual(KEPT_FILES);
      expect(tree(join(dir, 'candidates', 'sum-r1-c1'))).toEqual([...KEPT_FILES, 'kernel.bin', 'kernel.o'].sort()); // kept
    }
    const freed = /freed ([\d.]+) MB/.exec(real.out);
    expect(freed, real.out).not.toBeNull();

    // --older-than with --keep: only runs past both go; with the live runs ended, the old cache goes too.
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    utimesSync(join(legacyLive, 'journal.jsonl'), new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));
    const again = kloop(cwd, ['gc', '--keep', '1', '--older-than', '22']);
    expect(again.code, again.out).toBe(0);
    expect(existsSync(live)).toBe(false); // 25 days old, beyond the newest 1
    expect(existsSync(old)).toBe(true); // 20 days: not old enough
    expect(existsSync(legacyLive)).toBe(true); // written a day ago
    expect(existsSync(join(runs, '.cache', 'bench'))).toBe(false);
    expect(again.out).toMatch(/removed runs\/\.cache\/bench/);

    expect(kloop(cwd, ['gc', '--keep', '-1']).code).toBe(2);
  });
});

describe('kloop run keeps its disk bounded', () => {
  it('prunes each round, measures what stays, and the kept baseline is still timed at the end', async () => {
    const cwd = tmp('kloop-disk-run-');
    await seedProfile(join(cwd, '.kloop', 'memory.json'));
    const target = smallTarget('jacobi', '{N: 768, M: 768}', cwd);
    const { code, out } = kloop(cwd, ['run', '--target', target, '--rounds', '1', '--json']);
    expect(code, out).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Journaled);
    const runId = (events.find((e) => e.type === 'run.start') as Extract<Journaled, { type: 'run.start' }>).runId;
    const dir = join(cwd, 'runs', runId);
    const rows = parseResults(readFileSync(join(dir, 'results.tsv'), 'utf8'));
    const kept = rows.filter((r) => r.status === 'keep');
    expect(kept.length).toBeGreaterThan(0);
    // The kept baseline was timed again after its candidate folder was pruned (with its round): at
    // the end, against the reference.
    const final = events.find((e): e is Extract<Journaled, { type: 'target.final' }> => e.type === 'target.final')!;
    expect(final.id).toBe(kept.at(-1)!.id);
    expect(final.pairs).toBeGreaterThanOrEqual(2);
    // What a reviewer and a resume read is there; the bulk is not.
    for (const r of rows) {
      const files = tree(join(dir, 'candidates', r.id));
      expect(files).toEqual(expect.arrayContaining(['kernel.c', 'verdict.json', 'candidate.json', 'turns/turn-1.c']));
      expect(files.filter((f) => /(^|\/)(timed\.out|check-lane\d|san-lane\d|sanitizer)$|\.out$|\.i$/.test(f))).toEqual([]);
      if (r.status !== 'keep') expect(files.filter((f) => /\.(bin|o)$/.test(f))).toEqual([]);
    }
    for (const k of kept) expect(tree(join(dir, 'candidates', k.id))).toEqual(expect.arrayContaining(['kernel.bin', 'timings.json', 'timings.fresh.json']));
    expect(existsSync(join(dir, 'rounds'))).toBe(false);
    expect(existsSync(join(dir, 'bench'))).toBe(false);
    expect(existsSync(join(dir, 'owner.json'))).toBe(false);
    expect(existsSync(join(cwd, 'runs', '.cache', 'bench'))).toBe(false);
    // The disk figure: in the run.end event (--json), in summary.json and in the table.
    const end = events.find((e): e is Extract<Journaled, { type: 'run.end' }> => e.type === 'run.end')!;
    expect(end.disk!.candidates).toBe(rows.length);
    expect(Math.abs(end.disk!.bytes - diskUsage(dir))).toBeLessThan(64_000); // the journal's last line and summary.json came after
    expect(end.disk!.bytes / rows.length).toBeLessThan(500_000); // 50 MB per 100 candidates
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.disk).toEqual(end.disk);
    expect(summaryTable(summary)).toMatch(new RegExp(`disk: [\\d.]+ (kB|MB) for ${rows.length} candidates`));
    // Nothing is left for gc in an ended run.
    const gc = kloop(cwd, ['gc', '--dry-run']);
    expect(gc.out).toMatch(/would free 0 B \(nothing to do\)/);
  }, 300_000);

  it('a run killed mid-way and then pruned by kloop gc resumes: no kept baseline lost', async () => {
    const cwd = tmp('kloop-disk-resume-');
    await seedProfile(join(cwd, '.kloop', 'memory.json'));
    const target = smallTarget('sum', '{N: 2000000}', cwd);
    const child = spawn('node', [CLI, 'run', '--target', target, '--rounds', '3', '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let buf = '';
    await new Promise<void>((res) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(line) as Journaled;
          if (e.type === 'run.start') runId = e.runId;
          if (e.type === 'candidate.result' && e.result.status === 'keep') {
            child.kill('SIGKILL');
            res();
          }
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => res());
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r)));
    const dir = join(cwd, 'runs', runId);
    expect(JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')).pid).toBe(child.pid);
    const gc = kloop(cwd, ['gc']);
    expect(gc.code, gc.out).toBe(0);
    expect(existsSync(join(dir, 'rounds'))).toBe(false);
    const keptBefore = parseResults(readFileSync(join(dir, 'results.tsv'), 'utf8'))
      .filter((r) => r.status === 'keep')
      .map((r) => r.id);
    expect(keptBefore).toHaveLength(1);
    const { code, out } = kloop(cwd, ['run', '--resume', runId, '--target', target, '--rounds', '3']);
    expect(code, out).toBe(0);
    expect(out).toContain(`resuming run ${runId}`);
    expect(out).toMatch(/disk: [\d.]+ (kB|MB) for \d+ candidates/);
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Journaled);
    expect(journal.some((e) => e.type === 'baseline.updated' && e.id === keptBefore[0])).toBe(true);
    expect(statSync(join(dir, 'candidates', keptBefore[0], 'kernel.c')).size).toBeGreaterThan(0);
  }, 300_000);
});
