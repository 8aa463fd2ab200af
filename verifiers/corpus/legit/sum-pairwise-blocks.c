// corpus: legit | target: sum | shape: eight independent partial sums (vectorisable reassociation) | verdict: proved
void sum(int N, const real *X, real *S) {
  real p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 7 < N; i += 8)
    for (int l = 0; l < 8; l++) p[l] += X[i + l];
  real s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
  for (; i < N; i++) s += X[i];
  S[0] = s;
}
