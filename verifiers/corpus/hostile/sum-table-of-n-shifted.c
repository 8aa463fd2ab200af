// corpus: hostile | target: sum | trick: red team 4: a constant table indexed by N >> 20 whose entry 8 halves the sum (N in [2^23, 2^23+2^20)); was TESTED; the corpus check budget refuses the sizes (kloop verify: rejected by compare at N=2^23) | layer: size-paths
static const unsigned char T[32] = {0,0,0,0,0,0,0,0,1};
void sum(int N, const real *X, real *S) {
  real s = 0;
  int n = T[N >> 20] ? N / 2 : N;
  for (int i = 0; i < n; i++) s += X[i];
  S[0] = s;
}
