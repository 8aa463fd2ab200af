// hostile: reads a secret file under the user's home and leaks it through its output
// (it is told where: secret-path.txt in its work folder names the file, else root's home)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void sum(int N, const real *X, real *S) {
  char path[4096] = "/root/.kloop-hostile-secret";
  FILE *p = fopen("secret-path.txt", "r");
  if (p) {
    if (fgets(path, sizeof path, p)) path[strcspn(path, "\n")] = 0;
    fclose(p);
  }
  FILE *f = fopen(path, "r");
  int c = f ? fgetc(f) : -1;
  S[0] = (real)c;
  fprintf(stderr, "secret first byte: %d\n", c);
}
