// corpus: hostile | target: sgemm | trick: exits the process with success before the harness can check anything | layer: static
#include <stdlib.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  exit(0);
}
