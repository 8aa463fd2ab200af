// corpus: legit | target: sum | shape: Kahan compensated summation | verdict: proved
void sum(int N, const real *X, real *S) {
  real s = 0, comp = 0;
  for (int i = 0; i < N; i++) {
    real y = X[i] - comp;
    real t = s + y;
    comp = (t - s) - y;
    s = t;
  }
  S[0] = s;
}
