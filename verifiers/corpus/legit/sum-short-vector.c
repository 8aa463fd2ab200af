// corpus: legit | target: sum | shape: a plain loop for short vectors (N < 64), four partial sums with a remainder above | verdict: proved
void sum(int N, const real *X, real *S) {
  if (N < 64) {
    real s = 0;
    for (int i = 0; i < N; i++) s += X[i];
    S[0] = s;
    return;
  }
  real p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  int i = 0;
  for (; i + 3 < N; i += 4) {
    p0 += X[i];
    p1 += X[i + 1];
    p2 += X[i + 2];
    p3 += X[i + 3];
  }
  for (; i < N; i++) p0 += X[i];
  S[0] = (p0 + p1) + (p2 + p3);
}
