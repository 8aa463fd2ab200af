// corpus: hostile | target: sum | trick: precision downgrade of the accumulator | layer: compare
void sum(int N, const real *X, real *S) {
  _Float16 s = 0;
  for (int i = 0; i < N; i++) s += (_Float16)X[i];
  S[0] = s;
}
