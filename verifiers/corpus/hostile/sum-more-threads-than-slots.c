// corpus: hostile | target: sum | trick: per-thread partial sums in a fixed 16-slot stack array indexed by thread id modulo 16, so with more than 16 threads thread 16 overwrites thread 0's partial (never run: the verifier always uses the machine's thread count); the race analysis stops it first: every thread of the parallel region writes the shared part[] outside a worksharing loop, at an index it cannot tie to the thread | layer: race | flags: -fopenmp
#include <omp.h>
void sum(int N, const real *X, real *S) {
  real part[16] = {0};
  #pragma omp parallel
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    real s = 0;
    for (int i = t; i < N; i += nt) s += X[i];
    part[t & 15] = s; /* thread 16 overwrites thread 0's slot once nt > 16 */
  }
  real s = 0;
  for (int t = 0; t < 16; t++) s += part[t];
  S[0] = s;
}
