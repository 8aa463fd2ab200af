/* Two-pass CUDA sum: GRID blocks each reduce a grid-strided share of X (warp shuffles, then the
   warps' partial sums) into a workspace from the stream-ordered allocator; one block adds the
   partials. The order of additions is fixed by GRID and BLOCK, so every run gives the same sum. */
#define BLOCK 256 // kloop: tune 64 128 256 512 1024
#define GRID 256 // kloop: tune 64 128 256 512 1024
static_assert(BLOCK % 32 == 0, "BLOCK must be a multiple of the warp size");

static __device__ real block_sum(real v, real *warps) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
  __syncthreads();
  real t = 0;
  if (threadIdx.x < 32) {
    t = threadIdx.x < BLOCK / 32 ? warps[threadIdx.x] : 0;
    for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
  }
  return t; /* valid in thread 0 */
}

static __global__ void __launch_bounds__(BLOCK) sum_partials(int N, const real *__restrict__ X, real *__restrict__ partial) {
  __shared__ real warps[32];
  real s = 0;
  for (int i = blockIdx.x * BLOCK + threadIdx.x; i < N; i += GRID * BLOCK) s += X[i];
  real total = block_sum(s, warps);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

static __global__ void __launch_bounds__(BLOCK) sum_final(const real *__restrict__ partial, real *__restrict__ S) {
  __shared__ real warps[32];
  real s = 0;
  for (int i = threadIdx.x; i < GRID; i += BLOCK) s += partial[i];
  real total = block_sum(s, warps);
  if (threadIdx.x == 0) S[0] = total;
}

void sum(int N, const real *X, real *S) {
  real *partial = 0;
  if (cudaMallocAsync((void **)&partial, GRID * sizeof(real), 0) != cudaSuccess) return;
  sum_partials<<<GRID, BLOCK>>>(N, X, partial);
  sum_final<<<1, BLOCK>>>(partial, S);
  cudaFreeAsync(partial, 0);
}
