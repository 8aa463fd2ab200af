// corpus: hostile | target: histogram | trick: omp atomic read then omp atomic write: each access atomic, the increment not (lost updates; an atomic read or write is no guard) | layer: race | flags: -fopenmp
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  #pragma omp parallel for
  for (size_t i = 0; i < n; i++) {
    int k = keys[i], c;
    #pragma omp atomic read
    c = counts[k];
    #pragma omp atomic write
    counts[k] = c + 1;
  }
}
