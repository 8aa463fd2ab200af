// corpus: legit | target: sum | shape: AVX intrinsics, eight lanes (the proof does not model intrinsics: tested) | verdict: tested
#include <immintrin.h>
void sum(int N, const real *X, real *S) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 7 < N; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(X + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, acc);
  real s = 0;
  for (int l = 0; l < 8; l++) s += lanes[l];
  for (; i < N; i++) s += X[i];
  S[0] = s;
}
