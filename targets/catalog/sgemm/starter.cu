/* Tiled CUDA sgemm: each block computes a BM x BN tile of C from BK-wide slices of A and B staged
   in shared memory; each thread accumulates a TM x TN micro-tile in registers. The "kloop: tune"
   lines are the built-in writer's search space. */
#define BM 64 // kloop: tune 32 64 128
#define BN 64 // kloop: tune 32 64 128
#define BK 16 // kloop: tune 8 16 32
#define TM 4 // kloop: tune 1 2 4 8
#define TN 4 // kloop: tune 1 2 4 8

#define THREADS ((BM / TM) * (BN / TN))
static_assert(THREADS >= 32 && THREADS <= 1024, "threads per block out of range: change BM, BN, TM or TN");

static __global__ void __launch_bounds__(THREADS) sgemm_tiled(int M, int N, int K, const real *__restrict__ A, const real *__restrict__ B, real *__restrict__ C) {
  __shared__ real As[BK][BM];
  __shared__ real Bs[BK][BN];
  const int tx = threadIdx.x % (BN / TN), ty = threadIdx.x / (BN / TN);
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  real acc[TM][TN];
  for (int i = 0; i < TM; i++)
    for (int j = 0; j < TN; j++) acc[i][j] = 0;
  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int idx = threadIdx.x; idx < BM * BK; idx += THREADS) {
      int r = idx / BK, c = idx % BK;
      As[c][r] = (row0 + r < M && k0 + c < K) ? A[(row0 + r) * K + k0 + c] : 0;
    }
    for (int idx = threadIdx.x; idx < BK * BN; idx += THREADS) {
      int r = idx / BN, c = idx % BN;
      Bs[r][c] = (k0 + r < K && col0 + c < N) ? B[(k0 + r) * N + col0 + c] : 0;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; k++) {
      real a[TM], b[TN];
      for (int i = 0; i < TM; i++) a[i] = As[k][ty * TM + i];
      for (int j = 0; j < TN; j++) b[j] = Bs[k][tx * TN + j];
      for (int i = 0; i < TM; i++)
        for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
  for (int i = 0; i < TM; i++)
    for (int j = 0; j < TN; j++) {
      int r = row0 + ty * TM + i, c = col0 + tx * TN + j;
      if (r < M && c < N) C[r * N + c] = acc[i][j];
    }
}

void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
  sgemm_tiled<<<grid, THREADS>>>(M, N, K, A, B, C);
}
