/**
 * HP1 on a GPU: the bandwidth of L2 (a read-only sum over half of it, loads that bypass L1, every
 * SM busy) and of device memory (the higher of a device-to-device copy and the same sum over a
 * large buffer), FMA throughput in fp32 and fp64 (8 independent chains per thread, every SM busy),
 * and what the device reports about itself. Prints one JSON line.
 */
export const CUDA_PEAK_SOURCE = String.raw`#include <cstdio>
#include <cuda_runtime.h>
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e)); return 6; } } while (0)

template <typename T> __global__ void fma_chains(T *out, int iters, T a, T b) {
  T x0 = threadIdx.x, x1 = x0 + 1, x2 = x0 + 2, x3 = x0 + 3, x4 = x0 + 4, x5 = x0 + 5, x6 = x0 + 6, x7 = x0 + 7;
  for (int i = 0; i < iters; i++) {
    x0 = x0 * a + b; x1 = x1 * a + b; x2 = x2 * a + b; x3 = x3 * a + b;
    x4 = x4 * a + b; x5 = x5 * a + b; x6 = x6 * a + b; x7 = x7 * a + b;
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}

__global__ void read_sum(const float4 *x, size_t n, int passes, float *out) {
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
  size_t tid = blockIdx.x * (size_t)blockDim.x + threadIdx.x, stride = (size_t)gridDim.x * blockDim.x;
  for (int p = 0; p < passes; p++)
    for (size_t i = tid; i < n; i += stride) { float4 v = __ldcg(x + i); acc.x += v.x; acc.y += v.y; acc.z += v.z; acc.w += v.w; }
  float s = acc.x + acc.y + acc.z + acc.w;
  if (s == -1.0f) out[tid % 1024] = s; /* never true for the buffer's contents; keeps the loads */
}

/* GB/s of read_sum over the first BYTES of x, best of 5 after a warm-up. */
static int read_bw(int sms, const char *x, size_t bytes, int passes, float *out, double *gbs) {
  cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  size_t n = bytes / sizeof(float4);
  read_sum<<<sms * 8, 512>>>((const float4 *)x, n, 1, out);
  CK(cudaDeviceSynchronize());
  double best = 0;
  for (int r = 0; r < 5; r++) {
    CK(cudaEventRecord(a));
    read_sum<<<sms * 8, 512>>>((const float4 *)x, n, passes, out);
    CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    float ms; CK(cudaEventElapsedTime(&ms, a, b));
    double g = (double)passes * n * sizeof(float4) / (ms * 1e6);
    if (g > best) best = g;
  }
  *gbs = best;
  return 0;
}

template <typename T> static int flops(int sms, int iters, double *gflops) {
  int blocks = sms * 16, threads = 256;
  T *out; CK(cudaMalloc(&out, sizeof(T) * blocks * threads));
  cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  fma_chains<T><<<blocks, threads>>>(out, iters / 10, (T)0.999, (T)0.001);
  CK(cudaDeviceSynchronize());
  double best = 0;
  for (int r = 0; r < 5; r++) {
    CK(cudaEventRecord(a));
    fma_chains<T><<<blocks, threads>>>(out, iters, (T)0.999, (T)0.001);
    CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    float ms; CK(cudaEventElapsedTime(&ms, a, b));
    double g = 2.0 * 8 * iters * (double)blocks * threads / (ms * 1e6);
    if (g > best) best = g;
  }
  cudaFree(out);
  *gflops = best;
  return 0;
}

int main() {
  int dev = 0, n = 0;
  CK(cudaGetDeviceCount(&n));
  if (n == 0) { fprintf(stderr, "no CUDA device\n"); return 6; }
  cudaDeviceProp p; CK(cudaGetDeviceProperties(&p, dev));
  int driver = 0, runtime = 0; cudaDriverGetVersion(&driver); cudaRuntimeGetVersion(&runtime);
  size_t freeb, totalb; CK(cudaMemGetInfo(&freeb, &totalb));
  size_t bytes = (size_t)1 << 30; if (bytes > freeb / 4) bytes = freeb / 4;
  char *x, *y; CK(cudaMalloc(&x, bytes)); CK(cudaMalloc(&y, bytes));
  CK(cudaMemset(x, 1, bytes)); CK(cudaMemcpy(y, x, bytes, cudaMemcpyDeviceToDevice)); CK(cudaDeviceSynchronize());
  cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  double bw = 0;
  for (int r = 0; r < 10; r++) {
    CK(cudaEventRecord(a)); CK(cudaMemcpy(y, x, bytes, cudaMemcpyDeviceToDevice)); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    float ms; CK(cudaEventElapsedTime(&ms, a, b));
    double g = 2.0 * bytes / (ms * 1e6);
    if (g > bw) bw = g;
  }
  float *out; CK(cudaMalloc(&out, 1024 * sizeof(float)));
  double l2bw = 0, readbw = 0;
  size_t l2half = (size_t)p.l2CacheSize / 2 / 4096 * 4096;
  if (l2half && read_bw(p.multiProcessorCount, x, l2half, (int)(((size_t)32 << 30) / l2half), out, &l2bw)) return 6;
  if (read_bw(p.multiProcessorCount, x, bytes, 4, out, &readbw)) return 6;
  if (readbw > bw) bw = readbw;
  double f32 = 0, f64 = 0;
  if (flops<float>(p.multiProcessorCount, 1 << 16, &f32)) return 6;
  if (flops<double>(p.multiProcessorCount, 1 << 13, &f64)) return 6;
  printf("{\"name\":\"%s\",\"cc\":\"%d.%d\",\"sms\":%d,\"l2\":%d,\"memMb\":%.0f,\"driver\":%d,\"runtime\":%d,\"fp32all\":%.1f,\"fp64all\":%.1f,\"bwall\":%.1f,\"l2bw\":%.1f}\n",
         p.name, p.major, p.minor, p.multiProcessorCount, p.l2CacheSize, totalb / 1048576.0, driver, runtime, f32, f64, bw, l2bw);
  return 0;
}
`;
