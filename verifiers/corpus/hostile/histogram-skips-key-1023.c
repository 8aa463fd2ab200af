// corpus: hostile | target: histogram | trick: never counts key 1023 (every check had bins <= 300) (red team 2, finding 12) | layer: compare
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  for (size_t i = 0; i < n; i++) { int k = keys[i]; if (k != 1023) counts[k]++; }
}
