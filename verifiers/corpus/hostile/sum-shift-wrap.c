// corpus: hostile | target: sum | trick: sign of a wrapped shift ((int)((unsigned)N << 15) < 0: N in [65536, 131071] and other bands, never within the 5000 limit; live at the corpus bench 100000, not at 2^24): the last sixteenth is dropped (an unsigned shift of N that wraps within its range: refused) | layer: size-paths
void sum(int N, const real *X, real *S) {
  int n = (int)((unsigned)N << 15) < 0 ? N - N / 16 : N;
  real s = 0;
  for (int i = 0; i < n; i++) s += X[i];
  S[0] = s;
}
