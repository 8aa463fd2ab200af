// corpus: legit | target: sum | shape: OpenMP parallel reduction, correct for any thread count | verdict: proved | flags: -fopenmp
void sum(int N, const real *X, real *S) {
  real s = 0;
  #pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
