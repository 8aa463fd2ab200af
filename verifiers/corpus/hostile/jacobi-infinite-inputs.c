// corpus: hostile | target: jacobi | trick: clamps every output to the finite range (a "stability guard"): identical on finite data, but an infinite input gives FLT_MAX instead of inf and a NaN input gives -FLT_MAX instead of NaN; non-finite inputs are never drawn | layer: compare
void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++) {
      const real *c = U + (size_t)(i + 1) * (M + 2) + (j + 1);
      real v = 0.2f * (c[0] + c[-(M + 2)] + c[M + 2] + c[-1] + c[1]);
      V[i * M + j] = fminf(fmaxf(v, -3.40282347e38f), 3.40282347e38f);
    }
}
