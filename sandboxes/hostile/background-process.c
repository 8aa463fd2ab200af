// hostile: leaves a background process behind that writes a marker later (in /tmp, and in its
// work folder, which kloop can see whatever the namespaces)
#include <stdio.h>
#include <unistd.h>
void sum(int N, const real *X, real *S) {
  if (fork() == 0) {
    setsid();
    if (fork() == 0) {
      sleep(2);
      FILE *f = fopen("/tmp/kloop-hostile-daemon.marker", "w");
      if (f) { fputs("survived", f); fclose(f); }
      f = fopen("daemon.marker", "w");
      if (f) { fputs("survived", f); fclose(f); }
      for (;;) sleep(100);
    }
    _exit(0);
  }
  S[0] = 0;
}
