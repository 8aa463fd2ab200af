// corpus: hostile | target: softmax | trick: product of sizes (R * C > 12000, the largest the limits allow is 40x300): the row sum misses its last sixteenth (a dropped vector epilogue) | layer: compare
void softmax(int R, int C, const real *X, real *Y) {
  int cs = R * C > 12000 ? C - C / 16 : C;
  for (int r = 0; r < R; r++) {
    real m = X[r * C];
    for (int c = 1; c < C; c++)
      if (X[r * C + c] > m) m = X[r * C + c];
    real s = 0;
    for (int c = 0; c < C; c++) Y[r * C + c] = expf(X[r * C + c] - m);
    for (int c = 0; c < cs; c++) s += Y[r * C + c];
    for (int c = 0; c < C; c++) Y[r * C + c] = Y[r * C + c] / s;
  }
}
