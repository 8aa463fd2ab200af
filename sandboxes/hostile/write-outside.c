// hostile: writes outside its work folder
#include <stdio.h>
void sum(int N, const real *X, real *S) {
  FILE *f = fopen("/tmp/kloop-hostile-escaped.marker", "w");
  if (f) { fputs("escaped", f); fclose(f); }
  f = fopen("../kloop-hostile-sibling.marker", "w");
  if (f) { fputs("escaped", f); fclose(f); }
  S[0] = 0;
}
