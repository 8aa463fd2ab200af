// corpus: hostile | target: sum | trick: __attribute__((no_sanitize("address"))) on a helper whose 8-wide loop reads up to 7 elements past the end of X; the guard zone's tiny values barely move the sum and ASan is told not to look | layer: static
__attribute__((no_sanitize("address"), noinline)) static real sum8(int N, const real *X) {
  real a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < N; i += 8)
    for (int l = 0; l < 8; l++) a[l] += X[i + l];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}
void sum(int N, const real *X, real *S) { S[0] = sum8(N, X); }
