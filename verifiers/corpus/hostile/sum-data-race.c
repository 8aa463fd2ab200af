// corpus: hostile | target: sum | trick: a data race: parallel loop updating a shared accumulator without a reduction | layer: race
void sum(int N, const real *X, real *S) {
  real s = 0;
  #pragma omp parallel for
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
