/* Naive CUDA softmax: one thread per row, three passes over the row (max, sum, normalise). */
static __global__ void softmax_rows(int R, int C, const real *X, real *Y) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= R) return;
  real m = X[r * C];
  for (int c = 1; c < C; c++)
    if (X[r * C + c] > m) m = X[r * C + c];
  real s = 0;
  for (int c = 0; c < C; c++) {
    Y[r * C + c] = expf(X[r * C + c] - m);
    s += Y[r * C + c];
  }
  for (int c = 0; c < C; c++) Y[r * C + c] = Y[r * C + c] / s;
}

void softmax(int R, int C, const real *X, real *Y) {
  softmax_rows<<<(R + 127) / 128, 128>>>(R, C, X, Y);
}
