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
#include <cstdio>
#include <sys/mman.h>
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
inline dim3 blockDim, gridDim;
static const int warpSize = 32;

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* The threads of a block are fibers on one OS thread, switched only at barriers (a few registers
   saved, no system call): with OS threads woken at every barrier, a small shared-memory reduction
   ran 8x slower on a 2-core VM (0.140 s against 0.017 s). A barrier is a count: the last thread to arrive opens its next phase. The
   fibers run in an order that alternates between phases, so a shared-memory read or write that
   needs a barrier it lacks sees another thread's data early or late (caught, not hidden by luck),
   and threads that wait at a barrier no other thread will reach end the process in one line. */
#define KLOOP_CUDA_FIBERS 1
inline uint3 threadIdx, blockIdx;
inline unsigned kl_emu_tid;
extern "C" void kl_emu_swap(void **save_sp, void *load_sp);
__asm__(".pushsection .text\n.weak kl_emu_swap\n.type kl_emu_swap,@function\nkl_emu_swap:\n"
        " pushq %rbp\n pushq %rbx\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
        " subq $8, %rsp\n stmxcsr (%rsp)\n fnstcw 4(%rsp)\n movq %rsp, (%rdi)\n movq %rsi, %rsp\n"
        " ldmxcsr (%rsp)\n fldcw 4(%rsp)\n addq $8, %rsp\n"
        " popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbx\n popq %rbp\n ret\n"
        ".size kl_emu_swap, .-kl_emu_swap\n.popsection\n");
struct kl_emu_bar { unsigned expected = 0, arrived = 0; unsigned long phase = 0; };
struct kl_emu_fiber { void *sp = nullptr; char *stack = nullptr; unsigned tid = 0; uint3 tidx{}, bidx{}; bool done = false; kl_emu_bar *wait = nullptr; unsigned long phase = 0; };
inline kl_emu_fiber *kl_emu_cur = nullptr;
inline void *kl_emu_sched_sp = nullptr;
inline void (*kl_emu_body)(void *) = nullptr;
inline void *kl_emu_body_arg = nullptr;
inline kl_emu_bar kl_emu_block_bar;
inline std::vector<kl_emu_bar> kl_emu_warp_bars;
inline void kl_emu_yield() {
  kl_emu_cur->bidx = blockIdx;
  kl_emu_swap(&kl_emu_cur->sp, kl_emu_sched_sp);
}
inline void kl_emu_arrive(kl_emu_bar &b) {
  if (++b.arrived == b.expected) {
    b.arrived = 0;
    b.phase++;
    return;
  }
  kl_emu_cur->wait = &b;
  kl_emu_cur->phase = b.phase;
  kl_emu_yield();
}
inline void __syncthreads() { kl_emu_arrive(kl_emu_block_bar); }
inline void __syncwarp(unsigned = 0xffffffffu) { kl_emu_arrive(kl_emu_warp_bars[kl_emu_tid / 32]); }
struct kl_emu_warps { std::vector<uint64_t> slots; };
inline kl_emu_warps *kl_emu_warp_state = nullptr;
#else
inline thread_local uint3 threadIdx, blockIdx;
inline thread_local unsigned kl_emu_tid;
inline std::barrier<> *kl_emu_barrier = nullptr;
inline void __syncthreads() { kl_emu_barrier->arrive_and_wait(); }

/* Warps: 32 consecutive threads of a block; a shuffle is an exchange through per-warp slots between two barriers. */
struct kl_emu_warps {
  std::vector<std::unique_ptr<std::barrier<>>> bars;
  std::vector<uint64_t> slots;
};
inline kl_emu_warps *kl_emu_warp_state = nullptr;
inline void __syncwarp(unsigned = 0xffffffffu) { kl_emu_warp_state->bars[kl_emu_tid / 32]->arrive_and_wait(); }
#endif
template <class T> inline T kl_emu_exchange(T v, int src_lane) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  kl_emu_warps &w = *kl_emu_warp_state;
  unsigned base = (kl_emu_tid / 32) * 32;
  std::memcpy(&w.slots[kl_emu_tid], &v, sizeof(T));
  __syncwarp();
  T out = v;
  if (src_lane >= 0 && base + (unsigned)src_lane < w.slots.size()) std::memcpy(&out, &w.slots[base + src_lane], sizeof(T));
  __syncwarp();
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

#ifdef KLOOP_CUDA_FIBERS
/* A launch: the blocks run in turn, each block's threads as fibers (stacks kept for the next launch,
   each with a guard page below it: an overflow is a crash, not another thread's data). */
inline std::vector<kl_emu_fiber> kl_emu_fibers;
inline void kl_emu_entry() {
  kl_emu_body(kl_emu_body_arg);
  kl_emu_cur->done = true;
  kl_emu_swap(&kl_emu_cur->sp, kl_emu_sched_sp);
  std::abort();
}
template <class F> void kl_emu_launch(dim3 g, dim3 b, F f) {
  const size_t STACK = 256 * 1024, GUARD = 4096;
  gridDim = g;
  blockDim = b;
  unsigned n = b.x * b.y * b.z;
  kl_emu_block_bar = kl_emu_bar{n, 0, 0};
  kl_emu_warp_bars.assign((n + 31) / 32, kl_emu_bar{});
  for (unsigned w = 0; w * 32 < n; w++) kl_emu_warp_bars[w].expected = std::min(32u, n - w * 32);
  kl_emu_warps warps;
  warps.slots.assign(n, 0);
  kl_emu_warp_state = &warps;
  if (kl_emu_fibers.size() < n) kl_emu_fibers.resize(n);
  // Each thread runs every block in turn, meeting the block's barrier at its end (as the OS-thread
  // emulation does with one std::barrier).
  struct Run { F *f; dim3 g; } run{&f, g};
  kl_emu_body = [](void *p) {
    Run &r = *static_cast<Run *>(p);
    for (unsigned z = 0; z < r.g.z; z++)
      for (unsigned y = 0; y < r.g.y; y++)
        for (unsigned x = 0; x < r.g.x; x++) {
          blockIdx = uint3{x, y, z};
          (*r.f)();
          kl_emu_arrive(kl_emu_block_bar);
        }
  };
  kl_emu_body_arg = &run;
  for (unsigned t = 0; t < n; t++) {
    kl_emu_fiber &fb = kl_emu_fibers[t];
    if (!fb.stack) {
      void *m = mmap(nullptr, STACK + GUARD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (m == MAP_FAILED || mprotect(m, GUARD, PROT_NONE) != 0) { std::fputs("kloop cuda emulation: no memory for thread stacks\n", stderr); std::abort(); }
      fb.stack = static_cast<char *>(m);
    }
    // A fresh stack that returns into kl_emu_entry: the frame kl_emu_swap pops (control words, six
    // registers), then the entry's address, 16-byte aligned as a call would leave it.
    uint64_t *top = reinterpret_cast<uint64_t *>(fb.stack + GUARD + STACK);
    top[-1] = 0;
    top[-2] = reinterpret_cast<uint64_t>(&kl_emu_entry);
    for (int r = 3; r <= 8; r++) top[-r] = 0;
    uint32_t ctl[2] = {0, 0};
    __asm__ volatile("stmxcsr %0\n fnstcw %1" : "=m"(ctl[0]), "=m"(ctl[1]));
    std::memcpy(&top[-9], ctl, 8);
    fb.sp = &top[-9];
    fb.tid = t;
    fb.tidx = uint3{t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
    fb.bidx = uint3{0, 0, 0};
    fb.done = false;
    fb.wait = nullptr;
  }
  for (unsigned round = 0, left = n;; round++) {
    bool progress = false;
    for (unsigned k = 0; k < n; k++) {
      kl_emu_fiber &fb = kl_emu_fibers[round % 2 ? n - 1 - k : k];
      if (fb.done || (fb.wait && fb.wait->phase == fb.phase)) continue;
      fb.wait = nullptr;
      threadIdx = fb.tidx;
      blockIdx = fb.bidx;
      kl_emu_tid = fb.tid;
      kl_emu_cur = &fb;
      kl_emu_swap(&kl_emu_sched_sp, fb.sp);
      progress = true;
      if (fb.done) left--;
    }
    if (!left) break;
    if (!progress) {
      std::fputs("kloop cuda emulation: deadlock: threads of a block wait at a barrier that the others never reach\n", stderr);
      std::abort();
    }
  }
  kl_emu_cur = nullptr;
}
#else
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
#endif

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
