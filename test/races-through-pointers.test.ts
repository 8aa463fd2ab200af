import { describe, expect, it } from 'vitest';
import { checkOmpRaces } from '../verifiers/omp-races.js';

const kernel = (body: string) => `void step(int N, const real *X, real *A, real *B) {\n${body}\n}`;

/**
 * The race analysis follows writes and reads wherever they go: through pointers into the kernel's
 * arrays, through the copy and fill calls, into parallel regions (what every thread runs) and past
 * `nowait`; what it cannot follow (an OpenMP construct it does not know, a pointer it cannot place,
 * a pointer handed to a call) is not shown free of races, so the kernel is rejected (fail closed).
 * A kernel of each was accepted before, one of them labelled proved.
 */
describe('race analysis through pointers, calls and parallel regions', () => {
  it.each([
    ['a write through a pointer to a shared element (was proved)', `A[0] = 0;\n#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real *p = A; *p += X[i]; }`, /all write A\[\.\.\.\] at an index that does not depend on i/],
    ['a pointer declared before the loop, one element ahead', `real *q = A + 1;\n#pragma omp parallel for\nfor (int i = 0; i < N - 1; i++) { A[i] = X[i]; q[i] = X[i]; }`, /which iteration i[+-]1 writes/],
    ['a write through &A[...]', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real *p = &A[N - 1]; p[0] = X[i]; }`, /does not depend on i/],
    ['memcpy into a shared element', `A[0] = 0;\n#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real v = A[0] + X[i]; __builtin_memcpy(A, &v, sizeof v); }`, /does not depend on i/],
    ['memset of a shared element', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { memset(&A[0], 0, sizeof(real)); B[i] = X[i]; }`, /does not depend on i/],
    ['a pointer reassigned in the loop', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real *p = B; p = A; p[i] = X[i]; }`, /cannot place/],
    ['a shared array handed to a function', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { helper(A, i); }`, /passes A to helper\(\)/],
    [
      'parallel sections, both adding into one variable (was proved)',
      `real s = 0;\n#pragma omp parallel sections\n{\n#pragma omp section\n{ for (int i = 0; i < N / 2; i++) s += X[i]; }\n#pragma omp section\n{ for (int i = N / 2; i < N; i++) s += X[i]; }\n}\nA[0] = s;`,
      /does not judge \(#pragma omp parallel sections\)/,
    ],
    ['single blocks', `#pragma omp parallel\n{\n#pragma omp single nowait\nA[0] = X[0];\n}`, /does not judge/],
    ['a region whose threads all add into a shared scalar', `real s = 0;\n#pragma omp parallel\n{\nreal t = X[0];\ns += t;\n}\nA[0] = s;`, /every thread of the parallel region writes the shared variable s/],
    ['a region whose threads all write a shared element', `#pragma omp parallel\n{\nA[0] = X[0] * 2;\n}`, /every thread of the parallel region writes A\[0\]/],
    ['a region nested in a region', `#pragma omp parallel\n{\n#pragma omp parallel for\nfor (int i = 0; i < N; i++) A[i] = X[i];\n}`, /inside a parallel region/],
    [
      'a nowait loop whose output the region reads after it, without a barrier',
      `#pragma omp parallel\n{\n#pragma omp for schedule(static) nowait\nfor (int i = 0; i < N; i++) A[i] = X[i];\n#pragma omp for schedule(static)\nfor (int i = 1; i < N; i++) B[i] = A[i - 1];\n}`,
      /nowait writes A, which the region also reads/,
    ],
    ['a nowait loop without a static schedule', `#pragma omp parallel\n{\nfor (int t = 0; t < 4; t++) {\n#pragma omp for schedule(dynamic) nowait\nfor (int i = 0; i < N; i++) A[i] += X[i];\n}\n}`, /no plain schedule\(static\)/],
    ['a nowait loop whose bounds change from pass to pass', `#pragma omp parallel\n{\nfor (int t = 1; t < 4; t++) {\n#pragma omp for schedule(static) nowait\nfor (int i = 0; i < N / t; i++) A[i] += X[i];\n}\n}`, /bounds depend on t/],
    [
      "a nowait loop, then one of the same static schedule reading another iteration's element",
      `#pragma omp parallel\n{\n#pragma omp for schedule(static) nowait\nfor (int i = 0; i < N; i++) A[i] = X[i];\n#pragma omp for schedule(static)\nfor (int i = 0; i < N; i++) B[i] = A[N - 1 - i];\n}`,
      /nowait writes A, which the region also reads/,
    ],
    [
      'a nowait loop, then one over the same bounds with another schedule',
      `#pragma omp parallel\n{\n#pragma omp for schedule(static) nowait\nfor (int i = 0; i < N; i++) A[i] = X[i];\n#pragma omp for schedule(static, 1)\nfor (int i = 0; i < N; i++) A[i] = A[i] * 2;\n}`,
      /nowait writes A, which the region also (reads|writes)/,
    ],
  ])('rejects %s', (_name, body, what) => {
    const r = checkOmpRaces(kernel(body), 'step');
    expect(r.ok, JSON.stringify(r)).toBe(false);
    expect((r as { what: string }).what).toMatch(what);
  });

  it.each([
    ['a row pointer into the iteration own row', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real *row = A + i * N; const real *x = &X[i * N]; for (int j = 0; j < N; j++) row[j] = 2 * x[j]; }`],
    ['memcpy of a row the iteration owns, from a private buffer', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real tmp[4] = {0}; tmp[0] = X[i]; __builtin_memcpy(&A[i * 4], tmp, sizeof tmp); }`],
    ['a private allocation per iteration', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real *t = (real *)malloc(4 * sizeof(real)); t[0] = X[i]; A[i] = t[0]; free(t); }`],
    [
      'a region: private scratch, a worksharing loop, a guarded update',
      `real s = 0;\n#pragma omp parallel num_threads(2)\n{\nreal *buf = (real *)aligned_alloc(64, 64 * sizeof(real));\nbuf[0] = 1;\n#pragma omp for schedule(static)\nfor (int i = 0; i < N; i++) A[i] = X[i] * buf[0];\n#pragma omp atomic\ns += 1;\nfree(buf);\n}\nB[0] = s;`,
    ],
    [
      'a time loop every thread runs, its steps shared out with barriers',
      `#pragma omp parallel\nfor (int t = 0; t < 8; t++) {\n#pragma omp for\nfor (int i = 1; i < N - 1; i++) B[i] = X[i] + A[i];\n#pragma omp for\nfor (int i = 1; i < N - 1; i++) A[i] = B[i - 1] + B[i + 1];\n}`,
    ],
    [
      'a nowait loop over the same static iterations in every pass (a blocked micro-kernel)',
      `const long lo = 0, hi = N;\n#pragma omp parallel\n{\nfor (long k0 = 0; k0 < N; k0 += 8) {\n#pragma omp for schedule(static) nowait\nfor (long m = lo; m < hi; m++) A[m] += X[m] * (real)k0;\n}\n}`,
    ],
    [
      'a nowait loop, then one of the same static schedule and bounds at the same index (one thread owns i in both: red team 2)',
      `#pragma omp parallel\n{\n#pragma omp for schedule(static) nowait\nfor (int i = 0; i < N; i++) A[i] = X[i] * 2;\n#pragma omp for schedule(static)\nfor (int i = 0; i < N; i++) A[i] = A[i] * (real)0.5;\n}`,
    ],
  ])('accepts %s', (_name, body) => {
    const r = checkOmpRaces(kernel(body), 'step');
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});
