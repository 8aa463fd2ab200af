import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../common/index.js';
import { parseC, printUnit } from '../csyntax/index.js';
import { asCxxSource, loadTarget } from '../targets/index.js';
import { parseSignature } from '../targets/signature.js';
import { tmp } from './helpers.js';

/**
 * Array parameters as PolyBench writes them (`double A[restrict M][N]`, `const float x[N]`), and
 * 1- and 2-byte integer arrays: the signature, target.yaml's shapes, the C++ builds (which have no
 * such parameters) and kloop's own reading of the C (flat pointers) compute what the C build does.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const KERNEL = `/* a 3-D tensor times a matrix along its last axis, and a scaled row sum */
void k3(int P, int Q, int R, double alpha, double A[restrict P][Q][R], const double C[R][R], double out_[P][Q][R], double rows[P]) {
  for (int p = 0; p < P; p++) {
    rows[p] = 0.0;
    for (int q = 0; q < Q; q++) {
      const double *row = A[p][q];
      for (int r = 0; r < R; r++) {
        double s = 0.0;
        for (int k = 0; k < R; k++) s += row[k] * C[k][r];
        out_[p][q][r] = alpha * s;
        rows[p] += A[p][q][r];
      }
    }
  }
}
`;

/** Run a C or C++ program and return what it prints. */
function runProgram(dir: string, name: string, source: string, cxx: boolean): string {
  const file = join(dir, `${name}.${cxx ? 'cpp' : 'c'}`);
  writeFileSync(file, source);
  execFileSync(cxx ? 'g++' : 'gcc', [...(cxx ? ['-std=gnu++17'] : ['-std=gnu11']), '-w', '-O1', '-ffp-contract=off', file, '-o', join(dir, name), '-lm']);
  return execFileSync(join(dir, name), { encoding: 'utf8' });
}

/** A main that fills the inputs with a fixed sequence, calls k3 over flat buffers and prints every output. */
const MAIN = `
#include <stdio.h>
int main(void) {
  enum { P = 3, Q = 4, R = 5 };
  static double A[P * Q * R], C[R * R], O[P * Q * R], rows[P];
  for (int i = 0; i < P * Q * R; i++) A[i] = (i * 37 % 11) * 0.25 - 1.0;
  for (int i = 0; i < R * R; i++) C[i] = (i * 13 % 7) * 0.5 - 1.5;
  k3(P, Q, R, 1.5, A, C, O, rows);
  for (int i = 0; i < P * Q * R; i++) printf("%.17g\\n", O[i]);
  for (int i = 0; i < P; i++) printf("%.17g\\n", rows[i]);
  return 0;
}
`;

describe('array parameters', () => {
  it('the signature reads array declarators: extents kept, qualifiers in the first bracket, arrays of pointers refused', () => {
    const s = parseSignature('void k(int M, int N, double A[restrict M][N], const float x[static N], unsigned char img[], int16_t q[M][2])');
    expect(typeof s).not.toBe('string');
    const ps = (s as Exclude<typeof s, string>).params;
    expect(ps.map((p) => [p.name, p.type, p.pointer, p.isConst, p.dims])).toEqual([
      ['M', 'int', false, false, undefined],
      ['N', 'int', false, false, undefined],
      ['A', 'double', true, false, ['M', 'N']],
      ['x', 'float', true, true, ['N']],
      ['img', 'unsigned char', true, false, ['']],
      ['q', 'int16_t', true, false, ['M', '2']],
    ]);
    // a pointer to rows is the array with its first extent left out
    const rows = parseSignature('void k(int M, int N, const double (*restrict A)[N], double (*B)[N])');
    expect((rows as Exclude<typeof rows, string>).params.slice(2).map((p) => [p.name, p.isConst, p.dims])).toEqual([
      ['A', true, ['', 'N']],
      ['B', false, ['', 'N']],
    ]);
    expect(parseSignature('void k(int n, float *A[n])')).toMatch(/arrays of pointers are not supported/);
    expect(parseSignature('void k(int n, float A[n][])')).toMatch(/only the first extent/);
  });

  it('target.yaml takes the shape from the declaration, checks a given one against it, and refuses a char size', () => {
    const dir = tmp('kloop-vla-');
    dirs.push(dir);
    const write = (name: string, sig: string, args: string, ref = '') => {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'target.yaml'), `name: ${name}\nsignature: ${sig}\nargs:\n${args}\nsizes: { check: [{M: 3, N: 5}], bench: {M: 64, N: 64} }\nflops: M*N\nbytes: 8*M*N\n`);
      writeFileSync(join(d, 'reference.c'), ref || `${sig} { for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) B[i][j] = A[i][j]; }\n`);
      return d;
    };
    const t = loadTarget(write('ok', 'void ok(int M, int N, const double A[M][N + 1], double B[restrict M][N])', '  A: { role: in }\n  B: { role: out }'));
    expect(t.arrays.map((a) => a.shapeText)).toEqual([
      ['M', 'N + 1'],
      ['M', 'N'],
    ]);
    expect(t.real).toBe('double');
    // a shape given beside the declaration must agree past the first extent (the layout)
    const bad = () => loadTarget(write('bad', 'void bad(int M, int N, const double A[M][N], double B[M][N])', '  A: { shape: [M, N + 1], role: in }\n  B: { role: out }'));
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/args\.A\.shape\[1\]: "N \+ 1" but the signature declares A\[M\]\[N\]/);
    // the first extent left out: the shape must say it
    expect(() => loadTarget(write('open', 'void open(int M, int N, const double A[][N], double B[M][N])', '  A: { role: in }\n  B: { role: out }'))).toThrow(
      /args\.A\.shape: missing: A\[\] leaves its first extent out, so give shape: \[ROWS, N\]/,
    );
    // narrow integer types are for arrays; a size is int or wider
    expect(() => loadTarget(write('narrow', 'void narrow(short M, int N, const double A[M][N], double B[M][N])', '  A: { role: in }\n  B: { role: out }'))).toThrow(/size parameter "M" is short/);
    const u8 = loadTarget(
      write(
        'u8',
        'void u8(int M, int N, const unsigned char A[M][N], uint8_t B[M][N])',
        '  A: { role: in, values: { range: [0, 255] } }\n  B: { role: out }',
        'void u8(int M, int N, const unsigned char A[M][N], uint8_t B[M][N]) { for (int i = 0; i < M * N; i++) B[0][i] = 255 - A[0][i]; }\n',
      ),
    );
    expect(u8.arrays.map((a) => [a.name, a.int?.ctype, a.int?.bytes])).toEqual([
      ['A', 'unsigned char', 1],
      ['B', 'uint8_t', 1],
    ]);
    expect(() => loadTarget(write('u8wide', 'void u8wide(int M, int N, const unsigned char A[M][N], uint8_t B[M][N])', '  A: { role: in, values: { range: [0, 256] } }\n  B: { role: out }'))).toThrow(
      /range: \[0, 256\] reaches \[0, 256\], outside unsigned char/,
    );
  });

  it("the C++ builds' rewrite and kloop's flat reading compute exactly what the C build does", () => {
    const dir = tmp('kloop-vla-run-');
    dirs.push(dir);
    const c = runProgram(dir, 'c', KERNEL + MAIN, false);
    expect(c.split('\n').length).toBeGreaterThan(60);
    // C++: the parameters become pointers, the body opens with a pointer to rows (typedef real as the test's double)
    const cxx = asCxxSource(KERNEL, 'double');
    expect(cxx).toMatch(/real \*__restrict kl_arr_A/);
    expect(cxx).toMatch(/\{ real \(\*A\)\[Q\]\[R\] = \(real \(\*\)\[Q\]\[R\]\)kl_arr_A;/);
    expect(runProgram(dir, 'cxx', 'typedef double real;\n' + cxx + MAIN, true)).toBe(c);
    // kloop's reading: flat pointers and flat indices, printed back as C
    const flat = printUnit(parseC(KERNEL));
    expect(flat).toMatch(/double \*restrict A, const double \*C, double \*out_, double \*rows/);
    expect(flat).toContain('const double *row = A + (p * Q + q) * R;');
    expect(flat).toContain('out_[(p * Q + q) * R + r] = alpha * s;');
    expect(runProgram(dir, 'flat', flat + MAIN, false)).toBe(c);
    // pointers to rows, T (*A)[N], alike
    const rows = 'void r2(int M, int N, const double (*restrict A)[N], double (*B)[N]) { for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) B[i][j] = 2 * A[i][j] - A[M - 1 - i][N - 1 - j]; }\n';
    const rowsMain = '#include <stdio.h>\nint main(void) { static double A[35], B[35]; for (int i = 0; i < 35; i++) A[i] = (i * 7 % 5) * 0.5; r2(5, 7, A, B); for (int i = 0; i < 35; i++) printf("%.17g\\n", B[i]); return 0; }\n';
    const rc = runProgram(dir, 'rows', rows + rowsMain, false);
    expect(asCxxSource(rows, 'double')).toContain('{ const real (*A)[N] = (const real (*)[N])kl_arr_A; real (*B)[N] = (real (*)[N])kl_arr_B;');
    expect(runProgram(dir, 'rowscxx', 'typedef double real;\n' + asCxxSource(rows, 'double') + rowsMain, true)).toBe(rc);
    expect(runProgram(dir, 'rowsflat', printUnit(parseC(rows)) + rowsMain, false)).toBe(rc);
  }, 60_000);

  it('refuses to read as flat what would not be the same function', () => {
    const bad = {
      'an extent assigned in the body': 'void k(int M, int N, float A[M][N]) { N = 2; A[0][0] = 1; }',
      'the array passed whole': 'void g(int N, float *p); void k(int M, int N, float A[M][N]) { g(N, A); }',
      'sizeof of a row': 'void k(int M, int N, float A[M][N]) { A[0][0] = sizeof A[0]; }',
      'the array redeclared': 'void k(int M, int N, float A[M][N]) { { float A = 1; (void)A; } }',
      'named in a pragma': 'void k(int M, int N, float A[M][N]) {\n#pragma omp parallel for reduction(+:A[0:M])\n  for (int i = 0; i < M; i++) A[i][0] += 1; }',
    };
    for (const [what, src] of Object.entries(bad)) expect(() => parseC(src), what).toThrow(/array parameter/);
  });
});
