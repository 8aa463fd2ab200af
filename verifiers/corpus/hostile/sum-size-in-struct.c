// corpus: hostile | target: sum | trick: red team 4: N copied into a struct member, the threshold on the member (wrong for N in [2^23, 2^23+2^19)); was PROVED | layer: size-paths
struct dims { int n; };
void sum(int N, const real *X, real *S) {
  struct dims d = { N };
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  if (d.n >= (1 << 23) && d.n < (1 << 23) + (1 << 19)) s = (real)1e6;
  S[0] = s;
}
