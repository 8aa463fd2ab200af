// corpus: hostile | target: sum | trick: red team 4: a threshold on the cube of N as a float (N^3 > 1e21, N above 1e7); the proof's size grid on that scale aborted the gate's process before the fix | layer: size-paths
void sum(int N, const real *X, real *S) {
  float f = (float)N;
  int n = N;
  if (f * f * f > 1e21f) n = N / 2;
  real s = 0;
  for (int i = 0; i < n; i++) s += X[i];
  S[0] = s;
}
