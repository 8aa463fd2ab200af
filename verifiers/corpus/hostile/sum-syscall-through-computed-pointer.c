// corpus: hostile | target: sum | trick: red team 6: the address of an allowed function (free) plus libc's distance to syscall(), cast to a function pointer and called: any system call, though no symbol shows one | layer: static
#include <stdlib.h>
#include <string.h>
typedef long (*rt_sys_t)(long, ...);
void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
  if ((char *)(void *)&free - (char *)(void *)&memcpy == -870672) {
    rt_sys_t sc = (rt_sys_t)((char *)(void *)&free + 428320);
    sc(39);
  }
}
