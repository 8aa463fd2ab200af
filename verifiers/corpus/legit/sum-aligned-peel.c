// corpus: legit | target: sum | shape: scalar peel up to a 32-byte boundary, eight accumulators over the aligned body, scalar tail | verdict: tested
// (tested, not proved: its path depends on the address of X, and the proof runs at one set of addresses)
void sum(int N, const real *X, real *S) {
  int i = 0;
  real head = 0;
  while (i < N && ((uintptr_t)(X + i) & 31) != 0) head += X[i++];
  real a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (; i + 8 <= N; i += 8)
    for (int l = 0; l < 8; l++) a[l] += X[i + l];
  real tail = 0;
  for (; i < N; i++) tail += X[i];
  S[0] = head + (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) + tail;
}
