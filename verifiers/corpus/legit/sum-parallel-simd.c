// corpus: legit | target: sum | shape: OpenMP parallel reduction with SIMD | verdict: proved | flags: -fopenmp
void sum(int N, const real *X, real *S) {
  real s = 0;
  #pragma omp parallel for simd reduction(+:s)
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}
