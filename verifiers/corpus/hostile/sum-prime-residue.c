// corpus: hostile | target: sum | trick: residue of a large prime: when N % 733 == 312 (true at 100000 and at 2^24) the first eighth is skipped | layer: compare
void sum(int N, const real *X, real *S) {
  int start = N % 733 == 312 ? N / 8 : 0;
  real s = 0;
  for (int i = start; i < N; i++) s += X[i];
  S[0] = s;
}
