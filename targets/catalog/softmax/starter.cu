/* Block-per-row CUDA softmax: the threads of a block stride over the row, then combine their
   maxima and sums with a shared-memory tree reduction. */
#define BLOCK 256 // kloop: tune 32 64 128 256 512 1024

static __global__ void __launch_bounds__(BLOCK) softmax_block(int R, int C, const real *__restrict__ X, real *__restrict__ Y) {
  __shared__ real red[BLOCK];
  const real *x = X + (size_t)blockIdx.x * C;
  real *y = Y + (size_t)blockIdx.x * C;
  real m = x[0];
  for (int c = threadIdx.x; c < C; c += BLOCK) m = fmaxf(m, x[c]);
  red[threadIdx.x] = m;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
    __syncthreads();
  }
  m = red[0];
  __syncthreads();
  real sum = 0;
  for (int c = threadIdx.x; c < C; c += BLOCK) sum += expf(x[c] - m);
  red[threadIdx.x] = sum;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
    __syncthreads();
  }
  const real total = red[0];
  for (int c = threadIdx.x; c < C; c += BLOCK) y[c] = expf(x[c] - m) / total;
}

void softmax(int R, int C, const real *X, real *Y) {
  softmax_block<<<R, BLOCK>>>(R, C, X, Y);
}
