/* Block-per-row CUDA softmax: the threads of a block stride over the row; maxima and sums are
   combined within each warp by shuffles, then across the block's warps through shared memory. */
#define BLOCK 256 // kloop: tune 32 64 128 256 512 1024
static_assert(BLOCK % 32 == 0, "BLOCK must be a multiple of the warp size");

static __device__ real block_max(real v, real *warps) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    real t = threadIdx.x < BLOCK / 32 ? warps[threadIdx.x] : warps[0];
    for (int o = 16; o > 0; o >>= 1) t = fmaxf(t, __shfl_xor_sync(0xffffffffu, t, o));
    if (threadIdx.x == 0) warps[32] = t;
  }
  __syncthreads();
  return warps[32];
}

static __device__ real block_sum(real v, real *warps) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    real t = threadIdx.x < BLOCK / 32 ? warps[threadIdx.x] : 0;
    for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
    if (threadIdx.x == 0) warps[33] = t;
  }
  __syncthreads();
  return warps[33];
}

static __global__ void __launch_bounds__(BLOCK) softmax_block(int R, int C, const real *__restrict__ X, real *__restrict__ Y) {
  __shared__ real warps[34];
  const real *x = X + (size_t)blockIdx.x * C;
  real *y = Y + (size_t)blockIdx.x * C;
  real m = x[0];
  for (int c = threadIdx.x; c < C; c += BLOCK) m = fmaxf(m, x[c]);
  m = block_max(m, warps);
  real sum = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) sum += expf(x[c] - m);
  const real total = block_sum(sum, warps);
  for (int c = threadIdx.x; c < C; c += BLOCK) y[c] = expf(x[c] - m) / total;
}

void softmax(int R, int C, const real *X, real *Y) {
  softmax_block<<<R, BLOCK>>>(R, C, X, Y);
}
