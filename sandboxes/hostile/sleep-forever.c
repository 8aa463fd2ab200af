// hostile: sleeps forever (no CPU time used, so a CPU-time limit alone never fires)
#include <unistd.h>
void sum(int N, const real *X, real *S) { for (;;) sleep(1000); }
