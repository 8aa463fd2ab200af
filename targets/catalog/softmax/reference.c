/* Row-wise softmax, three passes per row: max, sum of exponentials, normalise. */
void softmax(int R, int C, const real *X, real *Y) {
  for (int r = 0; r < R; r++) {
    real m = X[r * C];
    for (int c = 1; c < C; c++) {
      if (X[r * C + c] > m) m = X[r * C + c];
    }
    real s = 0;
    for (int c = 0; c < C; c++) {
      Y[r * C + c] = expf(X[r * C + c] - m);
      s += Y[r * C + c];
    }
    for (int c = 0; c < C; c++) {
      Y[r * C + c] = Y[r * C + c] / s;
    }
  }
}
