import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { initTarget } from '../init/index.js';
import { composeVerifier } from '../loop/index.js';
import { loadTarget } from '../targets/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, kloop, smallTarget, tmp } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'init');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const workdir = (p: string) => {
  const d = tmp(p);
  dirs.push(d);
  // fast checks: one verifier-chosen size, no sanitizers or proof (the gate's own settings, as kloop verify reads them)
  writeFileSync(join(d, 'WORKFLOW.md'), '---\ngit: { commit: false }\nverify: { hidden_sizes: 2, sanitizers: false, proof: false }\n---\n');
  return d;
};
const noStack = (out: string) => expect(out).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);

describe('kloop init FILE.c', () => {
  it('writes a target folder that loads, measures its bench size by running the reference, runs its checks and says ready', () => {
    const cwd = workdir('kloop-init-ok-');
    cpSync(join(FIXTURES, 'gram.c'), join(cwd, 'gram.c'));
    const r = kloop(cwd, ['init', 'gram.c', '--out', 'targets/gram']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^ready: kloop run --target targets\/gram$/m);
    expect(r.out).toMatch(/^ {2}A +in +\[k, n\]$/m);
    const t = loadTarget(join(cwd, 'targets', 'gram'));
    expect(t.arrays.map((a) => [a.name, a.role, a.shapeText.join(', ')])).toEqual([
      ['A', 'in', 'k, n'],
      ['G', 'out', 'n, n'],
    ]);
    expect(t.checkSizes).toEqual([
      { n: 1, k: 1 },
      { n: 7, k: 5 },
      { n: 33, k: 17 },
    ]);
    // the bench size's comment is the time measured for it on this machine: 0.1–1 s
    const yaml = readFileSync(join(cwd, 'targets', 'gram', 'target.yaml'), 'utf8');
    const m = /bench: \{.*\} {3}# measured: the reference takes ([\d.]+) ms a call on this machine$/m.exec(yaml);
    expect(m, yaml).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(100);
    expect(Number(m![1])).toBeLessThanOrEqual(1000);
    expect(parseYaml(yaml)).toMatchObject({ flops: '2*n*n*k', bytes: '4*(k*n + n*n)' });
    // a second init into the same folder is refused, in one line
    const again = kloop(cwd, ['init', 'gram.c', '--out', 'targets/gram']);
    expect(again.code).toBe(2);
    expect(again.out.trim()).toMatch(/targets\/gram: already holds a target\.yaml; choose another folder with --out, or remove it$/);
  }, 120_000);

  it('what it cannot infer is a TODO line and the one thing to fix; the target does not load until it is', () => {
    const cwd = workdir('kloop-init-todo-');
    const r = kloop(cwd, ['init', join(FIXTURES, 'unused_eps.c')]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/^TODO scalars\.eps: no use of eps tells what values it may take/m);
    expect(r.out).toMatch(/^not ready: .*unused_eps\/target\.yaml: scalars\.eps: /m);
    expect(readFileSync(join(cwd, 'unused_eps', 'target.yaml'), 'utf8')).toMatch(/# TODO \(scalars\.eps\): .*\n {2}eps: TODO/);
    expect(() => loadTarget(join(cwd, 'unused_eps'))).toThrow();
    // Resolved (a value for eps; a bench size set by hand, so nothing is measured here): kloop init DIR runs the checks.
    const yaml = join(cwd, 'unused_eps', 'target.yaml');
    writeFileSync(
      yaml,
      readFileSync(yaml, 'utf8')
        .replace(/^ {2}eps: TODO$/m, '  eps: { value: 0.001 }')
        .replace(/^ {2}bench: .*$/m, '  bench: {n: 100000}'),
    );
    const ok = kloop(cwd, ['init', 'unused_eps']);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/running the target's checks/);
    expect(ok.out).not.toMatch(/measuring a bench size/);
    expect(ok.out.trim().split('\n').at(-1)).toBe('ready: kloop run --target unused_eps');
  }, 90_000);

  it('a kernel that does not compile is one line naming reference.c and the compiler error, never a stack trace', () => {
    const cwd = workdir('kloop-init-broken-');
    const r = kloop(cwd, ['init', join(FIXTURES, 'broken.c')]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/^not ready: .*broken\/reference\.c: does not compile: reference\.c:3:\d+: error: .scale. undeclared.*; fix reference\.c/m);
    noStack(r.out);
    const syntax = join(cwd, 'syntax.c');
    writeFileSync(syntax, 'void k(int n, float *y) { y[0] = ; }\n');
    const s = kloop(cwd, ['init', syntax]);
    expect(s.code).toBe(2);
    expect(s.out.trim()).toMatch(/^kloop: .*syntax\.c: line 1: /);
    expect(s.out.trim().split('\n')).toHaveLength(1);
    expect(kloop(cwd, ['init', join(cwd, 'missing.c')]).out.trim()).toMatch(/^kloop: .*missing\.c: no such file$/);
  }, 60_000);

  it("the target's own checks refuse a kernel whose outputs cannot tell right from wrong (in process, a quick bench search)", async () => {
    const cwd = workdir('kloop-init-degenerate-');
    writeFileSync(join(cwd, 'fill.c'), 'void fill(int n, const float *x, float *y) {\n  for (int i = 0; i < n; i++) y[i] = 1.0f + 0.0f * x[i];\n}\n');
    const device = cpuDevice(cwd);
    const verifier = composeVerifier(loadWorkflow(join(cwd, 'WORKFLOW.md')), device);
    const r = await initTarget({ file: 'fill.c', cwd, device, verifier, workDir: join(cwd, 'work'), bench: { lowMs: 0.001, highMs: 1000, aimMs: 0.01 } });
    expect(r.todos).toEqual([]);
    expect(r.benchMs).toBeGreaterThan(0);
    expect(r.problem).toMatch(/fill\/target\.yaml: refused: its outputs are constant \(1\) on every check input/);
  }, 60_000);

  it('parameters named like the harness’s own variables (in, out) are renamed in the signature and the body, and the target is ready (in process)', async () => {
    const cwd = workdir('kloop-init-rename-');
    const device = cpuDevice(cwd);
    const verifier = composeVerifier(loadWorkflow(join(cwd, 'WORKFLOW.md')), device);
    const r = await initTarget({ file: join(FIXTURES, 'pool2.c'), cwd, device, verifier, workDir: join(cwd, 'work'), bench: { lowMs: 0.001, highMs: 1000, aimMs: 0.01 } });
    expect(r.problem).toBeUndefined();
    expect(r.inferred.args.map((a) => [a.name, a.renamedFrom])).toEqual([
      ['in_', 'in'],
      ['out_', 'out'],
    ]);
    const ref = readFileSync(join(r.dir, 'reference.c'), 'utf8');
    expect(ref).toContain('void pool2(int h, int w, const real *in_, real *out_) {');
    expect(ref).toContain('out_[i * w + j] = m;');
    expect(loadTarget(r.dir).arrays.map((a) => `${a.name} ${a.role} [${a.shapeText.join(', ')}]`)).toEqual(['in_ in [2*h, 2*w]', 'out_ out [h, w]']);
  }, 60_000);

  it('kloop run on a target whose reference.c does not compile: one line, exit 2, no stack trace', () => {
    const cwd = workdir('kloop-init-run-broken-');
    const dir = smallTarget('sum', '{N: 1000}', cwd);
    writeFileSync(join(dir, 'reference.c'), 'void sum(int N, const real *X, real *S) { S[0] = X[0] + undeclared; }\n');
    const r = kloop(cwd, ['run', '--target', dir, '--rounds', '1', '--no-tui']);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/^kloop: .*sum\/reference\.c: does not compile.*undeclared/m);
    noStack(r.out);
    expect(existsSync(join(cwd, 'runs'))).toBe(true);
  }, 120_000);
});
