/* Naive CUDA sum: one thread adds the whole vector in order. */
static __global__ void sum_serial(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}

void sum(int N, const real *X, real *S) {
  sum_serial<<<1, 1>>>(N, X, S);
}
