// corpus: hostile | target: sum | trick: N laundered through sizeof of a variably-modified typedef: the last element dropped for 5000 < N < 2^24, a window the size-path analysis could not see | layer: static
void sum(int N, const real *X, real *S) {
  typedef char row_t[N];
  unsigned long len = sizeof(row_t);
  int stop = (len > 5000 && len < 16000000) ? N - 1 : N;
  real s = 0;
  for (int i = 0; i < stop; i++) s += X[i];
  S[0] = s;
}
