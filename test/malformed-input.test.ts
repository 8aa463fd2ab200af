import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { packageRoot, UserError } from '../common/index.js';
import { CATALOG_DIR, loadTarget, type Target } from '../targets/index.js';
import { DISTRIBUTIONS, hiddenSizes, makeInputs, Verifier } from '../verifiers/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, seedProfile, tmp } from './helpers.js';

/**
 * Property: whatever a user puts in target.yaml, reference.c or WORKFLOW.md, kloop answers with
 * one line naming the file (exit code 2), never a stack trace. Variants are made by mutation of
 * the shipped files: keys deleted, duplicated, renamed or retyped, bad shapes and expressions,
 * truncation, garbage bytes, references with syntax errors, wrong names and wrong signatures.
 * Bulk variants go through the loaders in-process; a sample goes through the real CLI.
 */

/** A small seeded PRNG (mulberry32), so a failure names a reproducible variant. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}
type Rand = ReturnType<typeof prng>;

const SGEMM = join(CATALOG_DIR, 'sgemm');
const YAML = readFileSync(join(SGEMM, 'target.yaml'), 'utf8');
const REF = readFileSync(join(SGEMM, 'reference.c'), 'utf8');
const WORKFLOW = readFileSync(join(packageRoot(), 'WORKFLOW.md'), 'utf8');
const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');

const WRONG_VALUES: unknown[] = [null, true, 0, -1, 1.5, 1e308, '', 'x', 'M*', [], {}, [1, 2], { a: 1 }, '{', '- - -', [[[]]], -0, 'NaN', 2 ** 53 + 1];
const BAD_EXPRESSIONS = [
  'M*',
  '(M',
  'M)',
  'M/0',
  'M%0',
  'Q',
  'M-M',
  '-M',
  '0',
  'M N',
  '2**M',
  '1e999',
  'M.5',
  '$',
  'M+*K',
  `${'('.repeat(3000)}M${')'.repeat(3000)}`,
  'M*'.repeat(2000) + 'M',
  'M-1-1',
  'M/2',
  '1/M',
  'M*M*M*M*M*M*M*M',
  '99999999999*M',
];
const BAD_SIZES: unknown[] = [
  { M: 0, N: 1, K: 1 },
  { M: -1, N: 1, K: 1 },
  { M: 1.5, N: 1, K: 1 },
  { M: '7', N: 1, K: 1 },
  { M: 2 ** 40, N: 1, K: 1 },
  {},
  { M: 1, N: 1 },
  { M: 1, N: 1, K: 1, Q: 1 },
  { M: 100000, N: 100000, K: 1 },
  { M: 2 ** 31, N: 1, K: 1 },
  [1, 2, 3],
  'M=1',
];
const BAD_SIGNATURES = [
  'int sgemm(int M, int N, int K, const real *A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *C',
  'void sgemm(int M, int N, int K, const int *A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real C)',
  'void sgemm(int M, int M, int K, const real *A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real *A, const real *A, real *C)',
  'void sgemm(int in, int N, int K, const real *A, const real *B, real *out)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *main)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *int)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *sgemm)',
  'void sgemm()',
  'void (int M, int N, int K, const real *A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real **A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, const real *C)',
  'void sgemm(int M, int N, int K, real *A, const real *B, real *C)',
  'void sgemm(long M, int N, int K, const real *A, const real *B, real *C)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *C, real *D)',
  'void sgemm(int M, int N, int K, const real *A, const real *B, real *C); int x;',
  'void real(int M, int N, int K, const real *A, const real *B, real *C)',
];

/** Every key path of a parsed YAML document. */
function keyPaths(o: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (o === null || typeof o !== 'object') return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(o)) {
    const p = [...at, Array.isArray(o) ? Number(k) : k];
    out.push(p, ...keyPaths(v, p));
  }
  return out;
}

function setAt(o: unknown, path: (string | number)[], value: unknown, del = false): unknown {
  const copy = structuredClone(o) as Record<string | number, unknown>;
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (del) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

function garbage(r: Rand, n: number): string {
  const pool = ['\0', '\xff', '\t', ':', '{', '}', '[', ']', '"', "'", '#', '&', '*', '!', '|', '>', '%', '@', '`', '\r', '\n', '-', '?', ',', '\u2028', '\ud800', '\ufeff'];
  return Array.from({ length: n }, () => (r.next() < 0.5 ? r.pick(pool) : String.fromCharCode(r.int(256)))).join('');
}

/** Text-level mutations of any file: truncation, garbage, duplicated, deleted or re-indented lines. */
function textMutations(text: string, r: Rand, count: number): { what: string; text: string }[] {
  const lines = text.split('\n');
  const out: { what: string; text: string }[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.int(text.length);
    const ln = r.int(lines.length);
    switch (i % 7) {
      case 0:
        out.push({ what: `truncated at ${at}`, text: text.slice(0, at) });
        break;
      case 1:
        out.push({ what: `garbage at ${at}`, text: text.slice(0, at) + garbage(r, 1 + r.int(12)) + text.slice(at) });
        break;
      case 2:
        out.push({ what: `line ${ln} duplicated`, text: [...lines.slice(0, ln + 1), lines[ln], ...lines.slice(ln + 1)].join('\n') });
        break;
      case 3:
        out.push({ what: `line ${ln} deleted`, text: [...lines.slice(0, ln), ...lines.slice(ln + 1)].join('\n') });
        break;
      case 4:
        out.push({ what: `line ${ln} re-indented`, text: lines.map((l, j) => (j === ln ? `\t ${l}` : l)).join('\n') });
        break;
      case 5:
        out.push({ what: `bytes ${at}.. overwritten`, text: text.slice(0, at) + garbage(r, 4) + text.slice(at + 4) });
        break;
      case 6:
        out.push({ what: `":" to "=" on line ${ln}`, text: lines.map((l, j) => (j === ln ? l.replace(/:/g, '=') : l)).join('\n') });
        break;
    }
  }
  return out;
}

/** target.yaml variants: structural mutations of the parsed document, then text-level ones. */
function yamlVariants(r: Rand): { what: string; yaml: string }[] {
  const doc = parseYaml(YAML) as Record<string, unknown>;
  const paths = keyPaths(doc);
  const out: { what: string; yaml: string }[] = [];
  for (const p of paths) out.push({ what: `deleted ${p.join('.')}`, yaml: toYaml(setAt(doc, p, undefined, true)) });
  for (let i = 0; i < 60; i++) {
    const p = r.pick(paths);
    const v = r.pick(WRONG_VALUES);
    out.push({ what: `${p.join('.')} retyped to ${JSON.stringify(v)}`, yaml: toYaml(setAt(doc, p, v)) });
  }
  for (const e of BAD_EXPRESSIONS) {
    const where = r.pick([['flops'], ['bytes'], ['args', 'A', 'shape', 0], ['args', 'C', 'shape', 1], ['args', 'B', 'shape']] as (string | number)[][]);
    out.push({ what: `${where.join('.')} = ${e.slice(0, 20)}`, yaml: toYaml(setAt(doc, where, where.length === 3 ? [e, 'N'] : e)) });
  }
  for (const s of BAD_SIZES) {
    const where = r.pick([
      ['sizes', 'check', 1],
      ['sizes', 'bench'],
      ['sizes', 'check'],
    ] as (string | number)[][]);
    out.push({ what: `${where.join('.')} = ${JSON.stringify(s)}`, yaml: toYaml(setAt(doc, where, s)) });
  }
  for (const l of [{ M: { min: 50, max: 10 } }, { M: { max: 0 } }, { Q: { max: 3 } }, { M: { max: 2 ** 33 } }, { M: { max: 5000 }, N: { max: 5000 }, K: { max: 5000 } }, { M: { min: 'a', max: 3 } }])
    out.push({ what: `limits ${JSON.stringify(l)}`, yaml: toYaml(setAt(doc, ['sizes', 'limits'], l)) });
  for (const sig of BAD_SIGNATURES) out.push({ what: `signature ${sig}`, yaml: toYaml(setAt(doc, ['signature'], sig)) });
  for (const [k, v] of [
    ['real', 'half'],
    ['tolerance', { factor: -1 }],
    ['tolerance', { factor: 'x' }],
    ['allow', { flags: ['-O0'] }],
    ['allow', { flags: ['-ffast-math'], reassociation: false }],
    ['args', { ...(doc.args as object), D: { shape: ['M'], role: 'out' } }],
    ['args', { A: (doc.args as Record<string, unknown>).A }],
    ['args', { ...(doc.args as object), C: { shape: ['M', 'N'], role: 'in' } }],
    ['args', { ...(doc.args as object), A: { shape: ['M', 'K'], role: 'out' } }],
    ['reference', 'missing.c'],
    ['reference', '.'],
    ['reference', '../../../../../dev/zero'],
    ['reference', 'target.yaml'],
    ['name', 'has space'],
    ['name', ''],
    ['cuda', { reference: 'nope.cu' }],
    ['nondeterministic', 'sometimes'],
    ['flop', '2*M'],
  ] as [string, unknown][])
    out.push({ what: `${k} = ${JSON.stringify(v).slice(0, 40)}`, yaml: toYaml({ ...doc, [k]: v }) });
  for (const t of textMutations(YAML, r, 70)) out.push({ what: t.what, yaml: t.text });
  out.push({ what: 'empty', yaml: '' }, { what: 'a list', yaml: '- 1\n- 2\n' }, { what: 'a scalar', yaml: '42\n' }, { what: 'duplicate key', yaml: `${YAML}name: again\n` }, { what: 'binary', yaml: garbage(r, 300) });
  return out;
}

/** reference.c variants the loader must refuse (the ones that need a compiler go through the CLI). */
function referenceVariants(r: Rand): { what: string; ref: string | null }[] {
  return [
    { what: 'empty', ref: '' },
    { what: 'renamed function', ref: REF.replace('sgemm(', 'sgemm2(') },
    { what: 'function name in a comment only', ref: REF.replace(/void sgemm\(/, 'void mm(').replace('/*', '/* sgemm( ') },
    { what: 'binary garbage', ref: garbage(r, 500) },
    { what: 'missing', ref: null },
    ...textMutations(REF, r, 20).map((t) => ({ what: t.what, ref: t.text })),
  ];
}

/** WORKFLOW.md variants: front-matter mutations and broken prompt sections. */
function workflowVariants(r: Rand): { what: string; text: string }[] {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(WORKFLOW)!;
  const doc = parseYaml(m[1]) as Record<string, unknown>;
  const paths = keyPaths(doc);
  const out: { what: string; text: string }[] = [];
  const wrap = (front: unknown, body = m[2]) => `---\n${toYaml(front)}---\n${body}`;
  for (let i = 0; i < 40; i++) {
    const p = r.pick(paths);
    const v = r.pick(WRONG_VALUES.filter((x) => x !== null));
    out.push({ what: `${p.join('.')} retyped to ${JSON.stringify(v)}`, text: wrap(setAt(doc, p, v)) });
  }
  for (const k of ['loopz', 'devices', 'verify.hidden', 'agents.writer.providr', 'sandbox.lvl']) out.push({ what: `unknown key ${k}`, text: wrap(setAt(doc, k.split('.'), 1)) });
  for (const body of [
    '## writter\nhello',
    '## writer\n{{ nope }}',
    '## writer\n{{ target.name',
    '## writer\n{% if target %}open',
    '## writer\n{{ target.name | frobnicate }}',
    '## analyzer\n{% for x in %}{% endfor %}',
    '## writer\n{% endfor %}',
  ])
    out.push({ what: `body ${body.slice(0, 30)}`, text: wrap(doc, body) });
  out.push(
    { what: 'no front matter', text: m[2] },
    { what: 'unclosed front matter', text: `---\n${m[1]}\n` },
    { what: 'front matter a list', text: '---\n- 1\n---\n' },
    { what: 'front matter garbage', text: `---\n${garbage(r, 200)}\n---\n` },
  );
  out.push({ what: 'device is tpu', text: wrap({ ...doc, device: 'tpu' }) }, { what: 'min_speedup a string', text: wrap({ ...doc, accept: { min_speedup: 'fast' } }) });
  for (const t of textMutations(m[1], r, 20)) out.push({ what: `front matter ${t.what}`, text: `---\n${t.text}\n---\n${m[2]}` });
  return out;
}

/** One error line naming the file, or a loaded value. */
function expectOneLine(err: unknown, mustName: string, what: string): void {
  expect(err, `${what}: threw ${String(err)}${(err as Error)?.stack ? `\n${(err as Error).stack}` : ''}`).toBeInstanceOf(UserError);
  const msg = (err as Error).message;
  expect(msg.split('\n'), `${what}: ${msg}`).toHaveLength(1);
  expect(msg, what).toContain(mustName);
}

function targetDir(root: string, i: number, yaml: string, ref: string | null = REF): string {
  const dir = join(root, `t${i}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'target.yaml'), yaml);
  if (ref !== null) writeFileSync(join(dir, 'reference.c'), ref);
  return dir;
}

/** What a loaded target must survive without a crash: the sizes the verifier picks and the inputs at every size. */
function exercise(t: Target): void {
  for (const s of [...t.checkSizes, ...hiddenSizes(t, 7, 6)]) makeInputs(t, s, 1, 'normal');
}

describe('malformed input never crashes kloop (property)', () => {
  const root = tmp('kloop-malformed-');
  let refused = 0;

  it('target.yaml variants: one line naming the file, or a target that works', () => {
    const r = prng(20261129);
    const variants = yamlVariants(r);
    expect(variants.length).toBeGreaterThan(250);
    variants.forEach((v, i) => {
      const dir = targetDir(root, i, v.yaml);
      let err: unknown;
      try {
        exercise(loadTarget(dir));
      } catch (e) {
        err = e;
      }
      if (err === undefined) return;
      refused++;
      expectOneLine(err, dir, `variant ${i} (${v.what})`);
    });
    expect(refused).toBeGreaterThan(200);
  });

  it('reference.c variants the loader can judge', () => {
    const r = prng(7);
    referenceVariants(r).forEach((v, i) => {
      const dir = targetDir(root, 10_000 + i, YAML, v.ref);
      let err: unknown;
      try {
        loadTarget(dir);
      } catch (e) {
        err = e;
      }
      if (err === undefined) return;
      refused++;
      expectOneLine(err, dir, `reference variant ${i} (${v.what})`);
    });
    // A reference that is a folder.
    const dir = targetDir(root, 20_000, YAML, null);
    mkdirSync(join(dir, 'reference.c'));
    expect(() => loadTarget(dir)).toThrow(/reference\.c is not a regular file/);
  });

  it('WORKFLOW.md variants', () => {
    const r = prng(99);
    let n = 0;
    workflowVariants(r).forEach((v, i) => {
      const file = join(root, `w${i}`, 'WORKFLOW.md');
      mkdirSync(join(root, `w${i}`), { recursive: true });
      writeFileSync(file, v.text);
      let err: unknown;
      try {
        loadWorkflow(file);
      } catch (e) {
        err = e;
      }
      if (err === undefined) return;
      n++;
      expectOneLine(err, file, `workflow variant ${i} (${v.what})`);
    });
    refused += n;
    expect(n).toBeGreaterThan(50);
    expect(refused).toBeGreaterThanOrEqual(300);
  });
});

describe('broken targets through the real CLI', () => {
  const root = tmp('kloop-malformed-cli-');
  const memory = join(root, 'memory.json');
  const kernel = join(SGEMM, 'reference.c');

  const cli = (args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((done) => {
      const p = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.on('close', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr });
      });
    });

  const expectRefused = (r: { code: number | null; stdout: string; stderr: string }, names: string | RegExp, what: string) => {
    const err = r.stderr.trim();
    expect(r.code, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(2);
    expect(err.split('\n'), `${what}: ${err}`).toHaveLength(1);
    expect(err, what).toMatch(names);
    expect(`${r.stdout}\n${r.stderr}`, what).not.toMatch(/^\s+at /m);
  };

  beforeAll(async () => {
    // One device profile for every spawn: the test run's (test/global-setup.ts), else measured once
    // here (the gate stops at the kernel's build).
    if (process.env.KLOOP_TEST_PROFILE) return void (await seedProfile(memory));
    const sum = join(root, 'profile-sum');
    cpSync(join(CATALOG_DIR, 'sum'), sum, { recursive: true });
    writeFileSync(join(sum, 'target.yaml'), readFileSync(join(sum, 'target.yaml'), 'utf8').replace(/^  bench: .*$/m, '  bench: {N: 2000}'));
    writeFileSync(join(root, 'broken-kernel.c'), 'void sum(int N, const real *X, real *S) { S[0] = ; }');
    const r = await cli(['verify', sum, join(root, 'broken-kernel.c'), '--memory', memory], 120_000);
    expect(r.code, r.stderr).toBe(1);
  }, 150_000);

  const sig = 'void sgemm(int M, int N, int K, const real *A, const real *B, real *C)';
  const naive = 'for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < K; k++) s += A[i*K+k] * B[k*N+j]; C[i*N+j] = s; }';
  const refs: [string, string, RegExp][] = [
    ['a syntax error', REF.replace('acc += ', 'acc += )'), /reference\.c: does not compile|reference\.c:\d+:\d+/],
    ['a missing semicolon', REF.replace(/acc;\s*\n/, 'acc\n'), /reference\.c: .*error/],
    ['a wrong signature (a parameter missing)', `${sig.replace(', int K', '')} { int K = 1; ${naive} }`, /does not define sgemm with the signature of target\.yaml/],
    ['a wrong signature (double pointers)', `${sig.replace(/real \*/g, 'double *')} { ${naive} }`, /does not define sgemm with the signature|reference\.c: /],
    ['C that is not C++', `#include <stdlib.h>\n${sig} { real *t = malloc(sizeof(real)); ${naive} free(t); }`, /does not compile as the oracle.*C\+\+/],
    ['an undeclared function', `${sig} { ${naive} frobnicate(C); }`, /reference\.c: .*frobnicate/],
    ['a crash when run', `${sig} { real *p = C - (1L << 40); p[0] = A[0]; ${naive} }`, /reference\.c: the reference .* when run as the oracle/],
    ['constant outputs', `${sig} { for (int i = 0; i < M * N; i++) C[i] = 1; }`, /target\.yaml: refused: its outputs are constant/],
    ['outputs blind to the inputs', `${sig} { for (int i = 0; i < M * N; i++) C[i] = i; }`, /target\.yaml: refused: its outputs do not depend on its inputs/],
    ['truncated', REF.slice(0, Math.floor(REF.length / 2)), /reference\.c: /],
    ['garbage bytes', `${REF.slice(0, 120)}\u0000\u00ff@@${REF.slice(120)}`, /reference\.c: /],
  ];

  it.each(refs)(
    'verify with a reference that has %s: one line, exit 2',
    async (what, ref, message) => {
      const dir = join(root, what.replace(/\W+/g, '-'));
      cpSync(SGEMM, dir, { recursive: true });
      writeFileSync(join(dir, 'reference.c'), ref);
      expectRefused(await cli(['verify', dir, kernel, '--memory', memory]), message, what);
    },
    60_000,
  );

  const yamls: [string, (y: string) => string, RegExp][] = [
    ['a truncated target.yaml', (y) => y.slice(0, 200), /target\.yaml: /],
    ['a parameter named like the harness', (y) => y.replace(/int M\b/, 'int in').replace(/\bM\b/g, 'in'), /target\.yaml: signature: parameter "in"/],
    ['a shape that divides by zero', (y) => y.replace('shape: [M, K]', 'shape: [M/0, K]'), /target\.yaml: sizes\.check\[0\]: array A would have a non-positive or non-integer extent/],
    ['check sizes too large', (y) => y.replace('{M: 33, N: 17, K: 65}', '{M: 30000, N: 30000, K: 30000}'), /target\.yaml: sizes\.check\[2\]: the arrays would hold/],
  ];

  it.each(yamls)(
    'verify with %s: one line, exit 2',
    async (what, edit, message) => {
      const dir = join(root, what.replace(/\W+/g, '-'));
      cpSync(SGEMM, dir, { recursive: true });
      writeFileSync(join(dir, 'target.yaml'), edit(YAML));
      expectRefused(await cli(['verify', dir, kernel, '--memory', memory]), message, what);
    },
    60_000,
  );

  it('run with a malformed WORKFLOW.md: one line, exit 2', async () => {
    const file = join(root, 'bad-workflow.md');
    writeFileSync(file, WORKFLOW.replace('min_speedup: 1.02', 'min_speedup: fast'));
    expectRefused(await cli(['run', file, '--target', 'sum', '--rounds', '1', '--minutes', '0.2', '--no-tui', '--memory', memory]), /bad-workflow\.md: accept\.min_speedup/, 'workflow');
  }, 60_000);

  it('run over several targets that are all broken: one line, exit 2', async () => {
    const a = join(root, 'run-a');
    const b = join(root, 'run-b');
    cpSync(SGEMM, a, { recursive: true });
    cpSync(SGEMM, b, { recursive: true });
    writeFileSync(join(a, 'target.yaml'), YAML.replace('flops:', 'flop:'));
    writeFileSync(join(b, 'reference.c'), REF.replace('sgemm(', 'gemm('));
    expectRefused(await cli(['run', '--target', a, '--target', b, '--rounds', '1', '--minutes', '0.2', '--no-tui', '--memory', memory]), /no target could be loaded: .*flop: unknown key.*does not define sgemm/, 'all broken');
  }, 60_000);

  it('a run over several targets reports a broken one, skips it and goes on with the others', async () => {
    const bad = join(root, 'skip-bad');
    cpSync(SGEMM, bad, { recursive: true });
    writeFileSync(join(bad, 'reference.c'), REF.replace('acc += ', 'acc += )'));
    const good = join(root, 'skip-good');
    cpSync(join(CATALOG_DIR, 'sum'), good, { recursive: true });
    writeFileSync(join(good, 'target.yaml'), readFileSync(join(good, 'target.yaml'), 'utf8').replace(/^  bench: .*$/m, '  bench: {N: 20000}'));
    const r = await cli(['run', '--target', bad, '--target', good, '--rounds', '1', '--minutes', '0.2', '--no-tui', '--memory', memory], 120_000);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at /m);
    // One line when it breaks (the target's stop, with the reason), one in the summary.
    const reported = r.stdout.split('\n').filter((l) => /reference\.c: does not compile/.test(l));
    expect(reported, r.stdout).toHaveLength(2);
    expect(reported[0]).toMatch(/^\[sgemm\] stopped: broken: .*reference\.c: does not compile/);
    expect(r.stdout).toMatch(/^skipped sgemm: .*reference\.c/m);
    expect(r.stdout).toMatch(/\[sum\] round 1/);
  }, 150_000);
});

describe('large check outputs', () => {
  it('a 2-D inout stencil with large check sizes is prepared without a stack overflow', async () => {
    const dir = join(tmp('kloop-big-'), 'smooth');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'target.yaml'),
      'name: smooth\nsignature: void smooth(int N, int M, real *U)\nargs:\n  U: { shape: [N, M], role: inout }\nsizes:\n  check: [{N: 3, M: 4}, {N: 700, M: 700}]\n  bench: {N: 700, M: 700}\n  limits: { N: { max: 64 }, M: { max: 64 } }\nflops: 4*N*M\nbytes: 8*N*M\n',
    );
    writeFileSync(join(dir, 'reference.c'), 'void smooth(int N, int M, real *U) {\n  for (int i = 1; i < N; i++)\n    for (int j = 1; j < M; j++) U[i * M + j] = 0.5f * U[i * M + j] + 0.25f * (U[(i - 1) * M + j] + U[i * M + j - 1]);\n}\n');
    const t = loadTarget(dir);
    const work = tmp('kloop-big-plan-');
    const plan = await new Verifier({ device: cpuDevice(work), hiddenSizes: 1 }).prepare(t, 5, join(work, 'plan'));
    // two check sizes and one hidden size, repeated so that every input distribution is drawn
    expect(new Set(plan.cases.map((c) => JSON.stringify(c.size))).size).toBe(3);
    expect(plan.cases.length).toBe(DISTRIBUTIONS.length);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);
});
