/* Sequential sum. */
void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) {
    s += X[i];
  }
  S[0] = s;
}
