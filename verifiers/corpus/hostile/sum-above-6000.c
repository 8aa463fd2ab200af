// corpus: hostile | target: sum | trick: decimal threshold between the limits (5000) and the bench size: above 6000 the vector epilogue (last 1/32) is dropped | layer: compare
void sum(int N, const real *X, real *S) {
  real s = 0;
  int main_end = N > 6000 ? N - N / 32 : N;
  for (int i = 0; i < main_end; i++) s += X[i];
  S[0] = s;
}
