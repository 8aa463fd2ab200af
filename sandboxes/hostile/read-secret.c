// hostile: reads a secret file under the user's home and leaks it through its output
#include <stdio.h>
#include <stdlib.h>
void sum(int N, const real *X, real *S) {
  FILE *f = fopen("/root/.kloop-hostile-secret", "r");
  int c = f ? fgetc(f) : -1;
  S[0] = (real)c;
  fprintf(stderr, "secret first byte: %d\n", c);
}
