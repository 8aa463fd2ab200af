/* Block-per-row CUDA layer normalisation: two shared-memory tree reductions (mean, then variance). */
#define BLOCK 256 // kloop: tune 32 64 128 256 512 1024

static __device__ real block_sum(real v, real *red) {
  red[threadIdx.x] = v;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
    __syncthreads();
  }
  real total = red[0];
  __syncthreads();
  return total;
}

static __global__ void __launch_bounds__(BLOCK) layernorm_block(int R, int C, const real *__restrict__ X, const real *__restrict__ gamma, const real *__restrict__ beta, real *__restrict__ Y) {
  __shared__ real red[BLOCK];
  const real *x = X + (size_t)blockIdx.x * C;
  real *y = Y + (size_t)blockIdx.x * C;
  real s = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) s += x[c];
  const real mean = block_sum(s, red) / C;
  real q = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) {
    real d = x[c] - mean;
    q += d * d;
  }
  const real inv = 1 / sqrtf(block_sum(q, red) / C + 1e-5f);
  for (int c = threadIdx.x; c < C; c += BLOCK) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
}

void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  layernorm_block<<<R, BLOCK>>>(R, C, X, gamma, beta, Y);
}
