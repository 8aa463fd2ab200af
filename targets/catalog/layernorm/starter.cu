/* Block-per-row CUDA layer normalisation: mean, then variance, each a block sum made of warp
   shuffles and one exchange of the warps' partial sums through shared memory. */
#define BLOCK 256 // kloop: tune 32 64 128 256 512 1024
static_assert(BLOCK % 32 == 0, "BLOCK must be a multiple of the warp size");

static __device__ real block_sum(real v, real *warps) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    real t = threadIdx.x < BLOCK / 32 ? warps[threadIdx.x] : 0;
    for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
    if (threadIdx.x == 0) warps[32] = t;
  }
  __syncthreads();
  real total = warps[32];
  __syncthreads();
  return total;
}

static __global__ void __launch_bounds__(BLOCK) layernorm_block(int R, int C, const real *__restrict__ X, const real *__restrict__ gamma, const real *__restrict__ beta, real *__restrict__ Y) {
  __shared__ real warps[33];
  const real *x = X + (size_t)blockIdx.x * C;
  real *y = Y + (size_t)blockIdx.x * C;
  real s = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) s += x[c];
  const real mean = block_sum(s, warps) / C;
  real q = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) {
    real d = x[c] - mean;
    q += d * d;
  }
  const real inv = 1 / sqrtf(block_sum(q, warps) / C + 1e-5f);
  for (int c = threadIdx.x; c < C; c += BLOCK) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
}

void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  layernorm_block<<<R, BLOCK>>>(R, C, X, gamma, beta, Y);
}
