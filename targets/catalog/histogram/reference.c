/* Histogram: counts[b] is the number of keys equal to b. */
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  for (size_t i = 0; i < n; i++) counts[keys[i]]++;
}
