/* Covariance of M variables over N observations (data is N×M), PolyBench's covariance. */
void covariance(int M, int N, const real *data, real *mean, real *cov) {
  for (int j = 0; j < M; j++) {
    mean[j] = 0;
    for (int i = 0; i < N; i++) mean[j] += data[i * M + j];
    mean[j] /= N;
  }
  for (int i = 0; i < M; i++)
    for (int j = i; j < M; j++) {
      real s = 0;
      for (int k = 0; k < N; k++) s += (data[k * M + i] - mean[i]) * (data[k * M + j] - mean[j]);
      s /= (N - 1);
      cov[i * M + j] = s;
      cov[j * M + i] = s;
    }
}
