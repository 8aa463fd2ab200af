/**
 * The harness's C that keeps a kernel's stack free of its previous call's values (see
 * `kl_scrub`), in its own file: harness.ts includes it.
 *
 * A kernel's uninitialised locals must not find what its previous call left on the stack: a memo's
 * key and address kept there survives between calls with no static state at all, and pays off in
 * a timed run, whose calls share one input. Before every call, on this thread and (a kernel linked
 * with OpenMP) on every thread the team can have (`OMP_THREAD_LIMIT`, which kloop sets to the run's
 * thread count), the stack below the caller's frame is zeroed: the 16 KiB where the kernel's frame
 * will start, word by word, and every page below it that is resident (`mincore`). Nothing is
 * unmapped, so a kernel's stack pages do not fault again inside a timed call. Skipped under
 * AddressSanitizer and in the oracle (C++), which time nothing, and in the checks that run as a
 * user's process would (KLOOP_PLAIN_STACK, with the user's allocator): there a kernel whose results
 * depend on its stack residue must show it, as it would in a user's program.
 */
export const C_STACK_SCRUB = `
#if !defined(KLOOP_SANITIZE) && !defined(__cplusplus)
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags) __attribute__((weak));
#define KL_PAGE ((uintptr_t)4096)
#define KL_WIPE ((uintptr_t)16384)
static __thread unsigned char kl_vec[4096]; /* mincore's answer, a byte a page */
static __thread uintptr_t kl_floor;         /* the lowest address this thread's stack may reach */
static __thread int kl_main_thread;
static uintptr_t kl_main_floor;
static unsigned kl_team;
#if defined(__x86_64__)
#define KL_SP(v) __asm__ __volatile__("mov %%rsp, %0" : "=r"(v))
#else
#define KL_SP(v) do { volatile char kl_here_ = 0; (v) = (uintptr_t)&kl_here_; } while (0)
#endif
static int kl_mapped(uintptr_t p) {
  unsigned char v;
  return mincore((void *)p, KL_PAGE, &v) == 0;
}
/* Every resident page of [floor, cut) zeroed: the stack is one mapping, from its lowest page up. */
static __attribute__((noinline)) void kl_clear_below(uintptr_t floor, uintptr_t cut) {
  if (cut <= floor || !kl_mapped(cut - KL_PAGE)) return;
  uintptr_t lo = floor;
  if (!kl_mapped(lo)) {
    uintptr_t a = floor / KL_PAGE, b = (cut - KL_PAGE) / KL_PAGE; /* a: unmapped, b: mapped */
    while (b - a > 1) {
      uintptr_t m = a + (b - a) / 2;
      if (kl_mapped(m * KL_PAGE)) b = m;
      else a = m;
    }
    lo = b * KL_PAGE;
  }
  const uintptr_t span = (uintptr_t)sizeof kl_vec * KL_PAGE;
  for (uintptr_t p = lo; p < cut; p += span) {
    size_t len = (size_t)(cut - p < span ? cut - p : span);
    if (mincore((void *)p, len, kl_vec) != 0) continue;
    for (size_t i = 0; i < len / KL_PAGE; i++)
      if (kl_vec[i] & 1) memset((void *)(p + i * KL_PAGE), 0, KL_PAGE);
  }
}
/* Inlined into the caller: the words below its stack pointer, where the kernel's frame will be, then the rest. */
static inline __attribute__((always_inline)) void kl_wipe_from(uintptr_t sp, uintptr_t floor) {
  uintptr_t cut = (sp - KL_WIPE) & ~(KL_PAGE - 1);
  for (volatile uint64_t *q = (volatile uint64_t *)cut; q < (volatile uint64_t *)(sp & ~(uintptr_t)7); q++) *q = 0;
  kl_clear_below(floor, cut);
}
static void kl_scrub_worker(void *unused) {
  (void)unused;
  if (kl_main_thread) return; /* the calling thread is scrubbed after the region, from its caller's frame */
  uintptr_t sp;
  KL_SP(sp);
  if (!kl_floor) {
    pthread_attr_t a;
    void *lo = NULL;
    size_t sz = 0, guard = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
      pthread_attr_getstack(&a, &lo, &sz);
      pthread_attr_getguardsize(&a, &guard);
      pthread_attr_destroy(&a);
    }
    kl_floor = lo ? ((uintptr_t)lo + guard + KL_PAGE - 1) & ~(KL_PAGE - 1) : sp - ((uintptr_t)1 << 20);
  }
  kl_wipe_from(sp, kl_floor);
}
static int kl_plain_stack;
static inline __attribute__((always_inline)) void kl_scrub(void) {
  if (kl_plain_stack) return;
  if (GOMP_parallel) GOMP_parallel(kl_scrub_worker, NULL, kl_team, 0);
  uintptr_t sp;
  KL_SP(sp);
  kl_wipe_from(sp, kl_main_floor);
}
static void kl_scrub_init(void) {
  volatile char here = 0;
  struct rlimit rl;
  size_t lim = getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < ((size_t)1 << 30) ? (size_t)rl.rlim_cur : (size_t)64 << 20;
  kl_main_floor = (((uintptr_t)&here - lim) + KL_PAGE - 1) & ~(KL_PAGE - 1);
  kl_main_thread = 1;
  /* The stale-state checks run as a user's process would (KLOOP_PLAIN_STACK): there a kernel whose results
     depend on what its previous call left on the stack must show it. */
  kl_plain_stack = getenv("KLOOP_PLAIN_STACK") != NULL;
  const char *limit = getenv("OMP_THREAD_LIMIT");
  kl_team = limit ? (unsigned)atoi(limit) : 0;
}
#else
static void kl_scrub(void) {}
static void kl_scrub_init(void) {}
#endif
`;
