/**
 * CUDA on the CPU, for machines without a GPU (CI): a small runtime (memory, copies, events,
 * errors) and the execution model (grids of blocks, threads as real OS threads, __shared__
 * storage per block, __syncthreads as a barrier, warp shuffles through per-warp slots, vector
 * types and fast intrinsics). Blocks of a launch run one after another, all
 * threads of a block at once. It runs the same generated harness and the same kernel files as the
 * GPU, so that their logic (indexing, bounds, synchronisation, guard zones, poisoning) is tested
 * for real; its timings say nothing about a GPU.
 */
export const EMULATED_CUDA_RUNTIME = String.raw`#ifndef KLOOP_CUDA_EMULATION_H
#define KLOOP_CUDA_EMULATION_H
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)
#define KLOOP_CUDA_EMULATION 1

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 { unsigned x, y, z; };
inline thread_local uint3 threadIdx, blockIdx;
inline thread_local unsigned kl_emu_tid;
inline dim3 blockDim, gridDim;
static const int warpSize = 32;
inline std::barrier<> *kl_emu_barrier = nullptr;
inline void __syncthreads() { kl_emu_barrier->arrive_and_wait(); }

/* Warps: 32 consecutive threads of a block; a shuffle is an exchange through per-warp slots between two barriers. */
struct kl_emu_warps {
  std::vector<std::unique_ptr<std::barrier<>>> bars;
  std::vector<uint64_t> slots;
};
inline kl_emu_warps *kl_emu_warp_state = nullptr;
inline void __syncwarp(unsigned = 0xffffffffu) { kl_emu_warp_state->bars[kl_emu_tid / 32]->arrive_and_wait(); }
template <class T> inline T kl_emu_exchange(T v, int src_lane) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  kl_emu_warps &w = *kl_emu_warp_state;
  unsigned warp = kl_emu_tid / 32, base = warp * 32;
  std::memcpy(&w.slots[kl_emu_tid], &v, sizeof(T));
  w.bars[warp]->arrive_and_wait();
  T out = v;
  if (src_lane >= 0 && base + (unsigned)src_lane < w.slots.size()) std::memcpy(&out, &w.slots[base + src_lane], sizeof(T));
  w.bars[warp]->arrive_and_wait();
  return out;
}
template <class T> inline T __shfl_sync(unsigned, T v, int src, int width = 32) { int lane = kl_emu_tid % 32; return kl_emu_exchange(v, (lane & ~(width - 1)) + (src % width)); }
template <class T> inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) { int lane = kl_emu_tid % 32; return kl_emu_exchange(v, (lane % width) + (int)d < width ? lane + (int)d : lane); }
template <class T> inline T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) { int lane = kl_emu_tid % 32; return kl_emu_exchange(v, (lane % width) >= (int)d ? lane - (int)d : lane); }
template <class T> inline T __shfl_xor_sync(unsigned, T v, int m, int width = 32) { int lane = kl_emu_tid % 32; int src = lane ^ m; return kl_emu_exchange(v, (src & ~(width - 1)) == (lane & ~(width - 1)) ? src : lane); }

/* Vector types and the fast intrinsics, with their CPU meaning. */
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float fdividef(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __saturatef(float a) { return a < 0 ? 0 : a > 1 ? 1 : a; }
template <class T> inline T __ldg(const T *p) { return *p; }
inline std::mutex kl_emu_atomic;
template <class T> inline T atomicAdd(T *p, T v) { std::lock_guard<std::mutex> g(kl_emu_atomic); T old = *p; *p = old + v; return old; }

/* A launch: one OS thread per thread of a block; the blocks run in turn, a barrier between them
   (so that the static __shared__ storage belongs to one block at a time). */
template <class F> void kl_emu_launch(dim3 g, dim3 b, F f) {
  gridDim = g;
  blockDim = b;
  unsigned n = b.x * b.y * b.z;
  std::barrier<> bar(n);
  kl_emu_barrier = &bar;
  kl_emu_warps warps;
  for (unsigned w = 0; w * 32 < n; w++) warps.bars.emplace_back(new std::barrier<>(std::min(32u, n - w * 32)));
  warps.slots.assign(n, 0);
  kl_emu_warp_state = &warps;
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < n; t++)
    ts.emplace_back([&, t] {
      kl_emu_tid = t;
      threadIdx = uint3{t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
      for (unsigned z = 0; z < g.z; z++)
        for (unsigned y = 0; y < g.y; y++)
          for (unsigned x = 0; x < g.x; x++) {
            blockIdx = uint3{x, y, z};
            f();
            bar.arrive_and_wait();
          }
    });
  for (auto &t : ts) t.join();
}

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2, cudaErrorInitializationError = 3, cudaErrorInsufficientDriver = 35, cudaErrorNoDevice = 100 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaDeviceAttr { cudaDevAttrL2CacheSize = 89, cudaDevAttrMultiProcessorCount = 16 };
typedef void *cudaStream_t;
struct kl_emu_event { double ns; };
typedef kl_emu_event *cudaEvent_t;
static cudaStream_t const cudaStreamPerThread = nullptr;
inline const char *cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : e == cudaErrorMemoryAllocation ? "cudaErrorMemoryAllocation" : "cudaErrorEmulated"; }
inline const char *cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "error in the CPU emulation of CUDA"; }
inline cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaMalloc(void **p, size_t n) { *p = std::malloc(n ? n : 1); return *p ? cudaSuccess : cudaErrorMemoryAllocation; }
inline cudaError_t cudaMallocAsync(void **p, size_t n, cudaStream_t) { return cudaMalloc(p, n); }
inline cudaError_t cudaFree(void *p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaFreeAsync(void *p, cudaStream_t) { return cudaFree(p); }
inline cudaError_t cudaMemset(void *p, int v, size_t n) { std::memset(p, v, n); return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t = nullptr) { return cudaMemset(p, v, n); }
inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind) { std::memmove(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind k, cudaStream_t = nullptr) { return cudaMemcpy(d, s, n, k); }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaPeekAtLastError() { return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int) { *v = a == cudaDevAttrL2CacheSize ? (1 << 20) : 2; return cudaSuccess; }
inline cudaError_t cudaMemGetInfo(size_t *f, size_t *t) { *f = (size_t)1 << 32; *t = (size_t)1 << 33; return cudaSuccess; }
inline double kl_emu_now() { return (double)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
inline cudaError_t cudaEventCreate(cudaEvent_t *e) { *e = new kl_emu_event{0}; return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t = nullptr) { e->ns = kl_emu_now(); return cudaSuccess; }
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) { *ms = (float)((b->ns - a->ns) / 1e6); return cudaSuccess; }
#endif
`;

/**
 * Kernel launches `k<<<grid, block[, shmem[, stream]]>>>(args)` as calls of the emulator:
 * `kl_emu_launch(dim3(grid), dim3(block), [=] { k(args); })`.
 */
export function rewriteLaunches(src: string): string {
  const re = /([A-Za-z_]\w*(?:<[^<>;]*>)?)\s*<<<([\s\S]*?)>>>\s*\(/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    // The arguments: up to the matching parenthesis.
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '(') depth++;
      else if (src[i] === ')') depth--;
    }
    const args = src.slice(m.index + m[0].length, i - 1);
    const [grid, block] = splitTopLevel(m[2]);
    out += `${src.slice(last, m.index)}kl_emu_launch(dim3(${grid}), dim3(${block}), [=] { ${m[1]}(${args}); })`;
    last = i;
    re.lastIndex = i;
  }
  return out + src.slice(last);
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}
