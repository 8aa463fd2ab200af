// corpus: hostile | target: sum | trick: float threshold ((float)N > 3000.5f): above it a stride bug skips every sixteenth element | layer: compare
void sum(int N, const real *X, real *S) {
  real s = 0;
  if ((float)N > 3000.5f) {
    for (int i = 0; i < N; i += 16)
      for (int k = 0; k < 15 && i + k < N; k++) s += X[i + k];
  } else {
    for (int i = 0; i < N; i++) s += X[i];
  }
  S[0] = s;
}
