// corpus: legit | target: sum | shape: OpenMP reduction over groups of eight (each group summed in order) when N % 8 == 0, a sequential loop otherwise | verdict: proved | flags: -fopenmp
void sum(int N, const real *X, real *S) {
  real s = 0;
  if (N % 8 == 0) {
    #pragma omp parallel for reduction(+:s)
    for (int g = 0; g < N / 8; g++) {
      real t = 0;
      for (int k = 0; k < 8; k++) t += X[g * 8 + k];
      s += t;
    }
  } else {
    for (int i = 0; i < N; i++) s += X[i];
  }
  S[0] = s;
}
