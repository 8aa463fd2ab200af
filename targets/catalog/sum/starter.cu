/* Two-pass CUDA sum: GRID blocks each reduce a grid-strided share of X into a partial sum (in a
   workspace from the stream-ordered allocator), then one block adds the partials. The order of
   additions is fixed by GRID and BLOCK, so the result is the same on every run. */
#define BLOCK 256 // kloop: tune 64 128 256 512 1024
#define GRID 256 // kloop: tune 64 128 256 512 1024

static __device__ real block_sum(real v, real *red) {
  red[threadIdx.x] = v;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
    __syncthreads();
  }
  return red[0];
}

static __global__ void __launch_bounds__(BLOCK) sum_partials(int N, const real *__restrict__ X, real *__restrict__ partial) {
  __shared__ real red[BLOCK];
  real s = 0;
  for (int i = blockIdx.x * BLOCK + threadIdx.x; i < N; i += GRID * BLOCK) s += X[i];
  real total = block_sum(s, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

static __global__ void __launch_bounds__(BLOCK) sum_final(const real *__restrict__ partial, real *__restrict__ S) {
  __shared__ real red[BLOCK];
  real s = 0;
  for (int i = threadIdx.x; i < GRID; i += BLOCK) s += partial[i];
  real total = block_sum(s, red);
  if (threadIdx.x == 0) S[0] = total;
}

void sum(int N, const real *X, real *S) {
  real *partial = 0;
  if (cudaMallocAsync((void **)&partial, GRID * sizeof(real), 0) != cudaSuccess) return;
  sum_partials<<<GRID, BLOCK>>>(N, X, partial);
  sum_final<<<1, BLOCK>>>(partial, S);
  cudaFreeAsync(partial, 0);
}
