// corpus: legit | target: histogram | shape: 16-bit local counters, flushed every 65535 keys so none can wrap (a narrow counter: checked with one key repeated past its top, still accepted) | verdict: tested
#include <stdint.h>
#include <string.h>
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  uint16_t local[512];
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  if (bins > 512) { for (size_t i = 0; i < n; i++) counts[keys[i]]++; return; }
  for (size_t c = 0; c < n; c += 65535) {
    size_t e = c + 65535; if (e > n) e = n;
    memset(local, 0, sizeof local);
    for (size_t i = c; i < e; i++) local[keys[i]]++;
    for (size_t b = 0; b < bins; b++) counts[b] += local[b];
  }
}
