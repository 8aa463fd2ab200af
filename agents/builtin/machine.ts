import { readFileSync } from 'node:fs';

/** L1d and L2 sizes from sysfs (Linux), else typical values. */
export function cacheSizes(): { l1Bytes: number; l2Bytes: number } {
  const read = (index: number, fallback: number) => {
    try {
      const t = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${index}/size`, 'utf8').trim();
      const n = parseInt(t, 10);
      return t.endsWith('K') ? n * 1024 : t.endsWith('M') ? n * 1024 * 1024 : n || fallback;
    } catch {
      return fallback;
    }
  };
  return { l1Bytes: read(0, 32 * 1024), l2Bytes: read(2, 1024 * 1024) };
}

/**
 * The widest vectors the CPU has and how many vector registers: AVX-512 (64 bytes, 32 registers),
 * AVX (32, 16), else 16-byte vectors (SSE: 16 registers; NEON and SVE machines have 32).
 */
export function vectorFacts(): { vectorBytes: number; vectorRegisters: number } {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    /* not Linux: the conservative default */
  }
  if (/\bavx512f\b/.test(flags)) return { vectorBytes: 64, vectorRegisters: 32 };
  if (/\bavx2?\b/.test(flags)) return { vectorBytes: 32, vectorRegisters: 16 };
  if (/\b(asimd|neon)\b/i.test(flags)) return { vectorBytes: 16, vectorRegisters: 32 };
  return { vectorBytes: 16, vectorRegisters: 16 };
}
