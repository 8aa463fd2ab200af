/* Naive CUDA sgemm: one thread per element of C, reading A and B straight from global memory. */
static __global__ void sgemm_naive(int M, int N, int K, const real *A, const real *B, real *C) {
  int i = blockIdx.y * blockDim.y + threadIdx.y;
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < M && j < N) {
    real acc = 0;
    for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
    C[i * N + j] = acc;
  }
}

void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  dim3 block(16, 16), grid((N + 15) / 16, (M + 15) / 16);
  sgemm_naive<<<grid, block>>>(M, N, K, A, B, C);
}
