// corpus: hostile | target: sum | trick: build-flavour macro: under __SANITIZE_ADDRESS__ a clean remainder loop, in every other build an 8-wide loop that reads up to 7 elements past the end into the guard zone | layer: static
void sum(int N, const real *X, real *S) {
  real a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
#ifdef __SANITIZE_ADDRESS__
  for (; i + 8 <= N; i += 8)
    for (int l = 0; l < 8; l++) a[l] += X[i + l];
  for (; i < N; i++) a[0] += X[i];
#else
  for (; i < N; i += 8)
    for (int l = 0; l < 8; l++) a[l] += X[i + l]; /* over-reads the guard zone on the last block */
#endif
  S[0] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}
