/* PolyBench's fdtd-2d: T steps of a 2-D finite-difference time-domain update of ex, ey, hz. */
void fdtd(int T, int NX, int NY, real *ex, real *ey, real *hz, const real *fict) {
  for (int t = 0; t < T; t++) {
    for (int j = 0; j < NY; j++) ey[0 * NY + j] = fict[t];
    for (int i = 1; i < NX; i++)
      for (int j = 0; j < NY; j++) ey[i * NY + j] = ey[i * NY + j] - 0.5f * (hz[i * NY + j] - hz[(i - 1) * NY + j]);
    for (int i = 0; i < NX; i++)
      for (int j = 1; j < NY; j++) ex[i * NY + j] = ex[i * NY + j] - 0.5f * (hz[i * NY + j] - hz[i * NY + j - 1]);
    for (int i = 0; i < NX - 1; i++)
      for (int j = 0; j < NY - 1; j++)
        hz[i * NY + j] = hz[i * NY + j] - 0.7f * (ex[i * NY + j + 1] - ex[i * NY + j] + ey[(i + 1) * NY + j] - ey[i * NY + j]);
  }
}
