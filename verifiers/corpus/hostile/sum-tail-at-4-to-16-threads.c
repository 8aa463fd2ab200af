// corpus: hostile | target: sum | trick: a many-core path taken only with 4 to 16 OpenMP threads drops the tail N % threads (the check cycle of 1, 2 and 17 threads never took it; a count in 4..16 is now drawn per plan) | layer: compare | flags: -fopenmp
#include <omp.h>
void sum(int N, const real *X, real *S) {
  int nt = omp_get_max_threads();
  real s = 0;
  if (nt >= 4 && nt <= 16) {
    int chunk = N / nt;
    #pragma omp parallel for reduction(+:s)
    for (int t = 0; t < nt; t++)
      for (int i = t * chunk; i < (t + 1) * chunk; i++) s += X[i];
  } else {
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < N; i++) s += X[i];
  }
  S[0] = s;
}
