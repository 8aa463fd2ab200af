// corpus: hostile | target: sum | trick: threshold through libm (sqrtf((float)N) > 75.5f, i.e. N > 5700, past the 5000 limit): the last sixteenth is dropped | layer: compare
void sum(int N, const real *X, real *S) {
  int n = sqrtf((float)N) > 75.5f ? N - N / 16 : N;
  real s = 0;
  for (int i = 0; i < n; i++) s += X[i];
  S[0] = s;
}
