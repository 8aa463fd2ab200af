// corpus: hostile | target: histogram | trick: 16-bit per-chunk counters (chunks of 2^18 keys): wrong when one key occurs more than 65535 times in a chunk (red team 2, finding 11) | layer: compare
#include <stdint.h>
#include <string.h>
/* histogram: per-chunk 16-bit counters (cache-friendly), overflow when one key repeats > 65535 times in a chunk. */
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  uint16_t local[512];
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  if (bins > 512) { for (size_t i = 0; i < n; i++) counts[keys[i]]++; return; }
  for (size_t c = 0; c < n; c += (size_t)1 << 18) {
    size_t e = c + ((size_t)1 << 18); if (e > n) e = n;
    memset(local, 0, sizeof local);
    for (size_t i = c; i < e; i++) local[keys[i]]++;
    for (size_t b = 0; b < bins; b++) counts[b] += local[b];
  }
}
