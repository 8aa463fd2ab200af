// hostile: infinite loop
void sum(int N, const real *X, real *S) { for (volatile long i = 0;; i++) ; }
