import { kernelPrototype } from '../devices/index.js';
import type { BoundPlan } from './bind.js';
import { GPU_GLUE_DECLS } from './gpu-build.js';

/**
 * The plan as one C program (CEP's executor on local devices): every device has its own buffers
 * for the arrays it touches (filled with NaN first, so a read of rows nothing wrote there shows),
 * a run step calls the node's kernel (its own translation unit, renamed `kl_k<i>`) on pointers
 * into that device's buffers, a copy step is a memcpy from the source device's buffer.
 * A `cuda` device (this machine's GPU) has its buffers in GPU memory (NaN-filled too); a run step
 * there calls the node's CUDA kernel (its host function, renamed `kl_c<i>`, launching on the
 * default stream) on device pointers, then checks the launch and synchronizes; a copy to or from it
 * is an explicit cudaMemcpy (plans/gpu-build.ts, the glue). Reading or writing a GPU buffer from a
 * file (inputs, state and check dumps, outputs) goes through a host copy, outside any timing.
 *
 *   plan MODE IN OUT REPS
 *   MODE  time:  one thread per device, pinned to the device's cores (sched affinity), OpenMP teams
 *                of the device's size; a step waits for the previous step on its device and for its
 *                `after` steps. One warm-up, then REPS timed executions of the whole plan: prints
 *                "KLOOP_PLAN_NS t1 t2 ..." and each step's median "KLOOP_STEP_NS s1 s2 ...";
 *                writes the outputs on home to OUT unless it is "-".
 *         check: one execution, one step at a time in `order` (a schedule the plan allows, chosen to
 *                run copies as early as their declared dependencies let them); writes every buffer of
 *                every device to OUT (devices in order, arrays in order).
 *         wave:  "plan wave STATE_IN STATE_OUT STEP...": every buffer of every device read from
 *                STATE_IN (the check dump's layout), the listed steps run one at a time in that
 *                order, every buffer written to STATE_OUT; prints "KLOOP_STEP_NS" of the listed
 *                steps. The wave executor's local part (plans/wave-executor.ts). "wave-par": the
 *                same, the listed steps on their devices' threads as in time mode.
 *   IN    the workload's inputs, in order, raw little-endian.
 */
export function generateDriver(b: BoundPlan, kernelIndex: (targetDir: string) => number, order: number[]): string {
  const w = b.workload;
  const arrays = [...w.arrays.values()];
  const aIdx = new Map(arrays.map((a, i) => [a.id, i]));
  const D = b.devices.length;
  const used = Array.from({ length: D }, () => new Array<boolean>(arrays.length).fill(false));
  for (const id of [...w.inputs, ...w.outputs]) used[b.home][aIdx.get(id)!] = true;
  for (const s of b.steps) for (const x of [...s.reads, ...s.writes]) used[x.device][aIdx.get(x.array.id)!] = true;
  const width = (real: string) => (real === 'float' ? 4 : 8);
  const gpu = b.devices.map((d) => d.kind === 'cuda');
  const anyGpu = gpu.some(Boolean);

  const protos = new Map<number, string>();
  for (const n of w.nodes) {
    const k = kernelIndex(n.target.dir);
    if (!protos.has(k)) protos.set(k, `#define real ${n.target.real}\n${kernelPrototype(n.target).replace(new RegExp(`\\b${n.target.fn}\\s*\\(`), `kl_k${k}(`)};\n#undef real`);
  }
  for (const s of b.steps) {
    const t = s.node?.target;
    const k = t && kernelIndex(t.dir);
    if (t && k !== undefined && gpu[s.device] && !protos.has(-1 - k)) protos.set(-1 - k, `#define real ${t.real}\n${kernelPrototype(t).replace(new RegExp(`\\b${t.fn}\\s*\\(`), `kl_c${k}(`)};\n#undef real`);
  }
  const stepFns = b.steps.map((s) => {
    if (s.op === 'copy') {
      const a = aIdx.get(s.array!.id)!;
      const rowBytes = s.array!.rowElements * width(s.array!.real);
      const what = `buf[${s.device}][${a}] + ${s.rows[0] * rowBytes}ULL, buf[${s.from}][${a}] + ${s.rows[0] * rowBytes}ULL, ${(s.rows[1] - s.rows[0]) * rowBytes}ULL`;
      const kind = gpu[s.device] ? (gpu[s.from!] ? 3 : 1) : gpu[s.from!] ? 2 : 0;
      return `static void step_${s.index}(void) { ${kind ? `kl_gpu_copy(${what}, ${kind})` : `memcpy(${what})`}; }`;
    }
    const t = s.node!.target;
    const args = t.params.map((p) => {
      if (p.kind === 'size') return String(s.sizes![p.name]);
      const arg = s.args!.find((x) => x.arg === p.name)!;
      const role = (p as { role?: string }).role;
      return `(${role === 'in' ? 'const ' : ''}${t.real} *)(void *)buf[${s.device}][${aIdx.get(arg.array.id)}] + ${arg.offset}ULL`;
    });
    if (gpu[s.device]) return `static void step_${s.index}(void) { kl_c${kernelIndex(t.dir)}(${args.join(', ')}); kl_gpu_sync("running step ${s.id} on the GPU"); }`;
    return `static void step_${s.index}(void) { kl_k${kernelIndex(t.dir)}(${args.join(', ')}); }`;
  });
  const afterStart: number[] = [];
  const afterList: number[] = [];
  for (const s of b.steps) {
    afterStart.push(afterList.length);
    afterList.push(...s.after);
  }
  afterStart.push(afterList.length);
  const devSteps = b.devices.map((_, d) => b.steps.filter((s) => s.device === d).map((s) => s.index));
  const devStart: number[] = [];
  let acc = 0;
  for (const l of devSteps) {
    devStart.push(acc);
    acc += l.length;
  }
  devStart.push(acc);
  const maxCores = Math.max(1, ...b.devices.map((d) => d.cores?.length ?? 0));
  const list = (xs: (number | string)[]) => `{${xs.length ? xs.join(', ') : '0'}}`;

  return `/* Generated by kloop: CEP plan for workload ${w.name} (${b.steps.length} steps on ${D} devices). Do not edit. */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>

${[...protos.values()].join('\n')}
#define KL_GPU ${anyGpu ? 1 : 0}
${anyGpu ? GPU_GLUE_DECLS : ''}

#define NDEV ${D}
#define NARR ${arrays.length}
#define NSTEPS ${b.steps.length}
static unsigned char *buf[NDEV][NARR];
static const unsigned long long arr_bytes[NARR] = ${list(arrays.map((a) => `${a.elements * width(a.real)}ULL`))};
static const int used[NDEV][NARR] = {${used.map((u) => list(u.map(Number))).join(', ')}};
static const int dev_gpu[NDEV] = ${list(gpu.map(Number))};
static const int dev_threads[NDEV] = ${list(b.devices.map((d) => d.cores?.length ?? 0))};
static const int dev_cores[NDEV][${maxCores}] = {${b.devices.map((d) => list(d.cores ?? [])).join(', ')}};
static const int step_dev[NSTEPS] = ${list(b.steps.map((s) => s.device))};
static const int after_start[NSTEPS + 1] = ${list(afterStart)};
static const int after_list[] = ${list(afterList)};
static const int dev_start[NDEV + 1] = ${list(devStart)};
static const int dev_steps[] = ${list(devSteps.flat())};
static const int seq_order[NSTEPS] = ${list(order)};
static const int inputs[] = ${list(w.inputs.map((id) => aIdx.get(id)!))};
static const int outputs[] = ${list(w.outputs.map((id) => aIdx.get(id)!))};
#define HOME ${b.home}
static int done[NSTEPS];
static int in_wave[NSTEPS]; /* the steps this run takes: all, but in the wave modes the listed ones */
static long long step_ns[NSTEPS];
static long long *step_all; /* per timed execution, per step */
static int cur_rep;
static int reps;
static pthread_barrier_t bar;

${stepFns.join('\n')}
static void (*const steps[NSTEPS])(void) = ${list(b.steps.map((s) => `step_${s.index}`))};

static long long kl_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void run_step(int i) {
  long long t0 = kl_now();
  steps[i]();
  step_ns[i] = kl_now() - t0;
  if (step_all && cur_rep > 0) step_all[(size_t)(cur_rep - 1) * NSTEPS + i] = step_ns[i];
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

static void *device_main(void *arg) {
  int d = (int)(intptr_t)arg;
  if (dev_threads[d] > 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = 0; c < dev_threads[d]; c++) CPU_SET(dev_cores[d][c], &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
      fprintf(stderr, "device %d: cannot run on its cores\\n", d);
      exit(4);
    }
    omp_set_num_threads(dev_threads[d]);
  }
  for (int r = 0; r < reps; r++) {
    pthread_barrier_wait(&bar);
    for (int k = dev_start[d]; k < dev_start[d + 1]; k++) {
      int i = dev_steps[k];
      if (!in_wave[i]) continue;
      for (int m = after_start[i]; m < after_start[i + 1]; m++)
        while (!__atomic_load_n(&done[after_list[m]], __ATOMIC_ACQUIRE)) sched_yield();
      run_step(i);
      __atomic_store_n(&done[i], 1, __ATOMIC_RELEASE);
    }
    pthread_barrier_wait(&bar);
  }
  return 0;
}

static void io(FILE *f, int a, int d, int writing) {
  unsigned char *p = buf[d][a];
#if KL_GPU
  unsigned char *stage = 0; /* a GPU buffer goes through a host copy */
  if (dev_gpu[d]) {
    stage = malloc(arr_bytes[a] ? arr_bytes[a] : 1);
    if (!stage) exit(5);
    if (writing) kl_gpu_copy(stage, p, arr_bytes[a], 2);
    p = stage;
  }
#endif
  size_t n = writing ? fwrite(p, 1, arr_bytes[a], f) : fread(p, 1, arr_bytes[a], f);
  if (n != arr_bytes[a]) {
    fprintf(stderr, "short %s\\n", writing ? "write" : "read");
    exit(2);
  }
#if KL_GPU
  if (stage) {
    if (!writing) kl_gpu_copy(buf[d][a], stage, arr_bytes[a], 1);
    free(stage);
  }
#endif
}

/* Every device's copy of every array it touches, read from or written to a state file: 0, or 2 when it cannot be opened. */
static int state_io(const char *path, int writing) {
  FILE *f = fopen(path, writing ? "wb" : "rb");
  if (!f) return 2;
  for (int d = 0; d < NDEV; d++)
    for (int a = 0; a < NARR; a++)
      if (used[d][a]) io(f, a, d, writing);
  fclose(f);
  return 0;
}

/* A step on the main thread, with its device's team size (the whole machine's for a whole-CPU device). */
static void run_serial(int i) {
  omp_set_num_threads(dev_threads[step_dev[i]] > 0 ? dev_threads[step_dev[i]] : omp_get_num_procs());
  run_step(i);
}

int main(int argc, char **argv) {
  int par = argc >= 4 && strcmp(argv[1], "wave-par") == 0;
  int wave = par || (argc >= 4 && strcmp(argv[1], "wave") == 0);
  if (argc != 5 && !wave) {
    fprintf(stderr, "usage: plan time|check IN OUT REPS | plan wave STATE_IN STATE_OUT STEP...\\n");
    return 2;
  }
  int check = strcmp(argv[1], "check") == 0;
  reps = atoi(argv[4]);
  if (reps < 1) reps = 1;
  for (int d = 0; d < NDEV; d++)
    for (int a = 0; a < NARR; a++)
      if (used[d][a]) {
#if KL_GPU
        if (dev_gpu[d]) {
          buf[d][a] = kl_gpu_alloc(arr_bytes[a]); /* NaN-filled on the GPU */
          continue;
        }
#endif
        buf[d][a] = aligned_alloc(64, (arr_bytes[a] + 63) / 64 * 64);
        if (!buf[d][a]) return 5;
        memset(buf[d][a], 0xff, arr_bytes[a]);
      }
  for (int i = 0; i < NSTEPS; i++) in_wave[i] = !wave;
  if (wave) {
    if (state_io(argv[2], 0)) return 2;
    for (int k = 4; k < argc; k++) {
      int i = atoi(argv[k]);
      if (i < 0 || i >= NSTEPS) return 2;
      in_wave[i] = 1;
    }
    if (par) {
      /* A thread per device, pinned as in time mode; a step waits for its device's previous listed step and its after steps in the list (the others are done). */
      for (int i = 0; i < NSTEPS; i++) done[i] = !in_wave[i];
      reps = 1;
      pthread_t th[NDEV];
      pthread_barrier_init(&bar, 0, NDEV + 1);
      for (int d = 0; d < NDEV; d++) pthread_create(&th[d], 0, device_main, (void *)(intptr_t)d);
      pthread_barrier_wait(&bar);
      pthread_barrier_wait(&bar);
      for (int d = 0; d < NDEV; d++) pthread_join(th[d], 0);
    } else
      for (int k = 4; k < argc; k++) run_serial(atoi(argv[k]));
    printf("KLOOP_STEP_NS");
    for (int k = 4; k < argc; k++) printf(" %lld", step_ns[atoi(argv[k])]);
    printf("\\n");
    return state_io(argv[3], 1);
  }
  FILE *in = fopen(argv[2], "rb");
  if (!in) return 2;
  for (unsigned k = 0; k < sizeof inputs / sizeof inputs[0] && ${w.inputs.length}; k++) io(in, inputs[k], HOME, 0);
  fclose(in);
  if (check) {
    for (int k = 0; k < NSTEPS; k++) run_serial(seq_order[k]);
    return state_io(argv[3], 1);
  }
  long long *times = calloc((size_t)reps + 1, sizeof *times);
  step_all = calloc((size_t)reps * NSTEPS, sizeof *step_all);
  pthread_t th[NDEV];
  int total = reps;
  reps = total + 1;
  pthread_barrier_init(&bar, 0, NDEV + 1);
  for (int d = 0; d < NDEV; d++) pthread_create(&th[d], 0, device_main, (void *)(intptr_t)d);
  for (int r = 0; r <= total; r++) {
    memset(done, 0, sizeof done);
    cur_rep = r;
    pthread_barrier_wait(&bar);
    long long t0 = kl_now();
    pthread_barrier_wait(&bar);
    times[r] = kl_now() - t0;
  }
  for (int d = 0; d < NDEV; d++) pthread_join(th[d], 0);
  printf("KLOOP_PLAN_NS");
  for (int r = 1; r <= total; r++) printf(" %lld", times[r]);
  printf("\\nKLOOP_STEP_NS");
  long long *col = calloc((size_t)total, sizeof *col);
  for (int i = 0; i < NSTEPS; i++) {
    for (int r = 0; r < total; r++) col[r] = step_all[(size_t)r * NSTEPS + i];
    qsort(col, (size_t)total, sizeof *col, cmp_ll);
    printf(" %lld", col[total / 2]);
  }
  printf("\\n");
  if (strcmp(argv[3], "-") != 0) {
    FILE *out = fopen(argv[3], "wb");
    if (!out) return 2;
    for (unsigned k = 0; k < sizeof outputs / sizeof outputs[0]; k++) io(out, outputs[k], HOME, 1);
    fclose(out);
  }
  return 0;
}
`;
}
