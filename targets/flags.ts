/** Compiler flags a target may permit candidates to use. Anything else is refused. */
export const FLAG_ALLOW_LIST = ['-fopenmp', '-funroll-loops', '-ffast-math', '-fno-math-errno', '-fno-trapping-math', '-fassociative-math', '-ffp-contract=fast', '-fprefetch-loop-arrays', '-fno-semantic-interposition'] as const;

/** Flags that let the compiler reorder floating-point arithmetic, or round it otherwise (a fused multiply-add). */
export const REASSOCIATING_FLAGS = new Set(['-ffast-math', '-fassociative-math', '-ffp-contract=fast']);

/** Flags every target gets unless it says otherwise. */
export const DEFAULT_TARGET_FLAGS = ['-fopenmp', '-funroll-loops', '-fno-math-errno', '-fprefetch-loop-arrays'];
