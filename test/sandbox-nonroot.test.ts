/**
 * The sandbox as an engineer who is not root gets it. CI runs as root: this makes an unprivileged
 * user (kloopuser) and runs the whole hostile suite as that user, from dist/ (build first:
 * `npx tsc -p tsconfig.json`), with its work folders under that user's home. Run as an ordinary
 * user already, it runs as yourself. Also: the one-line report, and the refusal to start, when
 * user namespaces are unavailable (a bwrap that cannot make them, first on PATH).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE, outcomeTable, type Outcome } from '../bench/hostile-suite.js';
import { packageRoot } from '../common/index.js';

const USER = 'kloopuser';
const root = process.getuid?.() === 0;
const ROOT = packageRoot();
const SUITE = join(ROOT, 'dist', 'bench', 'hostile-suite.js');

/** Who runs the suite: kloopuser (made if missing) when we are root, else ourselves. */
function nonRootUser(): { uid: number; gid: number; home: string; name: string } | string {
  const look = () => spawnSync('getent', ['passwd', USER], { encoding: 'utf8' }).stdout.trim().split(':');
  if (!root) {
    const uid = process.getuid!();
    return { uid, gid: process.getgid!(), home: process.env.HOME ?? '/tmp', name: `uid ${uid}` };
  }
  let p = look();
  if (p.length < 6) {
    const r = spawnSync('useradd', ['-m', '-s', '/bin/sh', USER], { encoding: 'utf8' });
    p = look();
    if (p.length < 6) return `cannot make the user ${USER} (useradd: ${r.stderr?.trim() || r.error?.message})`;
  }
  return { uid: Number(p[2]), gid: Number(p[3]), home: p[5], name: USER };
}

const who = nonRootUser();
const skip = typeof who === 'string' ? who : '';
if (skip) console.log(`sandbox-nonroot: skipped: ${skip}`);

/** Run a command as the non-root user, with a plain environment. */
function asUser(argv: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const u = who as Exclude<typeof who, string>;
  const base = { HOME: u.home, PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...env };
  const cmd = root ? ['runuser', '-u', USER, '--', 'env', '-i', ...Object.entries(base).map(([k, v]) => `${k}=${v}`), ...argv] : argv;
  return spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: 'utf8', timeout: 540_000, env: root ? undefined : { ...process.env, ...base }, maxBuffer: 16 << 20 });
}

/** A scratch folder the user owns, under its home (the work folder may be under $HOME: still only it is mounted). */
function userDir(prefix: string): string {
  const u = who as Exclude<typeof who, string>;
  const base = join(u.home, 'tmp');
  mkdirSync(base, { recursive: true });
  const d = mkdtempSync(join(base, prefix));
  if (root) for (const x of [base, d]) chownSync(x, u.uid, u.gid);
  return d;
}

describe.skipIf(!!skip)(`the hostile suite as a user who is not root (${typeof who === 'string' ? '' : who.name})`, () => {
  let res: { user: string; layers: string; outcomes: Outcome[]; controls: Outcome[] };
  let work: string;
  beforeAll(() => {
    expect(existsSync(SUITE), `${SUITE} missing: build first (npx tsc -p tsconfig.json)`).toBe(true);
    for (const f of readdirSync('/tmp')) if (/^kloop-hostile-.*\.marker$/.test(f)) rmSync(join('/tmp', f), { force: true });
    work = userDir('kloop-hostile-');
    const r = asUser([process.execPath, SUITE, '--work', work, '--json']);
    const line = r.stdout.split('\n').find((l) => l.startsWith('KLOOP_HOSTILE_JSON '));
    expect(line, `the suite printed no result (exit ${r.status}): ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBeDefined();
    res = JSON.parse(line!.slice('KLOOP_HOSTILE_JSON '.length));
    console.log(`as ${res.user}: ${res.layers}\n${outcomeTable([...res.outcomes, ...res.controls.map((c) => ({ ...c, control: true }))])}`);
  }, 600_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  it('runs candidates in a user namespace with the seccomp filter, without root', () => {
    expect(res.layers).toMatch(/^process \+ namespaces \+ seccomp/);
  });

  it.each(HOSTILE)('%s is contained', (name) => {
    const o = res.outcomes.find((x) => x.name === name)!;
    expect(o, `${name} did not run`).toBeDefined();
    expect(o.contained, o.why).toBe(true);
  });

  it('the secret and the network are in reach without the sandbox (controls: the attempts work as this user)', () => {
    for (const c of res.controls) expect(c.contained, `${c.name}: ${c.why}`).toBe(false);
  });

  it('leaves nothing running and nothing written outside, seen from outside', () => {
    const left: string[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        const status = readFileSync(`/proc/${d}/status`, 'utf8');
        const mine = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === (who as { uid: number }).uid;
        if (mine && cmd.includes('kloop-hostile-') && !/^State:\s+Z/m.test(status)) left.push(cmd.replace(/\0/g, ' '));
      } catch {
        /* gone */
      }
    }
    expect(left).toEqual([]);
    expect(readdirSync('/tmp').filter((f) => /^kloop-hostile-.*\.marker$/.test(f))).toEqual([]);
  });
});

describe.skipIf(!!skip)('user namespaces unavailable (a bwrap that cannot make them first on PATH)', () => {
  let fake: string;
  beforeAll(() => {
    fake = userDir('kloop-fakebwrap-');
    writeFileSync(join(fake, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n');
    chmodSync(join(fake, 'bwrap'), 0o755);
  });
  afterAll(() => fake && rmSync(fake, { recursive: true, force: true }));

  it('the probe names the namespaces layer with why and the fix, on one line, and keeps the layers that still work', () => {
    const script = `import('${join(ROOT, 'dist', 'sandboxes', 'index.js')}').then((s) => { const p = s.probeSandbox(); console.log(JSON.stringify(p.layers)); })`;
    const r = asUser([process.execPath, '--input-type=module', '-e', script], { PATH: `${fake}:/usr/bin:/bin` });
    expect(r.status, r.stderr).toBe(0);
    const layers = JSON.parse(r.stdout) as { layer: string; ok: boolean; detail: string }[];
    const ns = layers.find((l) => l.layer === 'namespaces')!;
    expect(ns.ok).toBe(false);
    expect(ns.detail.split('\n')).toHaveLength(1);
    expect(ns.detail).toMatch(/bubblewrap cannot create its namespaces \(bwrap: setting up uid map: Permission denied;.*; fix: allow unprivileged user namespaces/);
    // seccomp does not hang on bubblewrap: kloop's own tool loads the filter
    expect(layers.find((l) => l.layer === 'seccomp')).toMatchObject({ ok: true });
  });

  it('a run whose WORKFLOW.md requires namespaces stops at start with one line: the layer, why, the fix', () => {
    const dir = userDir('kloop-require-');
    writeFileSync(join(dir, 'WORKFLOW.md'), '---\nsandbox:\n  require: [namespaces, seccomp]\n---\n');
    if (root) chownSync(join(dir, 'WORKFLOW.md'), (who as { uid: number }).uid, (who as { gid: number }).gid);
    const r = asUser([process.execPath, join(ROOT, 'dist', 'cli', 'main.js'), 'run', 'WORKFLOW.md', '--no-tui', '--target', 'sum', '--rounds', '1'], { PATH: `${fake}:/usr/bin:/bin` }, dir);
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WORKFLOW\.md: sandbox\.require requires the sandbox layer namespaces, missing here: bubblewrap cannot create its namespaces .*; fix: allow unprivileged user namespaces/);
  });
});
